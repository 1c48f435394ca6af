package io.jsae.core.train;

import io.jsae.core.JsaeException;

/**
 * A checkpoint cannot be written, read or applied: the disk refused a write, a checkpoint belongs to another
 * model, or its tensors do not fit the device SAE. The message names the checkpoint folder and file; a failed
 * write never touches older checkpoints.
 */
public class CheckpointException extends JsaeException {
    private static final long serialVersionUID = 1L;

    /** @param message which checkpoint, what went wrong, what to do */
    public CheckpointException(String message) {
        super(message);
    }

    /**
     * @param message which checkpoint, what went wrong, what to do
     * @param cause   the underlying failure
     */
    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}

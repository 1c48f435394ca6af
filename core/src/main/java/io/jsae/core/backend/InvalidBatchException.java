package io.jsae.core.backend;

import io.jsae.core.JsaeException;

/**
 * A batch that cannot be trained on: a row with NaN or Inf, a wrong width, too many rows. Thrown before
 * anything of the model changes; the message names the row (and, from the trainer, the step).
 */
public class InvalidBatchException extends JsaeException {
    private static final long serialVersionUID = 1L;

    /** @param message what was wrong and where */
    public InvalidBatchException(String message) {
        super(message);
    }
}

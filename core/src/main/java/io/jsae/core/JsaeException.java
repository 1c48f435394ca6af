package io.jsae.core;

/**
 * The root of every error a user can meet from jsae. Its families: bad files and data
 * ({@code io.DataFormatException}), checkpoints ({@code train.CheckpointException}), batches that cannot be
 * trained on ({@code backend.InvalidBatchException}) and backends that cannot run here
 * ({@code backend.BackendUnavailableException}). Each message says what was wrong, where (file, byte offset,
 * field, step, row) and what to do.
 */
public class JsaeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message what was wrong, where, and what to do */
    public JsaeException(String message) {
        super(message);
    }

    /**
     * @param message what was wrong, where, and what to do
     * @param cause   the underlying failure
     */
    public JsaeException(String message, Throwable cause) {
        super(message, cause);
    }
}

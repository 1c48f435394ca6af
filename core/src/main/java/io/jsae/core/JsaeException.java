package io.jsae.core;

/**
 * The root of every error a user can meet from jsae: catching it catches all of the library's own failures.
 *
 * <p>Each subclass belongs to one family, so that a program can handle one kind of failure and let the others
 * through: {@code io.DataFormatException} (files and folders that cannot be read as what they claim to be),
 * {@code train.CheckpointException} (a checkpoint that cannot be written, read or applied),
 * {@code backend.InvalidBatchException} (a batch that cannot be trained on) and
 * {@code backend.BackendUnavailableException} (a backend that cannot run here). (This package names its sub-packages' types only in text: it depends on none
 * of them.) The message of every jsae exception says what went wrong, where (the file and
 * byte offset, the tensor, the field, the row or the step) and what to do about it, so that it can be shown
 * to a user as it is.
 *
 * <p>Errors of the caller's own code are not wrapped: a null argument is still a {@link NullPointerException}
 * and an out-of-range index still an {@link IndexOutOfBoundsException}; failures of the storage itself
 * (a disk error while writing) stay {@link java.io.IOException}s where a method declares them.
 */
public class JsaeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message what went wrong, where, and what to do */
    public JsaeException(String message) {
        super(message);
    }

    /**
     * @param message what went wrong, where, and what to do
     * @param cause   the underlying error, may be {@code null}
     */
    public JsaeException(String message, Throwable cause) {
        super(message, cause);
    }
}

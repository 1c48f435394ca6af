package io.jsae.core.data;

/**
 * Activation data that cannot be used: a malformed or truncated file, an unsupported dtype, a row with
 * NaN or Inf, shards of different widths. The message names the file and the byte offset or row at fault
 * and what to do about it.
 */
public class ActivationDataException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message what was wrong, where, and what to do */
    public ActivationDataException(String message) {
        super(message);
    }

    /**
     * @param message what was wrong, where, and what to do
     * @param cause   the underlying I/O or parse error
     */
    public ActivationDataException(String message, Throwable cause) {
        super(message, cause);
    }
}

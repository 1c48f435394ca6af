package io.jsae.core.io;

import io.jsae.core.JsaeException;

/**
 * A file or folder that cannot be read as what it claims to be: a {@code .npy} or safetensors file with a
 * wrong magic, a malformed header or a truncated body ({@link TensorFileException}), a saved model folder that
 * is incomplete or inconsistent ({@link ModelFormatException}), or activation shards that cannot be used
 * ({@code io.jsae.core.data.ActivationDataException}, in the package that reads them: this package does not
 * depend on it).
 *
 * <p>Catch this type to handle every bad input file at once. The message names the file and, where one is,
 * the byte offset, tensor, field or row at fault, then says what was wrong and what to do.
 */
public class DataFormatException extends JsaeException {
    private static final long serialVersionUID = 1L;

    /** @param message what was wrong, in which file and where in it, and what to do */
    public DataFormatException(String message) {
        super(message);
    }

    /**
     * @param message what was wrong, in which file and where in it, and what to do
     * @param cause   the underlying I/O or parse error, may be {@code null}
     */
    public DataFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}

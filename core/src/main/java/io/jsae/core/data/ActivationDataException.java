package io.jsae.core.data;

import io.jsae.core.io.DataFormatException;

/**
 * Activation data that cannot be used: a shard that changed or cannot be read while in use, a row with
 * NaN or Inf, shards of different widths, an empty shard, a folder without shards. The message names the
 * file and the byte offset or row at fault and what to do about it.
 *
 * <p>A shard whose header is malformed or whose dtype or shape is unsupported is found when a source is
 * opened and throws {@link io.jsae.core.io.TensorFileException} instead. Both are
 * {@link DataFormatException}s: catch that type to handle every bad activation file.
 */
public class ActivationDataException extends DataFormatException {
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

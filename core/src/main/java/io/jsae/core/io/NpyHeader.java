package io.jsae.core.io;

import java.nio.file.Path;

/**
 * The validated header of a 2-D NumPy {@code .npy} file of float32 or float16 values, C order.
 *
 * @param file       the file
 * @param version    format major version (1, 2 or 3)
 * @param dtype      {@link DType#F32} ({@code '<f4'}) or {@link DType#F16} ({@code '<f2'})
 * @param rows       first dimension (tokens)
 * @param cols       second dimension (width, {@code d_in})
 * @param dataOffset absolute byte offset of the first value
 */
public record NpyHeader(Path file, int version, DType dtype, long rows, int cols, long dataOffset) {

    /** Bytes of one row in the file. */
    public long rowBytes() {
        return (long) cols * dtype.byteSize();
    }

    /** Bytes of all values in the file. */
    public long dataBytes() {
        return rows * rowBytes();
    }

    /** Number of values, {@code rows * cols}. */
    public long elementCount() {
        return rows * cols;
    }
}

package io.jsae.core.data;

import io.jsae.core.io.DType;

import java.nio.file.Path;

/**
 * One validated shard: a 2-D array of {@code rows x dIn} values of {@code dtype}, stored row-major and
 * contiguously from {@code dataOffset} in {@code file}.
 *
 * @param file       the file
 * @param label      how messages name it, e.g. {@code "a.npy"} or {@code "tensor 'acts' of a.safetensors"}
 * @param dtype      F32, F16 or BF16
 * @param rows       rows, at least 1
 * @param dIn        row width
 * @param dataOffset absolute byte offset of the first value
 * @param fileSize   file length when validated, to detect a file changed while in use
 */
record ShardSpec(Path file, String label, DType dtype, long rows, int dIn, long dataOffset, long fileSize) {

    /** Bytes of one row in the file. */
    long rowBytes() {
        return (long) dIn * dtype.byteSize();
    }

    /** End of the data, exclusive. */
    long dataEnd() {
        return dataOffset + rows * rowBytes();
    }
}

package io.jsae.core.data;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;

/**
 * Reads rows of validated shards as float32 into an off-heap block buffer. Each loading thread owns its own
 * reader: implementations are confined to one thread.
 */
interface RowReader extends AutoCloseable {

    /**
     * Reads {@code count} consecutive rows of shard {@code s}, from row {@code shardRow} on, as float32 in
     * native order into the buffer seen as {@code dstBytes} and {@code dstFloats}, from float index
     * {@code floatIndex} on.
     *
     * @return true if every value read is known to be finite; false if the caller must check them
     * @throws ActivationDataException naming the file and offset if the file changed or cannot be read
     */
    boolean read(int s, long shardRow, int count, ByteBuffer dstBytes, FloatBuffer dstFloats, int floatIndex);

    /** Releases files, mappings and scratch buffers; idempotent. */
    @Override
    void close();
}

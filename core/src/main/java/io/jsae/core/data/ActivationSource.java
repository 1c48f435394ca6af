package io.jsae.core.data;

import io.jsae.core.io.DType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * A stream of activation rows, {@code [tokens, dIn]}, read in batches into off-heap buffers: as float32
 * ({@link #read}), or as stored in the files ({@link #readStored}, for a consumer that converts them itself).
 *
 * <p>A source is read in epochs (passes). Its {@link #position()} is a small value (epoch and rows consumed
 * in it) that a checkpoint stores; {@link #seek(SourcePosition)} to a stored position makes the source
 * yield exactly the rows it would have yielded had it never been interrupted. A shuffling source derives
 * its order from its seed and the epoch number only, so seeking needs no replay of earlier rows.
 *
 * <p>Errors in the data are {@link io.jsae.core.io.DataFormatException}s naming the file and the offset or
 * row: a shard that cannot be read as a tensor file when the source is opened is a
 * {@link io.jsae.core.io.TensorFileException}; a NaN row, differing widths or a file that changed while in
 * use is an {@link ActivationDataException}.
 */
public interface ActivationSource extends AutoCloseable {

    /** Width of every row (the model's {@code d_in}). */
    int dIn();

    /** Rows in one epoch, or {@code -1} when the source is unbounded. */
    long rowsPerEpoch();

    /**
     * Reads up to {@code maxRows} rows into {@code dst}, row-major, starting at the buffer's position, and
     * advances the position by {@code rows * dIn()}.
     *
     * @param dst     destination with room for {@code maxRows * dIn()} floats
     * @param maxRows most rows to read, at least 1
     * @return rows read; 0 once the current epoch is exhausted (call {@link #nextEpoch()} to go on)
     */
    int read(FloatBuffer dst, int maxRows);

    /**
     * Starts reading, in the background, the rows that the next {@link #read} with this same buffer and
     * {@code maxRows} will return, straight into {@code dst}, so that they arrive while the caller computes.
     * The position does not move; that {@code read} completes the work and returns as usual. The caller must not
     * touch {@code dst} until then. A {@code read} or {@link #seek} with another buffer or count, or a
     * {@link #close}, first stops the work under way (the rows are read again where they are wanted). A source
     * that reads nothing ahead ignores the call (the default).
     *
     * @param dst     the buffer the next read will be given
     * @param maxRows the row count the next read will be given, at least 1
     */
    default void readAhead(FloatBuffer dst, int maxRows) {
    }

    /**
     * Stops the read-ahead under way, if any, and returns once nothing more is written into its buffer; the
     * position does not move. For a caller that will not take the rows it announced (it stops, or fails) and
     * is about to reuse or free that buffer. Does nothing when nothing is read ahead (the default).
     */
    default void cancelReadAhead() {
    }

    /**
     * The type every row of this source is stored in: {@code F16} or {@code BF16} when all of its files hold that
     * type, otherwise {@code F32} (rows computed in memory, or files of mixed types). A consumer that can take
     * rows in this type (the CPU and CUDA backends widen them at the start of a step) reads them with
     * {@link #readStored}, which moves half the bytes of float32 for half-precision files and converts nothing.
     *
     * @return F32, F16 or BF16
     */
    default DType storedType() {
        return DType.F32;
    }

    /**
     * As {@link #read}, but the rows arrive as stored: {@code dIn()} little-endian values of
     * {@link #storedType()} per row, row-major, from the buffer's position on, which advances by
     * {@code rows * dIn() * storedType().byteSize()}. Same positions, order, checks and errors as {@link #read};
     * the two may be mixed.
     *
     * @param dst     destination with room for {@code maxRows} stored rows
     * @param maxRows most rows to read, at least 1
     * @return rows read; 0 once the current epoch is exhausted
     */
    default int readStored(ByteBuffer dst, int maxRows) {
        if (storedType() != DType.F32) {
            throw new UnsupportedOperationException(getClass().getSimpleName() + " must implement readStored for "
                    + storedType());
        }
        FloatBuffer floats = dst.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        int rows = read(floats, maxRows);
        dst.position(dst.position() + rows * dIn() * Float.BYTES);
        return rows;
    }

    /**
     * As {@link #readAhead} for a following {@link #readStored} with this buffer and count; a source that reads
     * nothing ahead ignores the call (the default).
     *
     * @param dst     the buffer the next readStored will be given
     * @param maxRows the row count it will be given, at least 1
     */
    default void readAheadStored(ByteBuffer dst, int maxRows) {
    }

    /** Where the stream is: epoch and rows already read in it. */
    SourcePosition position();

    /**
     * Moves to a position returned earlier by {@link #position()} on a source built the same way.
     *
     * @throws IllegalArgumentException if the position is outside this source
     */
    void seek(SourcePosition position);

    /** Starts the next epoch at its first row. */
    default void nextEpoch() {
        seek(new SourcePosition(position().epoch() + 1, 0));
    }

    /** Releases files, buffers and threads; idempotent. */
    @Override
    void close();
}

package io.jsae.core.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Writes a 2-D {@code .npy} file (format 1.0, C order) of float32 ({@code '<f4'}), float16
 * ({@code '<f2'}) or int32 ({@code '<i4'}, written with {@link #write(int[], int, int)}) values, streaming: the shape is fixed when the file is created and the values are
 * appended row-major in any number of calls. {@link #close()} checks that exactly {@code rows * cols}
 * values were written and forces the file to the storage device. Bytes are buffered and written in large
 * aligned blocks ({@link BlockWriter}), so nothing is on disk for certain before {@link #close()}. The output is what
 * {@code np.save(path, arr)} writes for an array of that shape and dtype.
 *
 * <p>Not thread-safe.
 */
public final class NpyWriter implements AutoCloseable {

    private final Path path;
    private final FileChannel channel;
    private final DType dtype;
    private final long total;
    /** The header and values, written in large aligned blocks: see {@link BlockWriter} for why. */
    private final BlockWriter out;
    private long written;
    private boolean closed;

    private NpyWriter(Path path, FileChannel channel, DType dtype, long total, BlockWriter out) {
        this.path = path;
        this.channel = channel;
        this.dtype = dtype;
        this.total = total;
        this.out = out;
    }

    /**
     * Creates (or truncates) {@code path} and writes the header.
     *
     * @param dtype {@link DType#F32}, {@link DType#F16} or {@link DType#I32}
     * @param rows  first dimension, at least 0
     * @param cols  second dimension, at least 1
     * @throws IOException if the file cannot be written
     */
    public static NpyWriter create(Path path, DType dtype, long rows, int cols) throws IOException {
        if (dtype != DType.F32 && dtype != DType.F16 && dtype != DType.I32) {
            throw new IllegalArgumentException(".npy files are written as F32, F16 or I32, not " + dtype);
        }
        if (rows < 0 || cols < 1) {
            throw new IllegalArgumentException("shape (" + rows + ", " + cols + ") must have rows >= 0 and cols >= 1");
        }
        long total = Math.multiplyExact(rows, (long) cols);
        FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        try {
            BlockWriter out = new BlockWriter(ch, 0);
            out.put(ByteBuffer.wrap(header(dtype, rows, cols)));
            return new NpyWriter(path, ch, dtype, total, out);
        } catch (IOException | RuntimeException e) {
            SafetensorsFile.closeQuietly(ch);
            throw e;
        }
    }

    /**
     * Writes a whole float32 file in one call.
     *
     * @param data {@code rows * cols} values, row-major
     * @throws IOException if the file cannot be written
     */
    public static void write(Path path, float[] data, long rows, int cols) throws IOException {
        write(path, DType.F32, data, rows, cols);
    }

    /**
     * Writes a whole file in one call, stored as {@code dtype} (F32 or F16; F16 rounds to nearest, ties to
     * even).
     *
     * @param data {@code rows * cols} values, row-major
     * @throws IOException if the file cannot be written
     */
    public static void write(Path path, DType dtype, float[] data, long rows, int cols) throws IOException {
        try (NpyWriter w = create(path, dtype, rows, cols)) {
            w.write(data, 0, data.length);
        }
    }

    /**
     * Appends {@code length} values from {@code values[offset ..]}.
     *
     * @throws IllegalStateException if this would write more than {@code rows * cols} values
     * @throws IOException           if writing fails
     */
    public void write(float[] values, int offset, int length) throws IOException {
        write(FloatBuffer.wrap(values, offset, length));
    }

    /**
     * Appends the remaining values of {@code values} and advances its position to its limit.
     *
     * @throws IllegalStateException if this would write more than {@code rows * cols} values
     * @throws IOException           if writing fails
     */
    public void write(FloatBuffer values) throws IOException {
        if (dtype == DType.I32) {
            throw new IllegalStateException(path + " holds int32 values; write them with write(int[], int, int)");
        }
        int n = values.remaining();
        checkRoom(n);
        int es = dtype.byteSize();
        int start = values.position();
        for (int done = 0; done < n; ) {
            ByteBuffer block = out.room(es);
            int k = Math.min(block.remaining() / es, n - done);
            dtype.encode(values, start + done, block, block.position(), k);
            block.position(block.position() + k * es);
            done += k;
        }
        values.position(start + n);
        written += n;
    }

    /**
     * Appends {@code length} int32 values from {@code values[offset ..]} to a file created as {@link DType#I32}.
     *
     * @throws IllegalStateException if the file is not I32, or this would write more than {@code rows * cols}
     *                               values
     * @throws IOException           if writing fails
     */
    public void write(int[] values, int offset, int length) throws IOException {
        if (dtype != DType.I32) {
            throw new IllegalStateException(path + " holds " + dtype + " values; write int32 only to an I32 file");
        }
        java.util.Objects.checkFromIndexSize(offset, length, values.length);
        checkRoom(length);
        for (int done = 0; done < length; ) {
            ByteBuffer block = out.room(4);
            int k = Math.min(block.remaining() / 4, length - done);
            block.slice(block.position(), k * 4).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().put(values, offset + done, k);
            block.position(block.position() + k * 4);
            done += k;
        }
        written += length;
    }

    private void checkRoom(int n) {
        if (closed) {
            throw new IllegalStateException("writer for " + path + " is closed");
        }
        if (n > total - written) {
            throw new IllegalStateException("writing " + n + " values would exceed the " + total
                    + " of the declared shape (" + written + " written)");
        }
    }

    /** Values written so far. */
    public long written() {
        return written;
    }

    /**
     * Forces the file to the storage device and closes it.
     *
     * @throws IOException if fewer than {@code rows * cols} values were written (the file is then
     *                     incomplete and should be deleted) or forcing fails
     */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try (FileChannel ch = channel) {
            if (out.failure() != null) {
                throw new IOException(path + ": a write failed (" + out.failure().getMessage()
                        + "); the file is incomplete, delete it", out.failure());
            }
            out.flush(); // what was written reaches the file, complete or not
            if (written != total) {
                throw new IOException(path + ": only " + written + " of " + total
                        + " values were written; the file is incomplete, delete it");
            }
            ch.force(true);
        }
    }

    /** The header numpy writes for a C-order 2-D array: version 1.0, padded so data starts at a multiple of 64. */
    static byte[] header(DType dtype, long rows, int cols) {
        String descr = dtype == DType.F32 ? "<f4" : dtype == DType.I32 ? "<i4" : "<f2";
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + rows + ", " + cols + "), }";
        int unpadded = 10 + dict.length() + 1; // preamble + dict + '\n'
        int padded = (unpadded + 63) / 64 * 64;
        StringBuilder sb = new StringBuilder(dict);
        sb.append(" ".repeat(padded - unpadded)).append('\n');
        byte[] text = sb.toString().getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer b = ByteBuffer.allocate(10 + text.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(NpyFile.MAGIC).put((byte) 1).put((byte) 0).putShort((short) text.length).put(text);
        return b.array();
    }
}

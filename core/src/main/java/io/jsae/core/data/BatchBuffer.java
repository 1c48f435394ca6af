package io.jsae.core.data;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * Memory to read batches of rows into ({@link ActivationSource#read}, {@link ActivationSource#readStored}): it
 * starts on a 2 MiB boundary and asks the kernel for 2 MiB pages before it is first touched.
 *
 * <p>Why: the loader writes a batch once per read, with non-temporal stores, and a batch of thousands of rows is
 * larger than the TLB covers in 4 KiB pages (a 64 MiB batch spans 16384 of them), so every 4 KiB written costs a
 * page walk. On 2 MiB pages the loader ran 10-16% faster on this project's AMD host (docs/performance.md). In
 * the "madvise" mode of transparent huge pages (a common default) Linux backs memory with 2 MiB pages only where
 * asked, and only memory not yet touched: {@link ByteBuffer#allocateDirect} zeroes (touches) its memory at once,
 * and memory reused by {@code malloc} may have been touched, so this is a fresh mapping of its own.
 *
 * <p>Where the kernel refuses (no transparent huge pages, not Linux) the memory still works, on small pages
 * ({@link #hugePages()} false); where the native library is not loaded, it is an ordinary direct buffer. The
 * memory is not zeroed.
 *
 * <p>The memory is this object's: {@link #close()} frees it at once, and the garbage collector never does (a view
 * of the memory may outlive this object). No view of it may be used after {@link #close()}: close a source
 * reading into it, or cancel its read-ahead, first. Thread-safe.
 */
public final class BatchBuffer implements AutoCloseable {

    private final long capacity;
    private final Pointer memory; // null: a plain direct buffer
    private final boolean hugePages;
    private final ByteBuffer bytes;
    private final FloatBuffer floats;
    private boolean closed;

    private BatchBuffer(long capacity, Pointer memory, boolean hugePages, ByteBuffer bytes) {
        this.capacity = capacity;
        this.memory = memory;
        this.hugePages = hugePages;
        this.bytes = bytes.order(ByteOrder.nativeOrder());
        this.floats = this.bytes.duplicate().order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    /**
     * Allocates {@code bytes} bytes of memory for batches.
     *
     * @param bytes the size; at most {@link Integer#MAX_VALUE} (a buffer's limit)
     * @return the memory, on 2 MiB pages where the system allows
     * @throws IllegalArgumentException if {@code bytes} is not in [1, {@link Integer#MAX_VALUE}]
     * @throws OutOfMemoryError         if the memory cannot be allocated
     */
    public static BatchBuffer allocate(long bytes) {
        if (bytes < 1 || bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a batch buffer holds 1 to " + Integer.MAX_VALUE + " bytes, not " + bytes);
        }
        if (!NativeDecoding.available()) {
            return new BatchBuffer(bytes, null, false, ByteBuffer.allocateDirect((int) bytes));
        }
        int[] advice = new int[1];
        Pointer p = NativeDecoding.jsae_batch_alloc(bytes, advice);
        if (p == null || p.isNull()) {
            throw new OutOfMemoryError("cannot allocate a batch buffer of " + bytes + " bytes");
        }
        BytePointer b = new BytePointer(p);
        b.capacity(bytes).limit(bytes);
        return new BatchBuffer(bytes, p, advice[0] == 0, b.asByteBuffer());
    }

    /**
     * Memory for {@code rows} rows of {@code dIn} float32 values: {@code rows × dIn × 4} bytes.
     *
     * @param rows rows of a batch, at least 1
     * @param dIn  values per row, at least 1
     * @return the memory
     * @throws IllegalArgumentException if either is below 1 or the batch exceeds {@link Integer#MAX_VALUE} bytes
     */
    public static BatchBuffer forRows(int rows, int dIn) {
        if (rows < 1 || dIn < 1) {
            throw new IllegalArgumentException("rows and dIn must be >= 1, were " + rows + " and " + dIn);
        }
        return allocate((long) rows * dIn * Float.BYTES);
    }

    /** @return the size in bytes */
    public long capacity() {
        return capacity;
    }

    /**
     * Whether the kernel took the request for 2 MiB pages (it backs the memory with them as it is touched, as far
     * as it has them free).
     *
     * @return false on small pages or an ordinary direct buffer
     */
    public boolean hugePages() {
        return hugePages;
    }

    /**
     * The memory as bytes in the machine's order: the same buffer on every call (a source matches a read to its
     * read-ahead by buffer), so its position and limit are the caller's to set.
     *
     * @return the byte view
     * @throws IllegalStateException after {@link #close()}
     */
    public synchronized ByteBuffer bytes() {
        checkOpen();
        return bytes;
    }

    /**
     * The memory as float32 values in the machine's order: the same buffer on every call.
     *
     * @return the float view
     * @throws IllegalStateException after {@link #close()}
     */
    public synchronized FloatBuffer floats() {
        checkOpen();
        return floats;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the batch buffer is closed");
        }
    }

    /** Frees the memory (an ordinary direct buffer is left to the garbage collector); idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (memory != null) {
            NativeDecoding.jsae_batch_free(memory, capacity);
        }
    }

    @Override
    public String toString() {
        return "BatchBuffer[" + capacity + " bytes" + (hugePages ? ", 2 MiB pages" : "") + (closed ? ", closed" : "") + "]";
    }
}

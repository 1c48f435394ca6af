package io.jsae.core.data;

import io.jsae.core.io.DType;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

import java.lang.invoke.MethodHandle;
import java.lang.ref.Cleaner;
import java.lang.ref.WeakReference;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Direct buffers: memory to read batches into ({@link #allocateBatch}), a byte view of a caller's float buffer
 * ({@link #bytesOf}), the loader's bare copy of float32 rows ({@link #copyFloats}, for measuring the loader against
 * it), and release at once instead of at some later garbage collection ({@link #free}). The caller of
 * {@code free} must guarantee that no thread touches the buffer, or a view of it, afterwards.
 */
public final class DirectBuffers {

    private static final MethodHandle INVOKE_CLEANER = find();
    private static final boolean POINTERS = loadPointers();
    /** Each live buffer of {@link #allocateBatch}, by address, for {@link #free}. */
    private static final Map<Long, Batch> BATCHES = new ConcurrentHashMap<>();

    /**
     * A buffer of {@link #allocateBatch} and its release. The buffer is held weakly: an address alone may belong to a
     * later buffer once this one's memory is gone, so {@link #free} releases only for the very buffer returned.
     */
    private record Batch(WeakReference<ByteBuffer> buffer, Cleaner.Cleanable release) {
    }

    /** Made on first use: a Cleaner runs a thread. */
    private static final class BatchCleaner {
        static final Cleaner CLEANER = Cleaner.create();
    }

    private DirectBuffers() {
    }

    private static MethodHandle find() {
        try {
            Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
            Field f = unsafeClass.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            Object unsafe = f.get(null);
            return MethodHandles.lookup()
                    .findVirtual(unsafeClass, "invokeCleaner", MethodType.methodType(void.class, ByteBuffer.class))
                    .bindTo(unsafe);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    /**
     * A direct buffer of {@code bytes} bytes, in the machine's byte order, for batches of rows to be read into
     * ({@link ActivationSource#read}, {@link ActivationSource#readStored}): memory that starts on a 2 MiB boundary
     * and asks the kernel for 2 MiB pages before it is first touched.
     *
     * <p>Why: the loader writes a batch once per read, with non-temporal stores, and a batch of thousands of rows
     * spans more 4 KiB pages than the TLB holds (a 64 MiB batch spans 16384), so every 4 KiB written costs a page
     * walk. On 2 MiB pages the loader ran 0-14% faster (per case, over two runs) on this project's AMD host
     * (docs/performance.md). In the "madvise" mode of transparent huge pages (a common default)
     * Linux gives 2 MiB pages only where asked, and only to memory not yet touched: {@link ByteBuffer#allocateDirect} zeroes (touches) its memory at once, and memory
     * that {@code malloc} reuses may have been touched, so this is a fresh mapping of its own. Whether the kernel
     * does back it with 2 MiB pages depends on its settings and free memory; where it does not, or on another
     * system, the memory works the same on small pages.
     *
     * <p>The garbage collector frees the memory once neither the buffer nor any view of it ({@code duplicate},
     * {@code slice}, {@code asFloatBuffer}) is reachable, and {@link #free} frees it at once. Unlike
     * {@code allocateDirect}'s, this memory is not zeroed, it counts whole 2 MiB pages, and the collector does not
     * see it (no {@code MaxDirectMemorySize}, no collection when it runs short): allocate batches once and reuse
     * them, or free them. Where the native library is not loaded, this is a page-aligned slice of
     * {@code ByteBuffer.allocateDirect}, left to the garbage collector.
     *
     * @param bytes the size, at least 1
     * @return the buffer, position 0, limit and capacity {@code bytes}
     * @throws IllegalArgumentException if {@code bytes} is below 1
     * @throws OutOfMemoryError         if the memory cannot be had
     */
    public static ByteBuffer allocateBatch(int bytes) {
        if (bytes < 1) {
            throw new IllegalArgumentException("a batch buffer needs at least 1 byte, not " + bytes);
        }
        if (!NativeDecoding.available() || !POINTERS) { // on a page: 16 bytes past one, reads into it run slowly
            return ByteBuffer.allocateDirect(bytes + 4096).alignedSlice(4096).limit(bytes).slice()
                    .order(ByteOrder.nativeOrder());
        }
        int[] status = new int[1];
        Pointer memory = NativeDecoding.jsae_batch_alloc(bytes, status);
        if (memory == null || memory.isNull()) {
            throw new OutOfMemoryError("cannot map " + bytes + " bytes for a batch buffer (error " + status[0] + ")");
        }
        // a buffer made by JNI: its views keep it reachable, and the Cleaner frees the memory after it
        ByteBuffer buffer = new BytePointer(memory).capacity(bytes).limit(bytes).asByteBuffer().order(ByteOrder.nativeOrder());
        long address = memory.address();
        Cleaner.Cleanable release = BatchCleaner.CLEANER.register(buffer, () -> {
            BATCHES.remove(address); // before the unmap: a later buffer may get the address after it
            NativeDecoding.jsae_batch_free(memory, bytes);
        });
        BATCHES.put(address, new Batch(new WeakReference<>(buffer), release));
        return buffer;
    }

    /** Whether a buffer of {@link #allocateBatch} at {@code address} still holds its memory: for tests. */
    static boolean batchLive(long address) {
        return BATCHES.containsKey(address);
    }

    /**
     * Frees a direct buffer's memory now instead of at some later garbage collection: a buffer that
     * {@link #allocateBatch} returned (that buffer, not a view of it), or one of {@link ByteBuffer#allocateDirect} or
     * a mapping (not a slice or duplicate), through {@code sun.misc.Unsafe.invokeCleaner} of module
     * jdk.unsupported when present (otherwise such buffers are left to the garbage collector). Anything else, and a
     * buffer already freed, is left alone. No thread may touch the buffer, or any view of it, afterwards: the memory
     * is gone, and a touch may crash the process.
     *
     * @param buffer the buffer, or null
     */
    public static void free(ByteBuffer buffer) {
        if (buffer == null || !buffer.isDirect()) {
            return;
        }
        if (!BATCHES.isEmpty() && POINTERS) {
            Batch batch = BATCHES.get(new Pointer(buffer).address());
            if (batch != null && batch.buffer().get() == buffer) {
                batch.release().clean(); // runs the release once, whoever calls first
                return;
            }
            if (batch != null) {
                return; // a view of a batch buffer, or a freed one whose address a later buffer has now
            }
        }
        if (INVOKE_CLEANER == null) {
            return;
        }
        try {
            INVOKE_CLEANER.invokeExact(buffer);
        } catch (Throwable ignored) {
            // left to the garbage collector
        }
    }

    /**
     * A byte view (native order) of the whole memory of a direct float buffer, from its index 0 to its capacity,
     * so that a file can be read straight into the buffer a caller passed as floats. Null if JavaCPP's native
     * library cannot be loaded or the buffer holds more than a byte buffer can (2 GiB); the caller then reads
     * through a copy. The view does not keep the memory alive: keep {@code floats} reachable while it is used.
     *
     * @param floats a float buffer
     * @return the bytes of its whole memory, or null
     */
    public static ByteBuffer bytesOf(FloatBuffer floats) {
        long bytes = (long) floats.capacity() * Float.BYTES;
        if (!floats.isDirect() || !POINTERS || bytes > Integer.MAX_VALUE) {
            return null;
        }
        FloatPointer at = new FloatPointer(floats.duplicate().clear());
        BytePointer b = new BytePointer(at);
        b.position(0).limit(bytes).capacity(bytes);
        return b.asByteBuffer().order(ByteOrder.nativeOrder());
    }

    /**
     * Copies {@code count} float32 values from byte {@code srcIndex} of {@code src} to byte {@code dstIndex} of
     * {@code dst} (both direct, for instance a memory mapping of a shard and a batch buffer) the way the loader
     * copies shard rows, without the loader: one native call that checks every value for NaN and infinity on the
     * way, with non-temporal stores if {@code streaming} (the destination is written to memory without first being
     * read into the CPU cache). Benchmarks use it as the floor of a loader: the same copy with no work around it.
     *
     * @param src       the direct buffer to copy from
     * @param srcIndex  first byte of {@code src} copied
     * @param dst       the direct buffer to copy into
     * @param dstIndex  byte of {@code dst} the first value goes to
     * @param count     float32 values to copy
     * @param streaming whether to write with non-temporal stores (on CPUs with AVX2)
     * @return whether any value copied is NaN or infinite
     * @throws UnsupportedOperationException where the native copy is not loaded (the loader then reads with
     *                                       positional reads)
     * @throws IndexOutOfBoundsException     if either range lies outside its buffer
     */
    public static boolean copyFloats(ByteBuffer src, long srcIndex, ByteBuffer dst, long dstIndex, int count,
                                     boolean streaming) {
        if (!NativeDecoding.available()) {
            throw new UnsupportedOperationException("the native row copy (jniNativeDecoding) is not loaded");
        }
        java.util.Objects.checkFromIndexSize(srcIndex, 4L * count, src.capacity());
        java.util.Objects.checkFromIndexSize(dstIndex, 4L * count, dst.capacity());
        return NativeDecoding.copyRows(src, srcIndex, dst, dstIndex, null, 1, count, DType.F32, false, streaming,
                new int[1]) != 0;
    }

    private static boolean loadPointers() {
        try {
            ByteBuffer probe = ByteBuffer.allocateDirect(8);
            return new BytePointer(probe).capacity(8).asByteBuffer().capacity() == 8; // loads JavaCPP's library
        } catch (Throwable t) {
            org.slf4j.LoggerFactory.getLogger(DirectBuffers.class).warn(
                    "JavaCPP pointers unavailable ({}); activations are read through a copy", t.toString());
            return false;
        }
    }
}

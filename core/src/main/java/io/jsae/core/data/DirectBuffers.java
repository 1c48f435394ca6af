package io.jsae.core.data;

import io.jsae.core.io.DType;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * Direct buffers: a byte view of a caller's float buffer ({@link #bytesOf}), the loader's bare copy of float32
 * rows ({@link #copyFloats}, for measuring the loader against it), and release at once instead of at
 * some later garbage collection ({@link #free}, through {@code sun.misc.Unsafe.invokeCleaner} of module
 * jdk.unsupported when present; otherwise buffers are left to the garbage collector). The caller of
 * {@code free} must guarantee that no thread touches the buffer, or a view of it, afterwards.
 */
public final class DirectBuffers {

    private static final MethodHandle INVOKE_CLEANER = find();
    private static final boolean POINTERS = loadPointers();

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

    /** Frees a direct buffer obtained from allocateDirect (not a slice or duplicate). */
    static void free(ByteBuffer buffer) {
        if (buffer == null || !buffer.isDirect() || INVOKE_CLEANER == null) {
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
     * through a copy.
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

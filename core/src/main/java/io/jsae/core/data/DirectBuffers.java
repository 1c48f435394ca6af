package io.jsae.core.data;

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
 * Direct buffers: a byte view of a caller's float buffer ({@link #bytesOf}), and release at once instead of at
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

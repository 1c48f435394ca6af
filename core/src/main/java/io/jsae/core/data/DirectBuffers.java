package io.jsae.core.data;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;

/**
 * Releases direct buffers at once instead of at some later garbage collection, through
 * {@code sun.misc.Unsafe.invokeCleaner} (module jdk.unsupported) when present. The caller must guarantee
 * that no thread touches the buffer, or a view of it, afterwards. Where the method is missing, buffers are
 * left to the garbage collector.
 */
final class DirectBuffers {

    private static final MethodHandle INVOKE_CLEANER = find();

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
}

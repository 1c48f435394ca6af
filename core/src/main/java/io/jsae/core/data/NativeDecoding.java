package io.jsae.core.data;

import io.jsae.core.io.DType;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Name;
import org.bytedeco.javacpp.annotation.Platform;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;

/**
 * JavaCPP binding of {@code src/main/cpp/jsae_decode.h}: float16 and bfloat16 shard bytes to float32 with the
 * non-finite check in the same pass, vectorized (the CPU's F16C conversion where it has one), and the check
 * alone, for float32 rows and for half-precision rows passed on undecoded; and the loader's copy of rows out of
 * a memory-mapped shard ({@link #copyRows}, with the conversion and the check in the same pass); and memory on
 * 2 MiB pages for batches ({@link DirectBuffers#allocateBatch}). A library of
 * its own (jniNativeDecoding), without libtorch, so that reading activations never loads the CPU backend. When
 * it cannot be loaded (no C++ compiler at build time, another platform), {@link #available()} is false,
 * {@link Decoding} converts in Java and shards are read with positional reads.
 */
@Platform(include = "jsae_decode.h", compiler = "cpp11")
final class NativeDecoding {
    private static final boolean AVAILABLE = load();

    private static final ThreadLocal<Pointers> POINTERS = ThreadLocal.withInitial(Pointers::new);

    private NativeDecoding() {
    }

    /**
     * The pointers of the buffers a thread used last (two byte buffers, one float buffer), made from position-0
     * views so that indexes are absolute: a loading thread calls in once per row, with the same few buffers, and
     * making a pointer costs more than a row's check.
     */
    private static final class Pointers {
        private final ByteBuffer[] bytes = new ByteBuffer[2];
        private final BytePointer[] bytePointers = new BytePointer[2];
        private int older;
        private FloatBuffer floats;
        private FloatPointer floatPointer;

        BytePointer bytes(ByteBuffer b) {
            for (int i = 0; i < 2; i++) {
                if (bytes[i] == b) {
                    older = 1 - i;
                    return bytePointers[i];
                }
            }
            int i = older;
            older = 1 - i;
            bytes[i] = b;
            bytePointers[i] = new BytePointer(b.duplicate().clear());
            return bytePointers[i];
        }

        FloatPointer floats(FloatBuffer f) {
            if (floats != f) {
                floats = f;
                floatPointer = new FloatPointer(f.duplicate().clear());
            }
            return floatPointer;
        }
    }

    private static boolean load() {
        if (Boolean.getBoolean("jsae.decode.java")) {
            return false; // forced Java path, for comparisons
        }
        try {
            Loader.load(NativeDecoding.class);
            return true;
        } catch (Throwable t) {
            org.slf4j.LoggerFactory.getLogger(NativeDecoding.class).warn(
                    "native activation decoding unavailable ({}); float16/bfloat16 shards are converted in Java", t.toString());
            return false;
        }
    }

    /** @return whether the native conversion is loaded */
    static boolean available() {
        return AVAILABLE;
    }

    /**
     * Decodes {@code n} float16 ({@code bf16} false) or bfloat16 values from byte {@code srcIndex} of the direct
     * buffer {@code src} into the direct buffer {@code dst} from float index {@code dstIndex}.
     *
     * @return whether any value is NaN or infinite
     */
    static boolean halfToFloat32(boolean bf16, ByteBuffer src, int srcIndex, FloatBuffer dst, int dstIndex, int n) {
        Pointers cache = POINTERS.get();
        BytePointer from = cache.bytes(src).position(srcIndex);
        FloatPointer to = cache.floats(dst).position(dstIndex);
        return (bf16 ? jsae_decode_bf16(from, to, n) : jsae_decode_f16(from, to, n)) != 0;
    }

    /**
     * Whether any of {@code n} values of {@code type} (F16, BF16, or F32 on a little-endian machine) from byte
     * {@code index} of the direct buffer {@code src} is NaN or infinite.
     */
    static boolean anyNonFiniteStored(DType type, ByteBuffer src, int index, int n) {
        BytePointer p = POINTERS.get().bytes(src).position(index);
        return switch (type) {
            case F16 -> jsae_check_f16(p, n) != 0;
            case BF16 -> jsae_check_bf16(p, n) != 0;
            case F32 -> jsae_check_f32_bytes(p, n) != 0;
            default -> throw new IllegalArgumentException("no stored check for " + type);
        };
    }

    /**
     * The index of the first of {@code rows} rows of {@code n} values of {@code type} (F16, BF16, or F32 on a
     * little-endian machine) holding NaN or infinity, row {@code r} starting at byte {@code offsets[r]} of the
     * direct buffer {@code base}; -1 if none. One call for the scattered rows of a piece.
     */
    static int firstNonFiniteRow(DType type, ByteBuffer base, long[] offsets, int rows, int n) {
        BytePointer p = POINTERS.get().bytes(base).position(0);
        return jsae_first_bad_row(p, offsets, rows, n, typeCode(type));
    }

    /**
     * Copies {@code rows} consecutive rows of {@code n} values of {@code type} from byte {@code srcIndex} of the
     * mapped (or other direct) buffer {@code src} into the direct buffer {@code dst}: row j to byte
     * {@code dstOffsets[j]}, or to byte {@code dstFirst + j * rowBytes} when {@code dstOffsets} is null; as
     * stored, or widened to float32 ({@code widen}, F16/BF16 only); with non-temporal stores if
     * {@code streaming}.
     *
     * @param badRows receives the indexes of the rows holding NaN or infinity, ascending; room for {@code rows}
     * @return how many rows hold NaN or infinity
     */
    static int copyRows(ByteBuffer src, long srcIndex, ByteBuffer dst, long dstFirst, long[] dstOffsets, int rows,
                        int n, DType type, boolean widen, boolean streaming, int[] badRows) {
        if (!src.isDirect() || !dst.isDirect()) {
            throw new IllegalArgumentException("native row copies need direct buffers");
        }
        BytePointer to = POINTERS.get().bytes(dst).position(0);
        // src goes as a buffer argument: it stays reachable (mapped) for the whole call
        return jsae_copy_rows(src, srcIndex, to, dstFirst, dstOffsets, rows, n, typeCode(type), widen ? 1 : 0,
                streaming ? 1 : 0, badRows);
    }

    private static int typeCode(DType type) {
        return switch (type) {
            case F32 -> 0;
            case F16 -> 1;
            case BF16 -> 2;
            default -> throw new IllegalArgumentException("no native rows of " + type);
        };
    }

    static native int jsae_copy_rows(@Cast("const char*") ByteBuffer src, long srcOffset, @Cast("char*") BytePointer dst,
                                     long dstFirst, @Cast("const int64_t*") long[] dstOffsets, int rows, long n, int type,
                                     int widen, int streaming, @Cast("int32_t*") int[] badRows);

    /**
     * Asks the kernel to start reading bytes {@code [index, index + length)} of the mapped buffer {@code mapping}
     * into the page cache, and returns without waiting for them.
     */
    static void adviseWillNeed(ByteBuffer mapping, long index, long length) {
        jsae_advise_will_need(mapping, index, length);
    }

    static native void jsae_advise_will_need(@Cast("const char*") ByteBuffer base, long offset, long length);

    /** Memory for {@link DirectBuffers#allocateBatch}; null if none. */
    static native Pointer jsae_batch_alloc(long bytes, @Cast("int32_t*") int[] status);

    static native void jsae_batch_free(Pointer p, long bytes);

    static native int jsae_first_bad_row(@Cast("const char*") BytePointer base, @Cast("const int64_t*") long[] offsets,
                                         int rows, long n, int type);

    @Name("jsae_check_f32")
    static native int jsae_check_f32_bytes(@Cast("const float*") BytePointer src, long n);

    static native int jsae_check_f16(@Cast("const uint16_t*") BytePointer src, long n);

    static native int jsae_check_bf16(@Cast("const uint16_t*") BytePointer src, long n);

    static native int jsae_decode_f16(@Cast("const uint16_t*") BytePointer src, FloatPointer dst, long n);

    static native int jsae_decode_bf16(@Cast("const uint16_t*") BytePointer src, FloatPointer dst, long n);

}

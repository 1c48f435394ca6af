package io.jsae.core.data;

import io.jsae.core.io.DType;
import io.jsae.core.io.HalfFloats;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * Converts shard bytes to float32 and finds non-finite values in the same pass, so that a converted value is
 * never read back just to be checked.
 */
final class Decoding {

    /** Values from which the native check is worth a JNI call. */
    private static final int NATIVE_CHECK_VALUES = 256;
    private static final boolean LITTLE_ENDIAN_MACHINE = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    private Decoding() {
    }

    /**
     * Decodes {@code n} little-endian values of {@code type} (F32, F16 or BF16) from byte {@code srcIndex} of
     * {@code src} into {@code dst} from float index {@code dstIndex}.
     *
     * @return whether any value is NaN or infinite
     */
    static boolean toFloat32(DType type, ByteBuffer src, int srcIndex, FloatBuffer dst, int dstIndex, int n) {
        if (type != DType.F32 && NativeDecoding.available() && src.isDirect() && dst.isDirect()
                && dst.order() == ByteOrder.nativeOrder()) { // the native code writes floats in the machine's order
            return NativeDecoding.halfToFloat32(type == DType.BF16, src, srcIndex, dst, dstIndex, n);
        }
        return inJava(type, src, srcIndex, dst, dstIndex, n);
    }

    /** {@link #toFloat32} in Java: the reference of the native conversion, and its fallback. */
    static boolean inJava(DType type, ByteBuffer src, int srcIndex, FloatBuffer dst, int dstIndex, int n) {
        int acc = 0;
        switch (type) {
            case F16:
                // all-ones 5-bit exponent (0x7c00) plus 0x0400 carries into bit 15, and only it
                for (int i = 0; i < n; i++) {
                    short h = src.getShort(srcIndex + 2 * i);
                    acc |= (h & 0x7c00) + 0x0400;
                    dst.put(dstIndex + i, HalfFloats.f16ToFloat(h));
                }
                return (acc & 0x8000) != 0;
            case BF16:
                for (int i = 0; i < n; i++) {
                    short h = src.getShort(srcIndex + 2 * i);
                    acc |= (h & 0x7f80) + 0x0080;
                    dst.put(dstIndex + i, Float.intBitsToFloat((h & 0xffff) << 16));
                }
                return (acc & 0x8000) != 0;
            case F32:
                for (int i = 0; i < n; i++) {
                    float v = src.getFloat(srcIndex + 4 * i);
                    acc |= (Float.floatToRawIntBits(v) & 0x7f800000) + 0x00800000;
                    dst.put(dstIndex + i, v);
                }
                return acc < 0;
            default:
                throw new IllegalArgumentException("activations are read from F32, F16 or BF16, not " + type);
        }
    }

    /**
     * Whether any of {@code n} little-endian values of {@code type} (F32, F16 or BF16) from byte {@code index} of
     * {@code src} is NaN or infinite: the check of rows passed on as stored.
     */
    static boolean anyNonFinite(DType type, ByteBuffer src, int index, int n) {
        if (n >= NATIVE_CHECK_VALUES && NativeDecoding.available() && src.isDirect()
                && (type != DType.F32 || LITTLE_ENDIAN_MACHINE)) {
            return NativeDecoding.anyNonFiniteStored(type, src, index, n); // vectorized; worth a JNI call
        }
        ByteBuffer le = littleEndian(src);
        int acc = 0;
        switch (type) {
            case F16:
                for (int i = 0; i < n; i++) {
                    acc |= (le.getShort(index + 2 * i) & 0x7c00) + 0x0400;
                }
                return (acc & 0x8000) != 0;
            case BF16:
                for (int i = 0; i < n; i++) {
                    acc |= (le.getShort(index + 2 * i) & 0x7f80) + 0x0080;
                }
                return (acc & 0x8000) != 0;
            case F32:
                long pairs = 0; // two floats per long: the test is the same for both halves
                int i = 0;
                for (; i + 2 <= n; i += 2) {
                    pairs |= (le.getLong(index + 4 * i) & 0x7f8000007f800000L) + 0x0080000000800000L;
                }
                for (; i < n; i++) {
                    acc |= (le.getInt(index + 4 * i) & 0x7f800000) + 0x00800000;
                }
                return acc < 0 || (pairs & 0x8000000080000000L) != 0;
            default:
                throw new IllegalArgumentException("activations are read from F32, F16 or BF16, not " + type);
        }
    }

    /**
     * Whether any of {@code rows} rows of {@code n} values of {@code type} from the byte offsets {@code offsets[0,
     * rows)} of {@code src} holds NaN or infinity: the check of a piece's scattered rows, in one native call.
     */
    static boolean anyNonFiniteRow(DType type, ByteBuffer src, long[] offsets, int rows, int n) {
        if (NativeDecoding.available() && src.isDirect() && (type != DType.F32 || LITTLE_ENDIAN_MACHINE)) {
            return NativeDecoding.firstNonFiniteRow(type, src, offsets, rows, n) >= 0;
        }
        for (int r = 0; r < rows; r++) {
            if (anyNonFinite(type, src, Math.toIntExact(offsets[r]), n)) {
                return true;
            }
        }
        return false;
    }

    /** Index of the first non-finite of {@code n} floats of {@code b} from index {@code index} on, or -1. */
    static int firstNonFinite(FloatBuffer b, int index, int n) {
        for (int i = 0; i < n; i++) {
            if (!Float.isFinite(b.get(index + i))) {
                return i;
            }
        }
        return -1;
    }

    private static ByteBuffer littleEndian(ByteBuffer b) {
        return b.order() == ByteOrder.LITTLE_ENDIAN ? b : b.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Column of the first NaN or infinity of the {@code n} stored values from byte {@code index}, or -1. */
    static int firstNonFinite(DType type, ByteBuffer src, int index, int n) {
        for (int i = 0; i < n; i++) {
            if (!Float.isFinite(storedValue(type, src, index, i))) {
                return i;
            }
        }
        return -1;
    }

    /** Value {@code i} of the stored values from byte {@code index}, as float32. */
    static float storedValue(DType type, ByteBuffer src, int index, int i) {
        ByteBuffer le = littleEndian(src);
        return switch (type) {
            case F16 -> HalfFloats.f16ToFloat(le.getShort(index + 2 * i));
            case BF16 -> HalfFloats.bf16ToFloat(le.getShort(index + 2 * i));
            case F32 -> le.getFloat(index + 4 * i);
            default -> throw new IllegalArgumentException("activations are read from F32, F16 or BF16, not " + type);
        };
    }
}

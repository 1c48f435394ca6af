package io.jsae.core.data;

import io.jsae.core.io.DType;
import io.jsae.core.io.HalfFloats;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;

/**
 * Converts shard bytes to float32 and finds non-finite values in the same pass, so that a converted value is
 * never read back just to be checked.
 */
final class Decoding {

    private Decoding() {
    }

    /**
     * Decodes {@code n} little-endian values of {@code type} (F32, F16 or BF16) from byte {@code srcIndex} of
     * {@code src} into {@code dst} from float index {@code dstIndex}.
     *
     * @return whether any value is NaN or infinite
     */
    static boolean toFloat32(DType type, ByteBuffer src, int srcIndex, FloatBuffer dst, int dstIndex, int n) {
        if (type != DType.F32 && NativeDecoding.available() && src.isDirect() && dst.isDirect()) {
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
}

package io.jsae.core.io;

/**
 * Conversions between float32 and the two 16-bit float formats of tensor files: IEEE 754 binary16
 * ({@code F16}, numpy {@code float16}) and bfloat16 ({@code BF16}).
 *
 * <p>Decoding is exact (every 16-bit value is a float32 value), including subnormals, infinities and NaN.
 * Encoding rounds to nearest, ties to even, as numpy and PyTorch do: float32 values beyond the largest
 * finite 16-bit value by half a unit or more become infinity, NaN stays NaN (quiet), and tiny values
 * become subnormals or signed zero.
 */
public final class HalfFloats {

    /** All 65536 binary16 values decoded, indexed by the unsigned bit pattern. */
    private static final float[] F16_TABLE = new float[1 << 16];

    static {
        for (int i = 0; i < F16_TABLE.length; i++) {
            F16_TABLE[i] = decodeF16(i);
        }
    }

    private HalfFloats() {
    }

    /**
     * Decodes an IEEE 754 binary16 value.
     *
     * @param bits the 16 bits, as stored in the file (little-endian already undone)
     * @return the exactly equal float32 value
     */
    public static float f16ToFloat(short bits) {
        return F16_TABLE[bits & 0xffff];
    }

    /**
     * Encodes a float32 as IEEE 754 binary16, rounding to nearest, ties to even.
     *
     * @param value any float, including NaN and infinities
     * @return the 16 bits of the nearest binary16 value
     */
    public static short floatToF16(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7fffffff;
        if (abs >= 0x7f800000) {
            if (abs == 0x7f800000) {
                return (short) (sign | 0x7c00);
            }
            return (short) (sign | 0x7e00 | ((abs >>> 13) & 0x3ff)); // quiet NaN, top payload bits kept
        }
        if (abs >= 0x477ff000) { // >= 65520: halfway to the next power of two rounds to infinity
            return (short) (sign | 0x7c00);
        }
        if (abs >= 0x38800000) { // normal binary16 range, >= 2^-14
            int h = (abs - 0x38000000) >>> 13; // rebias exponent by 112 and drop 13 mantissa bits
            int rem = abs & 0x1fff;
            if (rem > 0x1000 || (rem == 0x1000 && (h & 1) != 0)) {
                h++;
            }
            return (short) (sign | h);
        }
        if (abs <= 0x33000000) { // <= 2^-25: rounds to zero (exactly 2^-25 is a tie, zero is even)
            return (short) sign;
        }
        int e = abs >>> 23;
        int mant = (abs & 0x7fffff) | 0x800000;
        int shift = 126 - e; // 14..24
        int m = mant >>> shift;
        int rem = mant & ((1 << shift) - 1);
        int half = 1 << (shift - 1);
        if (rem > half || (rem == half && (m & 1) != 0)) {
            m++;
        }
        return (short) (sign | m);
    }

    /**
     * Decodes a bfloat16 value (the upper half of a float32).
     *
     * @param bits the 16 bits, as stored in the file (little-endian already undone)
     * @return the exactly equal float32 value
     */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    /**
     * Encodes a float32 as bfloat16, rounding to nearest, ties to even; NaN stays a quiet NaN.
     *
     * @param value any float
     * @return the 16 bits of the nearest bfloat16 value
     */
    public static short floatToBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        int rounded = bits + 0x7fff + ((bits >>> 16) & 1);
        return (short) (rounded >>> 16);
    }

    private static float decodeF16(int h) {
        int sign = (h & 0x8000) << 16;
        int e = (h >>> 10) & 0x1f;
        int m = h & 0x3ff;
        if (e == 0) {
            float magnitude = m * 0x1p-24f; // exact: m < 2^10
            return Float.intBitsToFloat(sign | Float.floatToRawIntBits(magnitude));
        }
        if (e == 31) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (m << 13));
        }
        return Float.intBitsToFloat(sign | ((e + 112) << 23) | (m << 13));
    }
}

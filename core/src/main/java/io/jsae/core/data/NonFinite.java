package io.jsae.core.data;

import java.nio.ByteBuffer;

/** Finds NaN and infinities in float32 data held in a byte buffer (either byte order). */
final class NonFinite {

    private static final long EXP = 0x7f8000007f800000L;
    private static final long ONE = 0x0080000000800000L;
    private static final long TOP = 0x8000000080000000L;

    private NonFinite() {
    }

    /**
     * Whether any of {@code n} floats from byte {@code index} has an all-ones exponent. Two floats per step:
     * adding 1 to an all-ones 8-bit exponent, and only to that, carries into its lane's top bit.
     */
    static boolean anyIn(ByteBuffer b, int index, int n) {
        long acc = 0;
        int i = 0;
        for (; i + 1 < n; i += 2) {
            acc |= (b.getLong(index + 4 * i) & EXP) + ONE;
        }
        if (i < n) {
            acc |= ((b.getInt(index + 4 * i) & 0x7f800000L) + 0x00800000L) << 32;
        }
        return (acc & TOP) != 0;
    }

    /** Index of the first non-finite of {@code n} floats from byte {@code index}, or -1. */
    static int first(ByteBuffer b, int index, int n) {
        for (int i = 0; i < n; i++) {
            if (!Float.isFinite(b.getFloat(index + 4 * i))) {
                return i;
            }
        }
        return -1;
    }
}

package io.jsae.core.data;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;

/** Finds NaN and infinities in float32 data. */
final class NonFinite {

    private NonFinite() {
    }

    /**
     * Whether any of {@code n} floats from index {@code index} has an all-ones exponent (NaN or infinity):
     * adding 1 to an all-ones 8-bit exponent, and only to that, carries into the sign bit.
     */
    static boolean anyIn(FloatBuffer b, int index, int n) {
        int acc = 0;
        for (int i = 0; i < n; i++) {
            acc |= (Float.floatToRawIntBits(b.get(index + i)) & 0x7f800000) + 0x00800000;
        }
        return acc < 0;
    }

    /**
     * As {@link #anyIn(FloatBuffer, int, int)} for the {@code 2 * n} floats held in {@code n} longs from long
     * index {@code index} of a view of the same memory; about three times faster. The test is the same for
     * both floats of a long, whatever the byte order.
     */
    static boolean anyInPairs(LongBuffer b, int index, int n) {
        long acc = 0;
        for (int i = 0; i < n; i++) {
            acc |= (b.get(index + i) & 0x7f8000007f800000L) + 0x0080000000800000L;
        }
        return (acc & 0x8000000080000000L) != 0;
    }

    /**
     * Whether any of {@code n} floats from index {@code index} of {@code floats} is NaN or infinite, reading
     * pairs through {@code longs}, a long view of the same memory, where the index is even.
     */
    static boolean anyIn(FloatBuffer floats, LongBuffer longs, int index, int n) {
        if (n >= 4096 && floats.isDirect() && NativeDecoding.available()) {
            return NativeDecoding.anyNonFinite(floats, index, n); // vectorized; worth a JNI call from 16 KiB on
        }
        if ((index & 1) != 0) {
            return anyIn(floats, index, n);
        }
        boolean bad = anyInPairs(longs, index >> 1, n >> 1);
        return (n & 1) != 0 ? bad || !Float.isFinite(floats.get(index + n - 1)) : bad;
    }

    /** Index of the first non-finite of {@code n} floats from index {@code index}, or -1. */
    static int first(FloatBuffer b, int index, int n) {
        for (int i = 0; i < n; i++) {
            if (!Float.isFinite(b.get(index + i))) {
                return i;
            }
        }
        return -1;
    }
}

package io.jsae.core.io;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HalfFloatsTest {

    /** float32 bits and the binary16 bits numpy's {@code np.float16(x)} gives for them. */
    private static final long[][] NUMPY_F16 = {
            {0x3f9d75aaL, 0x3cec}, {0x43955f6eL, 0x5cab}, {0xc38911a5L, 0xdc49}, {0xc45ea5e1L, 0xe2f5},
            {0xc3e355dcL, 0xdf1b}, {0xc477e961L, 0xe3bf}, {0x4270930cL, 0x5385}, {0x44a786e3L, 0x653c},
            {0xc3f61a6fL, 0xdfb1}, {0xc41b1e64L, 0xe0d9}, {0x43f4ebc9L, 0x5fa7}, {0x43b2718aL, 0x5d94},
            {0x33e26019L, 0x0002}, {0xb579c547L, 0x8010}, {0xb2fb4570L, 0x8000}, {0x353aa4dfL, 0x000c},
            {0xb5b46adcL, 0x8017}, {0xb4f5ae3bL, 0x8008}, {0x477fef00L, 0x7bff}, {0x477ff000L, 0x7c00},
            {0x322bcc77L, 0x0000}, {0x3300d959L, 0x0001}, {0x387fc000L, 0x03ff}, {0x3f801000L, 0x3c00},
            {0x3f803000L, 0x3c02},
    };

    private static short f16(float f) {
        return HalfFloats.floatToF16(f);
    }

    @Test
    void decodesF16SpecialAndSubnormalValues() {
        assertEquals(0f, HalfFloats.f16ToFloat((short) 0x0000));
        assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(HalfFloats.f16ToFloat((short) 0x8000)));
        assertEquals(1f, HalfFloats.f16ToFloat((short) 0x3c00));
        assertEquals(-2f, HalfFloats.f16ToFloat((short) 0xc000));
        assertEquals(65504f, HalfFloats.f16ToFloat((short) 0x7bff));
        assertEquals(0x1p-24f, HalfFloats.f16ToFloat((short) 0x0001), "smallest subnormal");
        assertEquals(1023 * 0x1p-24f, HalfFloats.f16ToFloat((short) 0x03ff), "largest subnormal");
        assertEquals(0x1p-14f, HalfFloats.f16ToFloat((short) 0x0400), "smallest normal");
        assertEquals(-0x1p-24f, HalfFloats.f16ToFloat((short) 0x8001));
        assertEquals(Float.POSITIVE_INFINITY, HalfFloats.f16ToFloat((short) 0x7c00));
        assertEquals(Float.NEGATIVE_INFINITY, HalfFloats.f16ToFloat((short) 0xfc00));
        assertTrue(Float.isNaN(HalfFloats.f16ToFloat((short) 0x7e00)));
        assertTrue(Float.isNaN(HalfFloats.f16ToFloat((short) 0xfc01)));
    }

    @Test
    void everyF16ValueRoundTripsThroughFloat() {
        for (int h = 0; h < 0x10000; h++) {
            float f = HalfFloats.f16ToFloat((short) h);
            short back = f16(f);
            if (Float.isNaN(f)) {
                assertTrue(Float.isNaN(HalfFloats.f16ToFloat(back)), "NaN 0x" + Integer.toHexString(h));
            } else {
                assertEquals(h, back & 0xffff, "0x" + Integer.toHexString(h));
            }
        }
    }

    @Test
    void encodesF16LikeNumpy() {
        for (long[] v : NUMPY_F16) {
            float f = Float.intBitsToFloat((int) v[0]);
            assertEquals(v[1], f16(f) & 0xffff, "float bits 0x" + Long.toHexString(v[0]));
        }
    }

    @Test
    void encodesF16RoundingToNearestEven() {
        assertEquals(0x3c00, f16(1f + 0x1p-11f) & 0xffff, "tie rounds down to even");
        assertEquals(0x3c02, f16(1f + 3 * 0x1p-11f) & 0xffff, "tie rounds up to even");
        assertEquals(0x3c01, f16(1f + 0x1p-11f + 0x1p-20f) & 0xffff, "above tie rounds up");
        assertEquals(0x7bff, f16(65519f) & 0xffff);
        assertEquals(0x7c00, f16(65520f) & 0xffff, "halfway to 65536 overflows to infinity");
        assertEquals(0xfc00, f16(-1e6f) & 0xffff);
        assertEquals(0x0000, f16(0x1p-25f) & 0xffff, "tie between 0 and the smallest subnormal goes to 0");
        assertEquals(0x0001, f16(1.5f * 0x1p-25f) & 0xffff);
        assertEquals(0x0002, f16(1.5f * 0x1p-24f) & 0xffff, "subnormal tie 1.5 -> 2");
        assertEquals(0x0002, f16(2.5f * 0x1p-24f) & 0xffff, "subnormal tie 2.5 -> 2");
        assertEquals(0x0400, f16(1023.5f * 0x1p-24f) & 0xffff, "largest subnormal rounds into the normals");
        assertEquals(0x8000, f16(-0f) & 0xffff);
        assertEquals(0x7c00, f16(Float.POSITIVE_INFINITY) & 0xffff);
        assertTrue(Float.isNaN(HalfFloats.f16ToFloat(f16(Float.NaN))));
    }

    @Test
    void bf16RoundsToNearestEvenAndKeepsSpecials() {
        assertEquals(1f, HalfFloats.bf16ToFloat((short) 0x3f80));
        assertEquals(-2f, HalfFloats.bf16ToFloat((short) 0xc000));
        assertEquals(0x3f80, bf16(0x3f808000) & 0xffff, "tie rounds down to even");
        assertEquals(0x3f82, bf16(0x3f818000) & 0xffff, "tie rounds up to even");
        assertEquals(0x3f81, bf16(0x3f808001) & 0xffff, "above tie rounds up");
        assertEquals(0x3f80, bf16(0x3f807fff) & 0xffff, "below tie rounds down");
        assertEquals(0x7f80, bf16(0x7f7fffff) & 0xffff, "largest float rounds to infinity");
        assertEquals(0x7f7f, bf16(0x7f7f7fff) & 0xffff);
        assertEquals(0xff80, HalfFloats.floatToBf16(Float.NEGATIVE_INFINITY) & 0xffff);
        assertEquals(0x0001, bf16(0x00010000) & 0xffff, "float subnormal kept");
        short nan = HalfFloats.floatToBf16(Float.intBitsToFloat(0x7f800001)); // NaN whose payload would round away
        assertTrue(Float.isNaN(HalfFloats.bf16ToFloat(nan)));
        for (int h = 0; h < 0x10000; h++) {
            float f = HalfFloats.bf16ToFloat((short) h);
            if (!Float.isNaN(f)) {
                assertEquals(h, HalfFloats.floatToBf16(f) & 0xffff);
            }
        }
    }

    private static short bf16(int floatBits) {
        return HalfFloats.floatToBf16(Float.intBitsToFloat(floatBits));
    }
}

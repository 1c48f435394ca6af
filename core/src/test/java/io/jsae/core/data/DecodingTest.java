package io.jsae.core.data;

import io.jsae.core.io.DType;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DecodingTest {

    /** All 65,536 half-precision bit patterns, little-endian, at a byte offset that is not a multiple of 32. */
    private static ByteBuffer everyPattern(int offset) {
        ByteBuffer b = ByteBuffer.allocateDirect(offset + 2 * 65_536).order(ByteOrder.LITTLE_ENDIAN);
        for (int h = 0; h < 65_536; h++) {
            b.putShort(offset + 2 * h, (short) h);
        }
        return b;
    }

    @Test
    void nativeConversionIsBitExactForEveryFinitePatternAndFindsEveryNonFiniteOne() {
        assertTrue(NativeDecoding.available(), "the native decoding library must load where the build compiled it");
        for (DType type : new DType[] {DType.F16, DType.BF16}) {
            ByteBuffer src = everyPattern(6);
            FloatBuffer nat = ByteBuffer.allocateDirect(4 * (65_536 + 3)).order(ByteOrder.nativeOrder()).asFloatBuffer();
            FloatBuffer ref = ByteBuffer.allocateDirect(4 * (65_536 + 3)).order(ByteOrder.nativeOrder()).asFloatBuffer();
            // the whole table at once: it holds NaNs and infinities, so both must say so
            assertTrue(Decoding.toFloat32(type, src, 6, nat, 3, 65_536), type + ": non-finite found");
            assertTrue(Decoding.inJava(type, src, 6, ref, 3, 65_536));
            for (int h = 0; h < 65_536; h++) {
                float a = nat.get(3 + h);
                float e = ref.get(3 + h);
                if (Float.isNaN(e)) {
                    assertTrue(Float.isNaN(a), type + " pattern " + Integer.toHexString(h));
                } else {
                    assertEquals(Float.floatToRawIntBits(e), Float.floatToRawIntBits(a),
                            type + " pattern " + Integer.toHexString(h) + ": " + e + " vs " + a);
                }
            }
            // every single pattern alone, at every alignment of a 16-value vector: the check flags exactly the
            // non-finite ones, whether the value falls in the vector loop or the tail
            for (int h = 0; h < 65_536; h += 7) {
                int at = h % 37;
                ByteBuffer one = ByteBuffer.allocateDirect(2 * 40).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < 40; i++) {
                    one.putShort(2 * i, (short) (type == DType.F16 ? 0x3c00 : 0x3f80)); // 1.0
                }
                one.putShort(2 * at, (short) h);
                FloatBuffer out = ByteBuffer.allocateDirect(4 * 40).order(ByteOrder.nativeOrder()).asFloatBuffer();
                boolean bad = Decoding.toFloat32(type, one, 0, out, 0, 40);
                float v = type == DType.F16 ? io.jsae.core.io.HalfFloats.f16ToFloat((short) h)
                        : io.jsae.core.io.HalfFloats.bf16ToFloat((short) h);
                assertEquals(!Float.isFinite(v), bad, type + " pattern " + Integer.toHexString(h) + " at " + at);
                assertEquals(1.0f, out.get(at == 0 ? 1 : 0), "the neighbours decode too");
            }
        }
    }

    @Test
    void theStoredCheckFindsEachNonFiniteValueWhereverItIsInEveryTypeNativelyAndInJava() {
        int n = 5000;
        for (DType type : new DType[] {DType.F32, DType.F16, DType.BF16}) {
            int size = type.byteSize();
            ByteBuffer bytes = ByteBuffer.allocateDirect(size * (n + 8)).order(ByteOrder.LITTLE_ENDIAN);
            ByteBuffer heap = ByteBuffer.allocate(size * (n + 8)).order(ByteOrder.BIG_ENDIAN); // order ignored
            for (int i = 0; i < n + 8; i++) {
                put(type, bytes, i, i * 0.5f - 7);
            }
            heap.put(0, bytes, 0, bytes.capacity());
            for (ByteBuffer b : new ByteBuffer[] {bytes, heap}) {
                assertFalse(Decoding.anyNonFinite(type, b, size, n), type + ": all finite");
                for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
                    for (int at : new int[] {1, 2, 17, 31, 1025, 4097, n}) {
                        ByteBuffer save = ByteBuffer.allocate(size).put(0, b, at * size, size);
                        put(type, b, at, bad);
                        String what = type + (b.isDirect() ? " direct: " : " heap: ") + bad + " at " + at;
                        assertTrue(Decoding.anyNonFinite(type, b, size, n), what);
                        assertEquals(at >= 1 + 4900 && at < 1 + n, Decoding.anyNonFinite(type, b, size * (1 + 4900),
                                n - 4900), "only the range is checked (Java path, under 256 values): " + what);
                        assertEquals(at >= 1 + 2048 && at < 1 + n, Decoding.anyNonFinite(type, b, size * (1 + 2048),
                                n - 2048), "only the range is checked (native path when direct): " + what);
                        assertEquals(at - 1, Decoding.firstNonFinite(type, b, size, n), what);
                        b.put(at * size, save, 0, size);
                    }
                }
                float max = switch (type) {
                    case F16 -> 65504f;
                    case BF16 -> io.jsae.core.io.HalfFloats.bf16ToFloat((short) 0x7f7f);
                    default -> Float.MAX_VALUE;
                };
                put(type, b, 3, max);
                put(type, b, 4, -max);
                assertFalse(Decoding.anyNonFinite(type, b, size, n), type + ": the largest finite values pass");
            }
        }
    }

    /** Writes {@code v} as value {@code i} of type {@code type}, little-endian, whatever the buffer's order. */
    private static void put(DType type, ByteBuffer b, int i, float v) {
        ByteBuffer le = b.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        switch (type) {
            case F32 -> le.putFloat(4 * i, v);
            case F16 -> le.putShort(2 * i, io.jsae.core.io.HalfFloats.floatToF16(v));
            default -> le.putShort(2 * i, io.jsae.core.io.HalfFloats.floatToBf16(v));
        }
    }

    @Test
    void aBufferPositionDoesNotShiftTheAbsoluteIndexes() {
        ByteBuffer src = everyPattern(0);
        src.position(100);
        FloatBuffer dst = ByteBuffer.allocateDirect(4 * 64).order(ByteOrder.nativeOrder()).asFloatBuffer();
        dst.position(5);
        assertFalse(Decoding.toFloat32(DType.F16, src, 2 * 0x3c00, dst, 10, 4));
        assertEquals(1.0f, dst.get(10));
        assertEquals(io.jsae.core.io.HalfFloats.f16ToFloat((short) 0x3c03), dst.get(13));
        assertEquals(0f, dst.get(9), "nothing written before the index");
        assertEquals(0f, dst.get(14), "nothing written after n values");
    }

    @Test
    void aDirectFloatBufferIsSeenAsItsOwnBytesSoRowsAreReadIntoPlace() {
        FloatBuffer f = ByteBuffer.allocateDirect(64).order(ByteOrder.nativeOrder()).asFloatBuffer();
        f.position(3);
        ByteBuffer b = DirectBuffers.bytesOf(f);
        assertNotNull(b, "the loader's direct path needs JavaCPP's pointers");
        assertEquals(64, b.capacity(), "from index 0 whatever the position");
        b.putFloat(8, 2.5f);
        assertEquals(2.5f, f.get(2), "the same memory");
        assertNull(DirectBuffers.bytesOf(FloatBuffer.allocate(4)), "a heap buffer has no address");
    }

    @Test
    void theBareCopyCopiesFloatsToAnOffsetAndReportsANonFiniteOne() {
        int n = 5000; // more than a few vector widths, and a tail
        ByteBuffer src = ByteBuffer.allocateDirect(4 * n + 12).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer dst = ByteBuffer.allocateDirect(4 * n + 64).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            src.putFloat(12 + 4 * i, i * 0.5f - 7);
        }
        for (boolean streaming : new boolean[] {false, true}) {
            assertFalse(DirectBuffers.copyFloats(src, 12, dst, 32, n, streaming), "all finite");
            for (int i = 0; i < n; i++) {
                assertEquals(i * 0.5f - 7, dst.getFloat(32 + 4 * i), "value " + i + (streaming ? ", streaming" : ""));
            }
        }
        src.putFloat(12 + 4 * 4321, Float.NEGATIVE_INFINITY);
        assertTrue(DirectBuffers.copyFloats(src, 12, dst, 32, n, true), "an infinity is reported");
        assertEquals(Float.NEGATIVE_INFINITY, dst.getFloat(32 + 4 * 4321), "and copied");
        assertThrows(IndexOutOfBoundsException.class, () -> DirectBuffers.copyFloats(src, 16, dst, 0, n, false),
                "past the end of the source");
        assertThrows(IndexOutOfBoundsException.class, () -> DirectBuffers.copyFloats(src, 0, dst, 68, n, false),
                "past the end of the destination");
    }

    @Test
    void scatteredRowsAreCheckedInOneCallNativelyAndInJava() {
        int n = 300;
        for (DType type : new DType[] {DType.F32, DType.F16, DType.BF16}) {
            int size = type.byteSize();
            ByteBuffer direct = ByteBuffer.allocateDirect(size * n * 8).order(ByteOrder.LITTLE_ENDIAN);
            ByteBuffer heap = ByteBuffer.allocate(size * n * 8);
            for (ByteBuffer b : new ByteBuffer[] {direct, heap}) {
                for (int i = 0; i < n * 8; i++) {
                    put(type, b, i, i % 97 - 40.5f);
                }
                long[] offsets = {size * n * 5L, size * n * 2L, size * n * 7L}; // rows 5, 2, 7 of 8
                assertFalse(Decoding.anyNonFiniteRow(type, b, offsets, 3, n), type + " all finite");
                put(type, b, n * 7 + n - 1, Float.NaN); // last value of row 7
                assertTrue(Decoding.anyNonFiniteRow(type, b, offsets, 3, n), type + " NaN in a listed row");
                assertFalse(Decoding.anyNonFiniteRow(type, b, offsets, 2, n), type + " only the first rows counted");
                put(type, b, n * 7 + n - 1, 1f);
                put(type, b, n * 3, Float.POSITIVE_INFINITY); // row 3 is not listed
                assertFalse(Decoding.anyNonFiniteRow(type, b, offsets, 3, n), type + " rows not listed are not read");
            }
        }
    }

    @Test
    void rowsCopiedOutOfAMappingAreTheValuesAndTheirChecksInEveryVariant() {
        java.util.Random random = new java.util.Random(11);
        for (DType type : new DType[] {DType.F32, DType.F16, DType.BF16}) {
            int size = type.byteSize();
            for (boolean widen : type == DType.F32 ? new boolean[] {false} : new boolean[] {false, true}) {
                int out = widen ? 4 : size;
                for (boolean streaming : new boolean[] {false, true}) {
                    for (int n : new int[] {1, 7, 37, 64, 300}) {
                        for (int trial = 0; trial < 6; trial++) {
                            int rows = 1 + random.nextInt(6);
                            int srcAt = 2 * random.nextInt(40);
                            ByteBuffer plain = ByteBuffer.allocate(rows * n * size).order(ByteOrder.LITTLE_ENDIAN);
                            for (int i = 0; i < rows * n; i++) {
                                put(type, plain, i, random.nextFloat() * 200 - 100);
                            }
                            // the mapping's rows start srcAt bytes in, not on a vector boundary
                            ByteBuffer values = ByteBuffer.allocateDirect(srcAt + rows * n * size).order(ByteOrder.LITTLE_ENDIAN);
                            values.put(srcAt, plain, 0, rows * n * size);
                            boolean[] bad = new boolean[rows];
                            for (int r = 0; r < rows; r++) {
                                if (random.nextInt(3) == 0) {
                                    bad[r] = true;
                                    int at = srcAt + (r * n + random.nextInt(n)) * size;
                                    float v = random.nextBoolean() ? Float.NaN : Float.NEGATIVE_INFINITY;
                                    if (type == DType.F32) {
                                        values.putFloat(at, v);
                                    } else {
                                        ByteBuffer one = ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN);
                                        put(type, one, 0, v);
                                        values.putShort(at, one.getShort(0));
                                    }
                                }
                            }
                            boolean scattered = random.nextBoolean();
                            int dstAt = 2 * random.nextInt(40) / out * out + (out == 2 && random.nextBoolean() ? 2 : 0);
                            ByteBuffer dst = ByteBuffer.allocateDirect(dstAt + (rows + 2) * n * out).order(ByteOrder.LITTLE_ENDIAN);
                            long[] offsets = null;
                            int[] place = new int[rows];
                            for (int r = 0; r < rows; r++) {
                                place[r] = scattered ? rows + 1 - r : r; // reversed, one row left out at the front
                            }
                            if (scattered) {
                                offsets = new long[rows];
                                for (int r = 0; r < rows; r++) {
                                    offsets[r] = dstAt + (long) place[r] * n * out;
                                }
                            }
                            int[] badRows = new int[rows];
                            int count = NativeDecoding.copyRows(values, srcAt, dst, dstAt, offsets, rows, n, type, widen,
                                    streaming, badRows);
                            String what = type + " widen " + widen + " streaming " + streaming + " n " + n + " rows " + rows
                                    + " src at " + srcAt + " dst at " + dstAt + " scattered " + scattered;
                            int expected = 0;
                            for (int r = 0; r < rows; r++) {
                                if (bad[r]) {
                                    assertTrue(expected < count && badRows[expected] == r, what + ": row " + r + " flagged");
                                    expected++;
                                    continue;
                                }
                                int from = srcAt + r * n * size;
                                int to = dstAt + place[r] * n * out;
                                if (widen) {
                                    FloatBuffer want = FloatBuffer.allocate(n);
                                    assertFalse(Decoding.inJava(type, values, from, want, 0, n));
                                    for (int c = 0; c < n; c++) {
                                        assertEquals(Float.floatToRawIntBits(want.get(c)),
                                                Float.floatToRawIntBits(dst.getFloat(to + 4 * c)), what + ": row " + r + " value " + c);
                                    }
                                } else {
                                    assertEquals(values.slice(from, n * size), dst.slice(to, n * size), what + ": row " + r);
                                }
                            }
                            assertEquals(expected, count, what + ": rows flagged");
                        }
                    }
                }
            }
        }
    }
}

package io.jsae.core.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafetensorsTest {

    @TempDir
    Path dir;

    static final float[] SPECIALS = {0f, -0f, 1f, -2.5f, 65504f, 65520f, 1e-8f, 0x1p-24f, 1023 * 0x1p-24f,
            1f + 0x1p-11f, 1.00390625f, 3.0e38f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, 0.1f};

    /** A file with a raw header text and data area. */
    static Path raw(Path file, String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        Files.write(file, b.array());
        return file;
    }

    static byte[] f32(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            b.putFloat(f);
        }
        return b.array();
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        ByteBuffer b = ByteBuffer.allocate(n);
        for (byte[] p : parts) {
            b.put(p);
        }
        return b.array();
    }

    @Test
    void roundTripsF32F16Bf16WithMetadata() throws IOException {
        Path file = dir.resolve("t.safetensors");
        float[] m = new float[2 * 3];
        for (int i = 0; i < m.length; i++) {
            m[i] = i * 0.5f - 1f;
        }
        new SafetensorsWriter()
                .metadata("format", "pt").metadata("d_in", "3")
                .add("w", new long[]{2, 3}, m)
                .add("h", DType.F16, new long[]{SPECIALS.length}, SPECIALS)
                .add("b", DType.BF16, new long[]{SPECIALS.length}, SPECIALS)
                .add("s", new long[]{}, new float[]{42f})
                .add("e", new long[]{0, 3}, new float[0])
                .write(file);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(Map.of("format", "pt", "d_in", "3"), f.metadata());
            assertEquals(0, f.dataStart() % 8, "data area aligned to 8 bytes");
            assertEquals(List.of("e", "s", "w", "b", "h"), f.tensors().stream().map(TensorInfo::name).collect(Collectors.toList()),
                    "F32 tensors first, then 16-bit ones, each by name");
            assertArrayEquals(new long[]{2, 3}, f.tensor("w").shape());
            assertEquals(DType.F16, f.tensor("h").dtype());
            assertArrayEquals(m, f.readFloats("w"));
            assertArrayEquals(new float[]{42f}, f.readFloats("s"));
            assertEquals(0, f.readFloats("e").length);
            float[] h = f.readFloats("h");
            float[] b = f.readFloats("b");
            for (int i = 0; i < SPECIALS.length; i++) {
                assertEquals(HalfFloats.f16ToFloat(HalfFloats.floatToF16(SPECIALS[i])), h[i], "F16 element " + i);
                assertEquals(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(SPECIALS[i])), b[i], "BF16 element " + i);
            }
            // known values after rounding
            assertEquals(0x1p-24f, h[7], "F16 subnormal");
            assertEquals(Float.POSITIVE_INFINITY, h[5], "65520 overflows F16");
            assertEquals(1f, h[9], "F16 tie to even");
            assertEquals(1f, b[10], "BF16 tie 1.00390625 to even");
            assertEquals(Float.NEGATIVE_INFINITY, b[13]);
            assertTrue(Float.isNaN(h[14]) && Float.isNaN(b[14]));
            FloatBuffer fb = FloatBuffer.allocate(10);
            fb.put(-7f);
            f.readFloats("w", fb);
            assertEquals(7, fb.position());
            assertEquals(m[5], fb.get(6));
            ByteBuffer mapped = f.map("w");
            assertEquals(24, mapped.capacity());
            assertEquals(m[1], mapped.getFloat(4));
            assertEquals(m[4], f.map("w", 16, 4).getFloat(0));
        }
    }

    @Test
    void writesTheExactBytesOfTheSpecification() throws IOException {
        Path file = dir.resolve("a.safetensors");
        new SafetensorsWriter().add("a", new long[]{2}, new float[]{1f, 2f}).write(file);
        String json = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        String padded = json + " ".repeat((8 - json.length() % 8) % 8);
        byte[] expected = concat(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded.length()).array(),
                padded.getBytes(StandardCharsets.UTF_8), f32(1f, 2f));
        assertArrayEquals(expected, Files.readAllBytes(file));
    }

    @Test
    void writerOutputIsIndependentOfCallOrder() throws IOException {
        Path a = dir.resolve("a.safetensors");
        Path b = dir.resolve("b.safetensors");
        new SafetensorsWriter().metadata("x", "1").metadata("y", "2").add("p", new long[]{1}, new float[]{1})
                .add("q", DType.F16, new long[]{1}, new float[]{2}).write(a);
        new SafetensorsWriter().add("q", DType.F16, new long[]{1}, new float[]{2}).metadata("y", "2")
                .add("p", new long[]{1}, new float[]{1}).metadata("x", "1").write(b);
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
        SafetensorsWriter w = new SafetensorsWriter().add("p", new long[]{1}, new float[]{1});
        assertEquals(Files.size(dir.resolve("a.safetensors")) - 0, w.metadata("x", "1").metadata("y", "2")
                .add("q", DType.F16, new long[]{1}, new float[]{2}).byteSize());
    }

    @Test
    void readsAHandWrittenFileWithOtherDtypes() throws IOException {
        String header = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"i\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"d\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[8,16]},"
                + "\"l\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[16,24]},"
                + "\"u\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[24,26]}}  ";
        ByteBuffer data = ByteBuffer.allocate(26).order(ByteOrder.LITTLE_ENDIAN);
        data.putInt(-3).putInt(7).putDouble(0.25).putLong(1L << 40).put((byte) 1).put((byte) 2);
        Path file = raw(dir.resolve("h.safetensors"), header, data.array());
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals("pt", f.metadata().get("format"));
            assertArrayEquals(new float[]{-3f, 7f}, f.readFloats("i"));
            assertArrayEquals(new float[]{0.25f}, f.readFloats("d"));
            assertArrayEquals(new float[]{(float) (1L << 40)}, f.readFloats("l"));
            assertEquals(2, f.tensor("u").byteSize());
            TensorFileException e = assertThrows(TensorFileException.class, () -> f.readFloats("u"));
            assertMessage(e, "h.safetensors", "(byte " + f.tensor("u").fileOffset() + ")", "U8", "cannot be read as float32");
            e = assertThrows(TensorFileException.class, () -> f.tensor("missing"));
            assertMessage(e, "h.safetensors", "no tensor named 'missing'", "'i'", "'u'");
        }
    }

    // --- bad input: each names the file and the byte offset -------------------------------------------

    private TensorFileException bad(String name, String header, byte[] data) throws IOException {
        Path file = raw(dir.resolve(name), header, data);
        return assertThrows(TensorFileException.class, () -> SafetensorsFile.open(file).close());
    }

    static void assertMessage(Exception e, String... parts) {
        assertTrue(e.getMessage() != null && !e.getMessage().isEmpty());
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "message lacks '" + p + "': " + e.getMessage());
        }
    }

    @Test
    void rejectsFileShorterThanTheLengthField() throws IOException {
        Path file = dir.resolve("short.safetensors");
        Files.write(file, new byte[]{1, 2, 3});
        TensorFileException e = assertThrows(TensorFileException.class, () -> SafetensorsFile.open(file));
        assertMessage(e, "short.safetensors", "(byte 0)", "shorter than the 8-byte header length");
        assertEquals(file, e.file());
        assertEquals(0, e.offset());
    }

    @Test
    void rejectsHugeOrOverlongHeaderLength() throws IOException {
        Path file = dir.resolve("huge.safetensors");
        Files.write(file, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-5L).array());
        assertMessage(assertThrows(TensorFileException.class, () -> SafetensorsFile.open(file)),
                "huge.safetensors", "(byte 0)", "exceeds the limit");
        Files.write(file, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(9_000_000L).array());
        assertMessage(assertThrows(TensorFileException.class, () -> SafetensorsFile.open(file)),
                "huge.safetensors", "(byte 0)", "runs past the end of the file");
    }

    @Test
    void rejectsHeaderThatIsNotAJsonObject() throws IOException {
        assertMessage(bad("magic.safetensors", "[1,2]   ", new byte[0]), "magic.safetensors", "(byte 8)", "does not start with '{'");
        TensorFileException e = bad("json.safetensors", "{\"a\":{\"dtype\":\"F32\",", new byte[0]);
        assertMessage(e, "json.safetensors", "not valid JSON");
        assertTrue(e.offset() >= 8, "offset inside the header");
        assertMessage(bad("trail.safetensors", "{} x", new byte[0]), "trail.safetensors", "not valid JSON");
        assertMessage(bad("nul.safetensors", "{}\0\0", new byte[0]), "nul.safetensors");
    }

    @Test
    void rejectsUnsupportedDtypeAtItsOffset() throws IOException {
        String header = "{\"a\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,2]}}";
        TensorFileException e = bad("dtype.safetensors", header, new byte[2]);
        assertMessage(e, "dtype.safetensors", "unsupported dtype 'Q4'", "tensor 'a'");
        assertEquals(8 + header.indexOf("\"Q4\""), e.offset());
    }

    @Test
    void rejectsOverlappingOffsets() throws IOException {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
        TensorFileException e = bad("overlap.safetensors", header, new byte[12]);
        assertMessage(e, "overlap.safetensors", "tensor 'b' data_offsets [4, 12] overlap tensor 'a' [0, 8]");
        assertEquals(8 + header.indexOf("\"b\""), e.offset());
    }

    @Test
    void rejectsGapsAndTrailingBytes() throws IOException {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}";
        assertMessage(bad("gap.safetensors", header, new byte[12]), "gap.safetensors", "gap of 4 bytes");
        String one = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        TensorFileException e = bad("trailing.safetensors", one, new byte[7]);
        assertMessage(e, "trailing.safetensors", "3 trailing bytes");
        assertEquals(8 + one.length() + 4, e.offset());
    }

    @Test
    void rejectsHeaderClaimingMoreDataThanTheFileHolds() throws IOException {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1000000000,1000000],\"data_offsets\":[0,4000000000000000]}}";
        TensorFileException e = bad("trunc.safetensors", header, new byte[16]);
        assertMessage(e, "trunc.safetensors", "run past the end of the data area (16 bytes)", "truncated");
        assertEquals(8 + header.length(), e.offset());
    }

    @Test
    void rejectsShapeThatDisagreesWithOffsets() throws IOException {
        String header = "{\"a\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[0,8]}}";
        assertMessage(bad("mismatch.safetensors", header, new byte[8]), "mismatch.safetensors",
                "needs 6 bytes but data_offsets [0, 8] span 8");
        String overflow = "{\"a\":{\"dtype\":\"F64\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,8]}}";
        assertMessage(bad("overflow.safetensors", overflow, new byte[8]), "overflow.safetensors", "overflows");
    }

    @Test
    void rejectsMalformedEntries() throws IOException {
        assertMessage(bad("dup.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8]), "dup.safetensors", "Duplicate");
        assertMessage(bad("missing.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", new byte[4]),
                "missing.safetensors", "missing field data_offsets");
        assertMessage(bad("unknown.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1}}",
                new byte[4]), "unknown.safetensors", "unknown field 'x'");
        assertMessage(bad("neg.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", new byte[4]),
                "neg.safetensors", "non-negative integer");
        assertMessage(bad("frac.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", new byte[4]),
                "frac.safetensors", "fractional");
        assertMessage(bad("offs.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", new byte[4]),
                "offs.safetensors", "exactly two");
        assertMessage(bad("rev.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,0]}}", new byte[4]),
                "rev.safetensors", "end before they begin");
        assertMessage(bad("meta.safetensors", "{\"__metadata__\":{\"k\":3}}", new byte[0]), "meta.safetensors",
                "metadata values must be strings");
        assertMessage(bad("big.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,4]}}",
                new byte[4]), "big.safetensors", "too large");
    }

    @Test
    void writerRejectsInconsistentTensors() {
        SafetensorsWriter w = new SafetensorsWriter().add("a", new long[]{2}, new float[2]);
        assertThrows(IllegalArgumentException.class, () -> w.add("a", new long[]{1}, new float[1]));
        assertThrows(IllegalArgumentException.class, () -> w.add("b", new long[]{3}, new float[2]));
        assertThrows(IllegalArgumentException.class, () -> w.add("__metadata__", new long[]{1}, new float[1]));
        assertThrows(IllegalArgumentException.class, () -> w.add("c", DType.I32, new long[]{1}, new float[1]));
    }

    @Test
    void writesFromDirectBuffersWithoutMovingThem() throws IOException {
        FloatBuffer src = ByteBuffer.allocateDirect(4 * 5).order(ByteOrder.nativeOrder()).asFloatBuffer();
        for (int i = 0; i < 5; i++) {
            src.put(i, i + 0.5f);
        }
        src.position(1);
        Path file = dir.resolve("direct.safetensors");
        new SafetensorsWriter().add("x", DType.F32, new long[]{2, 2}, src).write(file);
        assertEquals(1, src.position());
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertArrayEquals(new float[]{1.5f, 2.5f, 3.5f, 4.5f}, f.readFloats("x"));
        }
    }
}

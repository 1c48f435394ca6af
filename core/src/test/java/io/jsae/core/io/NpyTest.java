package io.jsae.core.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;

import static io.jsae.core.io.SafetensorsTest.SPECIALS;
import static io.jsae.core.io.SafetensorsTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NpyTest {

    @TempDir
    Path dir;

    /** {@code np.save} of float32 [[1, -2.5, 3.25], [0, 1e-3, -65504]] (format 1.0). */
    static final String NUMPY_F4_V1 = "k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAIA/AAAgwAAAUEAAAAAAbxKDOgDgf8c=";
    /** {@code np.save} of float16 [[1, -2.5, 6.1e-5], [5.96e-8, 65504, -0]]. */
    static final String NUMPY_F2_V1 = "k05VTVBZAQB2AHsnZGVzY3InOiAnPGYyJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAPADB/wMBAP97AIA=";
    /** {@code np.lib.format.write_array(..., version=(2, 0))} of the float32 array. */
    static final String NUMPY_F4_V2 = "k05VTVBZAgB0AAAAeydkZXNjcic6ICc8ZjQnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAIA/AAAgwAAAUEAAAAAAbxKDOgDgf8c=";
    /** The same with version=(3, 0). */
    static final String NUMPY_F4_V3 = "k05VTVBZAwB0AAAAeydkZXNjcic6ICc8ZjQnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAIA/AAAgwAAAUEAAAAAAbxKDOgDgf8c=";

    static final float[] F4_VALUES = {1f, -2.5f, 3.25f, 0f, 1e-3f, -65504f};

    private Path file(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    private Path numpy(String name, String base64) throws IOException {
        return file(name, Base64.getDecoder().decode(base64));
    }

    @Test
    void readsFilesWrittenByNumpyInAllVersions() throws IOException {
        for (String[] c : new String[][]{{"v1.npy", NUMPY_F4_V1, "1"}, {"v2.npy", NUMPY_F4_V2, "2"}, {"v3.npy", NUMPY_F4_V3, "3"}}) {
            Path p = numpy(c[0], c[1]);
            NpyHeader h = NpyFile.readHeader(p);
            assertEquals(Integer.parseInt(c[2]), h.version());
            assertEquals(DType.F32, h.dtype());
            assertEquals(2, h.rows());
            assertEquals(3, h.cols());
            assertEquals(128, h.dataOffset());
            assertArrayEquals(F4_VALUES, NpyFile.readFloats(p));
        }
        Path f2 = numpy("f2.npy", NUMPY_F2_V1);
        assertEquals(DType.F16, NpyFile.readHeader(f2).dtype());
        float[] v = NpyFile.readFloats(f2);
        assertArrayEquals(new float[]{1f, -2.5f, 1023 * 0x1p-24f, 0x1p-24f, 65504f, -0f}, v);
        assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(v[5]));
    }

    @Test
    void writerProducesTheBytesNumpyWrites() throws IOException {
        Path f4 = dir.resolve("w4.npy");
        NpyWriter.write(f4, F4_VALUES, 2, 3);
        assertArrayEquals(Base64.getDecoder().decode(NUMPY_F4_V1), Files.readAllBytes(f4));
        Path f2 = dir.resolve("w2.npy");
        NpyWriter.write(f2, DType.F16, new float[]{1f, -2.5f, 6.1e-5f, 5.96e-8f, 65504f, -0f}, 2, 3);
        assertArrayEquals(Base64.getDecoder().decode(NUMPY_F2_V1), Files.readAllBytes(f2));
    }

    @Test
    void roundTripsSpecialValues() throws IOException {
        Path f4 = dir.resolve("s4.npy");
        NpyWriter.write(f4, SPECIALS, 4, 4);
        assertArrayEquals(SPECIALS, NpyFile.readFloats(f4));
        Path f2 = dir.resolve("s2.npy");
        NpyWriter.write(f2, DType.F16, SPECIALS, 2, 8);
        float[] back = NpyFile.readFloats(f2);
        for (int i = 0; i < SPECIALS.length; i++) {
            assertEquals(HalfFloats.f16ToFloat(HalfFloats.floatToF16(SPECIALS[i])), back[i], "element " + i);
        }
        assertEquals(0x1p-24f, back[7]);
        assertTrue(Float.isNaN(back[14]));
    }

    @Test
    void streamingWriterChecksTheDeclaredShape() throws IOException {
        Path p = dir.resolve("stream.npy");
        NpyWriter w = NpyWriter.create(p, DType.F32, 2, 2);
        w.write(new float[]{1, 2, 3}, 0, 3);
        assertThrows(IllegalStateException.class, () -> w.write(new float[]{4, 5}, 0, 2));
        IOException e = assertThrows(IOException.class, w::close);
        assertMessage(e, "only 3 of 4 values");
        // what was written is in the file, though buffered: the header and the 3 values
        ByteBuffer written = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN);
        int header = NpyWriter.header(DType.F32, 2, 2).length;
        assertEquals(header + 12, written.capacity());
        assertEquals(3f, written.getFloat(header + 8));
        try (NpyWriter ok = NpyWriter.create(p, DType.F32, 2, 2)) {
            ok.write(new float[]{1, 2}, 0, 2);
            ok.write(new float[]{3, 4}, 0, 2);
        }
        assertArrayEquals(new float[]{1, 2, 3, 4}, NpyFile.readFloats(p));
    }

    @Test
    void writesInt32AsNumpyDoes() throws IOException {
        Path p = dir.resolve("i4.npy");
        int[] values = {0, -1, 7, Integer.MAX_VALUE, Integer.MIN_VALUE, 65536};
        try (NpyWriter w = NpyWriter.create(p, DType.I32, 2, 3)) {
            w.write(values, 0, 2);
            w.write(values, 2, 4);
            assertThrows(IllegalStateException.class, () -> w.write(new float[] {1f}, 0, 1));
            assertThrows(IllegalStateException.class, () -> w.write(new int[] {1}, 0, 1));
        }
        // np.save of int32 [2, 3]: the float32 file's header with descr '<i4', then the values little-endian
        byte[] f4 = Base64.getDecoder().decode(NUMPY_F4_V1);
        byte[] header = new String(f4, 0, f4.length - 24, StandardCharsets.ISO_8859_1).replace("<f4", "<i4")
                .getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer expected = ByteBuffer.allocate(header.length + 24).order(ByteOrder.LITTLE_ENDIAN).put(header);
        for (int v : values) {
            expected.putInt(v);
        }
        assertArrayEquals(expected.array(), Files.readAllBytes(p));
        try (NpyWriter f = NpyWriter.create(dir.resolve("f4.npy"), DType.F32, 1, 1)) {
            assertThrows(IllegalStateException.class, () -> f.write(new int[] {1}, 0, 1));
            f.write(new float[] {1f}, 0, 1);
        }
    }

    // --- bad input -----------------------------------------------------------------------------------

    private static byte[] npy(int major, String dict, byte[] data) {
        byte[] h = dict.getBytes(StandardCharsets.ISO_8859_1);
        int pre = major == 1 ? 10 : 12;
        ByteBuffer b = ByteBuffer.allocate(pre + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(NpyFile.MAGIC).put((byte) major).put((byte) 0);
        if (major == 1) {
            b.putShort((short) h.length);
        } else {
            b.putInt(h.length);
        }
        return b.put(h).put(data).array();
    }

    private static String dict(String descr, String fortran, String shape) {
        return "{'descr': '" + descr + "', 'fortran_order': " + fortran + ", 'shape': " + shape + ", }\n";
    }

    private TensorFileException bad(String name, byte[] bytes) throws IOException {
        Path p = file(name, bytes);
        return assertThrows(TensorFileException.class, () -> NpyFile.readHeader(p));
    }

    @Test
    void rejectsWrongMagicAndVersion() throws IOException {
        byte[] ok = npy(1, dict("<f4", "False", "(1, 1)"), new byte[4]);
        byte[] magic = ok.clone();
        magic[3] = 'X';
        assertMessage(bad("magic.npy", magic), "magic.npy", "(byte 3)", "wrong magic");
        byte[] version = ok.clone();
        version[6] = 9;
        assertMessage(bad("version.npy", version), "version.npy", "(byte 6)", "unsupported .npy format version 9.0");
        assertMessage(bad("tiny.npy", new byte[]{(byte) 0x93, 'N'}), "tiny.npy", "(byte 0)", "too short");
    }

    @Test
    void rejectsUnsupportedDtypesAndFortranOrder() throws IOException {
        assertMessage(bad("be.npy", npy(1, dict(">f4", "False", "(1, 1)"), new byte[4])), "be.npy", "(byte 10)",
                "unsupported dtype descr '>f4'", "astype('<f4')");
        assertMessage(bad("f8.npy", npy(1, dict("<f8", "False", "(1, 1)"), new byte[8])), "f8.npy", "'<f8'");
        assertMessage(bad("fortran.npy", npy(1, dict("<f4", "True", "(2, 2)"), new byte[16])), "fortran.npy",
                "(byte 10)", "fortran_order is True");
        assertMessage(bad("struct.npy", npy(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }",
                new byte[4])), "struct.npy", "structured dtypes are not supported");
    }

    @Test
    void rejectsShapesThatAreNot2d() throws IOException {
        assertMessage(bad("1d.npy", npy(1, dict("<f4", "False", "(4,)"), new byte[16])), "1d.npy", "shape (4,) is not 2-D");
        assertMessage(bad("3d.npy", npy(1, dict("<f4", "False", "(1, 2, 2)"), new byte[16])), "3d.npy", "not 2-D");
        assertMessage(bad("w0.npy", npy(1, dict("<f4", "False", "(4, 0)"), new byte[0])), "w0.npy", "has width 0");
    }

    @Test
    void rejectsTruncatedDataAndTrailingBytes() throws IOException {
        byte[] trunc = npy(1, dict("<f4", "False", "(3, 2)"), new byte[20]);
        TensorFileException e = bad("trunc.npy", trunc);
        assertMessage(e, "trunc.npy", "(byte " + trunc.length + ")", "truncated", "needs 24 bytes", "holds only 20");
        byte[] huge = npy(1, dict("<f4", "False", "(1000000000000, 4096)"), new byte[16]);
        assertMessage(bad("huge.npy", huge), "huge.npy", "truncated");
        byte[] trailing = npy(1, dict("<f4", "False", "(1, 2)"), new byte[11]);
        assertMessage(bad("trailing.npy", trailing), "trailing.npy", "3 trailing bytes");
    }

    @Test
    void rejectsMalformedHeaders() throws IOException {
        byte[] past = npy(2, dict("<f4", "False", "(1, 1)"), new byte[4]);
        ByteBuffer.wrap(past).order(ByteOrder.LITTLE_ENDIAN).putInt(8, 1 << 19);
        assertMessage(bad("past.npy", past), "past.npy", "(byte 8)", "runs past the end");
        assertMessage(bad("dict.npy", npy(1, "{'descr': '<f4' 'fortran_order': False}", new byte[0])), "dict.npy",
                "malformed .npy header", "expected ',' or '}'");
        assertMessage(bad("keys.npy", npy(1, "{'descr': '<f4', 'shape': (1, 1), }", new byte[4])), "keys.npy",
                "exactly 'descr', 'fortran_order' and 'shape'");
        TensorFileException e = bad("junk.npy", npy(1, "{'descr': '<f4', 'fortran_order': Nope, 'shape': (1, 1)}", new byte[4]));
        assertMessage(e, "junk.npy", "unexpected value");
        assertEquals(10 + "{'descr': '<f4', 'fortran_order': ".length(), e.offset());
        byte[] utf = npy(3, dict("<f4", "False", "(1, 1)"), new byte[4]);
        utf[12] = (byte) 0xff;
        assertMessage(bad("utf.npy", utf), "utf.npy", "not valid UTF-8");
    }
}

package io.jsae.core.data;

import io.jsae.core.io.DType;
import io.jsae.core.io.HalfFloats;
import io.jsae.core.io.SafetensorsWriter;
import io.jsae.core.io.TensorFileException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.jsae.core.data.NpyActivationSourceTest.assertMessage;
import static io.jsae.core.data.TestShards.range;
import static io.jsae.core.data.TestShards.readEpoch;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SafetensorsActivationSourceTest {

    @TempDir
    Path dir;

    private SafetensorsActivationSource open(List<Path> files, LoaderOptions o) {
        return SafetensorsActivationSource.builder().files(files).tensor("acts").options(o).build();
    }

    @Test
    void readsF32ShardsInOrder() throws IOException {
        List<Path> files = TestShards.safetensors(dir, DType.F32, 6, 9, 4, 12);
        try (SafetensorsActivationSource src = open(files, LoaderOptions.builder().build())) {
            assertEquals(6, src.dIn());
            assertEquals(25, src.rowsPerEpoch());
            assertEquals("acts", src.tensor());
            assertEquals(range(25), readEpoch(src, 3));
        }
    }

    @Test
    void decodesF16AndBf16ShardsWithRounding() throws IOException {
        float[] v = {1f, 1.00390625f, -0f, 60001f, 1e-6f, 65519f, 0.1f, -7.75f};
        Path h = dir.resolve("a.safetensors");
        Path b = dir.resolve("b.safetensors");
        Path f = dir.resolve("c.safetensors");
        new SafetensorsWriter().add("acts", DType.F16, new long[]{2, 4}, v).write(h);
        new SafetensorsWriter().add("acts", DType.BF16, new long[]{2, 4}, v).write(b);
        new SafetensorsWriter().add("acts", DType.F32, new long[]{2, 4}, v).write(f);
        float[] expected = new float[24];
        for (int i = 0; i < 8; i++) {
            expected[i] = HalfFloats.f16ToFloat(HalfFloats.floatToF16(v[i]));
            expected[8 + i] = HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(v[i]));
            expected[16 + i] = v[i];
        }
        try (SafetensorsActivationSource src = open(List.of(h, b, f), LoaderOptions.builder().readThreads(1).build())) {
            assertArrayEquals(expected, TestShards.readAllFloats(src, 5));
        }
        assertEquals(1f, expected[9], "BF16 tie rounds to even");
        assertEquals(1.00390625f, expected[1], "1 + 2^-8 is exact in F16");
        assertEquals(60000f, expected[3]);
        assertEquals(0x1p-24f * 17, expected[4], "1e-6 is an F16 subnormal");
        assertEquals(65504f, expected[5]);
    }

    @Test
    void rejectsMissingTensorWrongDtypeAndShape() throws IOException {
        Path p = dir.resolve("x.safetensors");
        new SafetensorsWriter().add("other", new long[]{2, 2}, new float[4]).write(p);
        assertMessage(assertThrows(TensorFileException.class, () -> open(List.of(p), LoaderOptions.DEFAULTS)),
                "x.safetensors", "no tensor named 'acts'", "'other'");
        Path ints = dir.resolve("ints.safetensors");
        String header = "{\"acts\":{\"dtype\":\"I32\",\"shape\":[1,2],\"data_offsets\":[0,8]}}";
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(8 + header.length() + 8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        buf.putLong(header.length()).put(header.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        Files.write(ints, buf.array());
        assertMessage(assertThrows(TensorFileException.class, () -> open(List.of(ints), LoaderOptions.DEFAULTS)),
                "ints.safetensors", "(byte " + (8 + header.length()) + ")", "dtype I32", "F32, F16 or BF16");
        Path cube = dir.resolve("cube.safetensors");
        new SafetensorsWriter().add("acts", new long[]{2, 2, 2}, new float[8]).write(cube);
        assertMessage(assertThrows(TensorFileException.class, () -> open(List.of(cube), LoaderOptions.DEFAULTS)),
                "cube.safetensors", "shape [2, 2, 2]", "2-D");
        assertThrows(IllegalStateException.class, () -> SafetensorsActivationSource.builder().file(p).build(),
                "tensor name required");
    }

    @Test
    void rejectsDifferentWidthsAndEmptyShards() throws IOException {
        Path a = dir.resolve("a.safetensors");
        Path b = dir.resolve("b.safetensors");
        Path e = dir.resolve("e.safetensors");
        new SafetensorsWriter().add("acts", new long[]{1, 4}, new float[4]).write(a);
        new SafetensorsWriter().add("acts", DType.BF16, new long[]{1, 3}, new float[3]).write(b);
        new SafetensorsWriter().add("acts", new long[]{0, 4}, new float[0]).write(e);
        assertMessage(assertThrows(ActivationDataException.class, () -> open(List.of(a, b), LoaderOptions.DEFAULTS)),
                "a.safetensors", "b.safetensors", "width (d_in) 3", "has 4");
        assertMessage(assertThrows(ActivationDataException.class, () -> open(List.of(a, e), LoaderOptions.DEFAULTS)),
                "e.safetensors", "0 rows");
    }

    @Test
    void nonFiniteRowNamesTensorFileAndRow() throws IOException {
        float[] v = TestShards.rows(0, 4, 2);
        v[5] = Float.NEGATIVE_INFINITY;
        Path p = dir.resolve("n.safetensors");
        new SafetensorsWriter().add("acts", DType.BF16, new long[]{4, 2}, v).write(p);
        try (SafetensorsActivationSource src = open(List.of(p), LoaderOptions.builder().readThreads(2).build())) {
            ActivationDataException e = assertThrows(ActivationDataException.class, () -> readEpoch(src, 4));
            assertMessage(e, "n.safetensors", "tensor 'acts'", "row 2", "column 1", "-Infinity");
            assertEquals(new SourcePosition(0, 2), src.position());
        }
    }
}

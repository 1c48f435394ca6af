package io.jsae.core.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NpyLabelsTest {

    @TempDir
    Path tmp;

    /** A 1-D int64 file as numpy writes it. */
    private Path int64(String name, long[] values, String shape) throws IOException {
        String dict = "{'descr': '<i8', 'fortran_order': False, 'shape': " + shape + ", }";
        int padded = (10 + dict.length() + 1 + 63) / 64 * 64;
        String text = dict + " ".repeat(padded - 10 - dict.length() - 1) + "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + text.length() + values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        b.put(NpyFile.MAGIC).put((byte) 1).put((byte) 0).putShort((short) text.length())
                .put(text.getBytes(StandardCharsets.ISO_8859_1));
        for (long v : values) {
            b.putLong(v);
        }
        Path p = tmp.resolve(name);
        Files.write(p, b.array());
        return p;
    }

    @Test
    void readsInt32ColumnsAndInt64Vectors() throws IOException {
        Path p = tmp.resolve("labels.npy");
        try (NpyWriter w = NpyWriter.create(p, DType.I32, 4, 1)) {
            w.write(new int[] {0, 2, 1, 0}, 0, 4);
        }
        assertArrayEquals(new int[] {0, 2, 1, 0}, NpyFile.readLabels(p, 2));
        assertArrayEquals(new int[] {3, 0, 1}, NpyFile.readLabels(int64("l64.npy", new long[] {3, 0, 1}, "(3,)"), 3));
    }

    @Test
    void rejectsBadLabelFilesNamingTheProblem() throws IOException {
        Path floats = tmp.resolve("floats.npy");
        NpyWriter.write(floats, new float[] {0, 1}, 2, 1);
        TensorFileException e = assertThrows(TensorFileException.class, () -> NpyFile.readLabels(floats, 1));
        assertTrue(e.getMessage().contains("floats.npy") && e.getMessage().contains("int32"), e.getMessage());

        Path outOfRange = int64("range.npy", new long[] {0, 1, 7, 0}, "(4,)");
        e = assertThrows(TensorFileException.class, () -> NpyFile.readLabels(outOfRange, 3));
        assertTrue(e.getMessage().contains("row 2") && e.getMessage().contains("label 7"), e.getMessage());

        Path negative = int64("negative.npy", new long[] {-1}, "(1,)");
        assertThrows(TensorFileException.class, () -> NpyFile.readLabels(negative, 3));

        Path wide = tmp.resolve("wide.npy");
        try (NpyWriter w = NpyWriter.create(wide, DType.I32, 2, 2)) {
            w.write(new int[] {0, 1, 1, 0}, 0, 4);
        }
        e = assertThrows(TensorFileException.class, () -> NpyFile.readLabels(wide, 1));
        assertTrue(e.getMessage().contains("(2, 2)"), e.getMessage());

        Path truncated = int64("short.npy", new long[] {1, 1}, "(3,)");
        e = assertThrows(TensorFileException.class, () -> NpyFile.readLabels(truncated, 1));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }
}

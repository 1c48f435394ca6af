package io.jsae.core.data;

import io.jsae.core.io.DType;
import io.jsae.core.io.NpyWriter;
import io.jsae.core.io.SafetensorsWriter;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Shards whose row {@code g} (counted across all shards) holds {@code g * 8 + c} in column {@code c}. */
final class TestShards {

    private TestShards() {
    }

    static float value(long g, int c) {
        return g * 8 + c;
    }

    static float[] rows(long firstRow, int rows, int dIn) {
        float[] v = new float[rows * dIn];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < dIn; c++) {
                v[r * dIn + c] = value(firstRow + r, c);
            }
        }
        return v;
    }

    /** Writes float32 .npy shards named shard-00.npy, shard-01.npy, ... with these row counts. */
    static List<Path> npy(Path dir, int dIn, int... rowsPerShard) throws IOException {
        List<Path> out = new ArrayList<>();
        long g = 0;
        for (int i = 0; i < rowsPerShard.length; i++) {
            Path p = dir.resolve(String.format("shard-%02d.npy", i));
            NpyWriter.write(p, rows(g, rowsPerShard[i], dIn), rowsPerShard[i], dIn);
            g += rowsPerShard[i];
            out.add(p);
        }
        return out;
    }

    /** Writes safetensors shards holding tensor "acts" of the given dtype and an unrelated tensor "other". */
    static List<Path> safetensors(Path dir, DType dtype, int dIn, int... rowsPerShard) throws IOException {
        List<Path> out = new ArrayList<>();
        long g = 0;
        for (int i = 0; i < rowsPerShard.length; i++) {
            Path p = dir.resolve(String.format("shard-%02d.safetensors", i));
            new SafetensorsWriter().metadata("layer", "12")
                    .add("other", new long[]{3}, new float[]{1, 2, 3})
                    .add("acts", dtype, new long[]{rowsPerShard[i], dIn}, rows(g, rowsPerShard[i], dIn))
                    .write(p);
            g += rowsPerShard[i];
            out.add(p);
        }
        return out;
    }

    static FloatBuffer buffer(int rows, int dIn) {
        return ByteBuffer.allocateDirect(rows * dIn * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    /**
     * Reads the rest of the current epoch in reads of {@code batch} rows and returns the row ids, checking
     * every column of every row against {@link #value}.
     */
    static List<Long> readEpoch(ActivationSource src, int batch) {
        List<Long> ids = new ArrayList<>();
        int dIn = src.dIn();
        FloatBuffer buf = buffer(batch, dIn);
        while (true) {
            buf.clear();
            int n = src.read(buf, batch);
            assertEquals((long) n * dIn, buf.position(), "position advanced by rows * dIn");
            if (n == 0) {
                return ids;
            }
            ids.addAll(ids(buf, n, dIn));
        }
    }

    /** Row ids of the first {@code n} rows of {@code buf}, each row checked column by column against {@link #value}. */
    static List<Long> ids(FloatBuffer buf, int n, int dIn) {
        List<Long> out = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            long g = (long) (buf.get(r * dIn) / 8);
            for (int c = 0; c < dIn; c++) {
                assertEquals(value(g, c), buf.get(r * dIn + c), "row " + g + " column " + c);
            }
            out.add(g);
        }
        return out;
    }

    /** Reads everything left in the epoch as raw floats. */
    static float[] readAllFloats(ActivationSource src, int batch) {
        int dIn = src.dIn();
        FloatBuffer all = FloatBuffer.allocate((int) (src.rowsPerEpoch() * dIn));
        FloatBuffer buf = buffer(batch, dIn);
        int n;
        do {
            buf.clear();
            n = src.read(buf, batch);
            buf.flip();
            all.put(buf);
        } while (n > 0);
        float[] out = new float[all.position()];
        all.flip().get(out);
        return out;
    }

    static List<Long> range(long n) {
        List<Long> out = new ArrayList<>();
        for (long i = 0; i < n; i++) {
            out.add(i);
        }
        return out;
    }
}

package io.jsae.core.data;

import io.jsae.core.io.DType;
import io.jsae.core.io.HalfFloats;
import io.jsae.core.io.NpyWriter;
import io.jsae.core.io.TensorFileException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static io.jsae.core.data.TestShards.buffer;
import static io.jsae.core.data.TestShards.range;
import static io.jsae.core.data.TestShards.readEpoch;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NpyActivationSourceTest {

    @TempDir
    Path dir;

    private static LoaderOptions.Builder opts(int threads) {
        return LoaderOptions.builder().readThreads(threads);
    }

    private NpyActivationSource open(List<Path> files, LoaderOptions options) {
        return NpyActivationSource.builder().files(files).options(options).build();
    }

    static void assertMessage(Exception e, String... parts) {
        assertTrue(e.getMessage() != null && !e.getMessage().isEmpty());
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "message lacks '" + p + "': " + e.getMessage());
        }
    }

    @Test
    void readsShardsInOrderWhateverTheBatchSizeAndThreads() throws IOException {
        List<Path> files = TestShards.npy(dir, 3, 5, 17, 1, 9);
        for (int threads : new int[]{0, 1, 3}) {
            for (int batch : new int[]{1, 4, 32, 100}) {
                try (NpyActivationSource src = open(files, opts(threads).build())) {
                    assertEquals(3, src.dIn());
                    assertEquals(32, src.rowsPerEpoch());
                    assertEquals(range(32), readEpoch(src, batch), "threads " + threads + ", batch " + batch);
                    assertEquals(new SourcePosition(0, 32), src.position());
                    assertEquals(0, src.read(buffer(1, 3), 1), "epoch exhausted");
                    src.nextEpoch();
                    assertEquals(new SourcePosition(1, 0), src.position());
                    assertEquals(range(32), readEpoch(src, batch));
                }
            }
        }
    }

    @Test
    void positionCountsRowsReadAndReadFillsAcrossBatches() throws IOException {
        List<Path> files = TestShards.npy(dir, 2, 6, 6);
        try (NpyActivationSource src = open(files, opts(2).build())) { // batches of 5 inside
            FloatBuffer buf = buffer(7, 2);
            assertEquals(7, src.read(buf, 7), "a read fills across pieces read by both threads");
            assertEquals(new SourcePosition(0, 7), src.position());
            buf.clear();
            assertEquals(5, src.read(buf, 7), "only the end of the epoch returns fewer rows");
            assertEquals(new SourcePosition(0, 12), src.position());
        }
    }

    @Test
    void readsIntoHeapBuffersAtTheirPosition() throws IOException {
        List<Path> files = TestShards.npy(dir, 4, 3, 4);
        for (int threads : new int[]{0, 2}) {
            try (NpyActivationSource src = open(files, opts(threads).build())) {
                FloatBuffer heap = FloatBuffer.allocate(1 + 7 * 4);
                heap.put(-1f);
                assertEquals(7, src.read(heap, 7));
                assertEquals(29, heap.position());
                assertEquals(-1f, heap.get(0));
                float[] got = new float[28];
                heap.position(1);
                heap.get(got);
                assertArrayEquals(TestShards.rows(0, 7, 4), got);
            }
        }
    }

    @Test
    void decodesFloat16Shards() throws IOException {
        float[] values = {1f, -2.5f, 1e-7f, 65504f, 0.1f, 3.14159f};
        Path f16 = dir.resolve("a.npy");
        NpyWriter.write(f16, DType.F16, values, 3, 2);
        Path f32 = dir.resolve("b.npy");
        NpyWriter.write(f32, new float[]{7f, 8f}, 1, 2);
        try (NpyActivationSource src = open(List.of(f16, f32), opts(0).build())) {
            float[] all = TestShards.readAllFloats(src, 2);
            float[] expected = new float[8];
            for (int i = 0; i < values.length; i++) {
                expected[i] = HalfFloats.f16ToFloat(HalfFloats.floatToF16(values[i]));
            }
            expected[6] = 7f;
            expected[7] = 8f;
            assertArrayEquals(expected, all);
            assertEquals(0x1p-24f * 2, all[2], "1e-7 becomes the F16 subnormal 2^-23");
        }
    }

    @Test
    void float16RowsOfAnOddByteWidthReadExactly() throws IOException {
        Path f16 = dir.resolve("h.npy"); // 10-byte rows, 45 values: rows start off any vector alignment
        float[] v = TestShards.rows(0, 9, 5);
        NpyWriter.write(f16, DType.F16, v, 9, 5);
        for (int threads : new int[]{0, 2}) {
            try (NpyActivationSource src = open(List.of(f16), opts(threads).build())) {
                assertArrayEquals(v, TestShards.readAllFloats(src, 4), "threads " + threads);
            }
        }
    }

    @Test
    void nonFiniteRowFailsWithFileAndRowWithAndWithoutReadingThreads() throws IOException {
        List<Path> files = TestShards.npy(dir, 3, 5, 6);
        float[] second = TestShards.rows(5, 6, 3);
        second[3 * 3 + 1] = Float.NaN; // row 3 of the second shard, column 1
        NpyWriter.write(files.get(1), second, 6, 3);
        List<String> messages = new ArrayList<>();
        for (int threads : new int[]{0, 2}) {
            try (NpyActivationSource src = open(files, opts(threads).build())) {
                FloatBuffer buf = buffer(32, 3);
                assertEquals(8, src.read(buf, 32), "rows before the bad one are delivered");
                assertEquals(new SourcePosition(0, 8), src.position());
                ActivationDataException e = assertThrows(ActivationDataException.class, () -> src.read(buffer(4, 3), 4));
                assertMessage(e, "shard-01.npy", "row 3", "column 1", "NaN", "skipNonFinite");
                messages.add(e.getMessage());
                ActivationDataException again = assertThrows(ActivationDataException.class, () -> src.read(buffer(4, 3), 4));
                assertEquals(e.getMessage(), again.getMessage(), "the error repeats until a seek");
                assertEquals(new SourcePosition(0, 8), src.position());
                src.seek(new SourcePosition(0, 9));
                assertEquals(List.of(9L, 10L), readEpoch(src, 4));
            }
        }
        assertEquals(messages.get(0), messages.get(1), "the reading thread's error keeps its original message");
    }

    @Test
    void skipNonFiniteSkipsAndCountsRowsKeepingPositionsExact() throws IOException {
        List<Path> files = TestShards.npy(dir, 4, 6, 6);
        float[] first = TestShards.rows(0, 6, 4);
        first[2 * 4 + 3] = Float.POSITIVE_INFINITY;
        first[3 * 4] = Float.NaN;
        NpyWriter.write(files.get(0), first, 6, 4);
        float[] second = TestShards.rows(6, 6, 4);
        second[5 * 4 + 2] = Float.NEGATIVE_INFINITY; // the last row of the epoch
        NpyWriter.write(files.get(1), second, 6, 4);
        for (int threads : new int[]{0, 2}) {
            try (NpyActivationSource src = open(files, opts(threads).skipNonFinite(true).build())) {
                assertEquals(12, src.rowsPerEpoch());
                assertEquals(List.of(0L, 1L), readRows(src, 2));
                assertEquals(new SourcePosition(0, 2), src.position());
                assertEquals(List.of(4L, 5L, 6L, 7L, 8L, 9L, 10L), readEpoch(src, 3));
                assertEquals(new SourcePosition(0, 12), src.position());
                assertEquals(3, src.skippedRows());
                src.seek(new SourcePosition(0, 3));
                assertEquals(List.of(4L), readRows(src, 1));
                assertEquals(new SourcePosition(0, 5), src.position());
            }
        }
    }

    private static List<Long> readRows(ActivationSource src, int n) {
        FloatBuffer buf = buffer(n, src.dIn());
        int got = src.read(buf, n);
        List<Long> ids = new ArrayList<>();
        for (int r = 0; r < got; r++) {
            ids.add((long) (buf.get(r * src.dIn()) / 8));
        }
        return ids;
    }

    @Test
    void float16NonFiniteRowsAreFoundWhileConverting() throws IOException {
        float[] v = TestShards.rows(0, 6, 4);
        v[4 + 2] = Float.POSITIVE_INFINITY; // row 1, column 2
        v[3 * 4] = Float.NaN; // row 3, column 0
        Path f16 = dir.resolve("h.npy");
        NpyWriter.write(f16, DType.F16, v, 6, 4);
        for (int threads : new int[]{0, 2}) {
            try (NpyActivationSource src = open(List.of(f16), opts(threads).build())) {
                assertEquals(List.of(0L), readRows(src, 4), "rows before the bad one");
                ActivationDataException e = assertThrows(ActivationDataException.class, () -> src.read(buffer(4, 4), 4));
                // byte = 128-byte header + row 1 * 8 bytes + column 2 * 2 bytes
                assertMessage(e, "h.npy", "row 1", "column 2", "(byte 140", "Infinity");
            }
            try (NpyActivationSource src = open(List.of(f16), opts(threads).skipNonFinite(true).build())) {
                assertEquals(List.of(0L, 2L, 4L, 5L), readEpoch(src, 3), "threads " + threads);
                assertEquals(2, src.skippedRows());
            }
        }
    }

    @Test
    void shardsLargerThan2GiBAreReadAtOffsetsBeyond2GiB() throws IOException {
        int dIn = 1024; // 4 KiB rows
        long rows = (1L << 31) / (4L * dIn) + 64; // 2 GiB + 256 KiB of data
        Path big = dir.resolve("big.npy");
        byte[] header = npyHeader("<f4", rows, dIn);
        long[] written = {(1L << 31) / (4L * dIn) - 8, rows - 8}; // rows across byte 2^31, and the last rows
        try (RandomAccessFile f = new RandomAccessFile(big.toFile(), "rw")) {
            f.setLength(header.length + rows * 4L * dIn); // sparse: the rows not written below read as zeros
            f.write(header);
            for (long first : written) {
                int n = (int) Math.min(16, rows - first);
                java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(n * 4 * dIn).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                b.asFloatBuffer().put(TestShards.rows(first, n, dIn));
                f.getChannel().write(b, header.length + first * 4L * dIn);
            }
        }
        for (int threads : new int[]{0, 2}) {
            try (NpyActivationSource src = open(List.of(big), opts(threads).build())) {
                assertEquals(rows, src.rowsPerEpoch());
                for (long first : written) {
                    src.seek(new SourcePosition(0, first));
                    int n = (int) Math.min(16, rows - first);
                    List<Long> got = readRows(src, n);
                    List<Long> want = new ArrayList<>();
                    for (long r = first; r < first + n; r++) {
                        want.add(r);
                    }
                    assertEquals(want, got, "threads " + threads);
                }
            }
        }
    }

    /** A version 1.0 .npy header for a C-order 2-D array, padded so data starts at a multiple of 64. */
    private static byte[] npyHeader(String descr, long rows, int cols) {
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + rows + ", " + cols + "), }";
        int unpadded = 10 + dict.length() + 1;
        int padded = (unpadded + 63) / 64 * 64;
        byte[] text = (dict + " ".repeat(padded - unpadded) + "\n").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(10 + text.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1)).put((byte) 1).put((byte) 0)
                .putShort((short) text.length).put(text);
        return b.array();
    }

    @Test
    void optionsFromTheConstructorEqualTheBuiltOnesAndAreChecked() {
        LoaderOptions o = new LoaderOptions(true, 3, 8, 2, false, 1, true);
        assertEquals(LoaderOptions.builder().shuffle(3).shuffleBufferRows(8).chunkRows(2).readThreads(1).build(), o);
        assertEquals(o, o.toBuilder().build());
        assertEquals(new LoaderOptions(false, 0, LoaderOptions.DEFAULT_SHUFFLE_BUFFER_ROWS, LoaderOptions.DEFAULT_CHUNK_ROWS,
                false, LoaderOptions.DEFAULT_READ_THREADS, true), LoaderOptions.DEFAULTS);
        assertEquals(false, o.toBuilder().memoryMapped(false).build().memoryMapped());
        assertEquals(o, new LoaderOptions(true, 3, 8, 2, false, 1), "the constructor without memoryMapped maps");
        assertThrows(IllegalArgumentException.class, () -> new LoaderOptions(true, 3, 8, 2, false, -1, true));
    }

    @Test
    void rejectsShardsOfDifferentWidthsNamingBoth() throws IOException {
        Path a = dir.resolve("a.npy");
        Path b = dir.resolve("b.npy");
        NpyWriter.write(a, new float[8], 2, 4);
        NpyWriter.write(b, new float[10], 2, 5);
        ActivationDataException e = assertThrows(ActivationDataException.class, () -> open(List.of(a, b), opts(0).build()));
        assertMessage(e, "a.npy", "b.npy", "width (d_in) 5", "has 4", "same width");
    }

    @Test
    void rejectsEmptyShardAndBadFilesBeforeReading() throws IOException {
        Path a = dir.resolve("a.npy");
        NpyWriter.write(a, new float[4], 1, 4);
        Path empty = dir.resolve("empty.npy");
        NpyWriter.write(empty, new float[0], 0, 4);
        assertMessage(assertThrows(ActivationDataException.class, () -> open(List.of(a, empty), opts(0).build())),
                "empty.npy", "0 rows");
        Path junk = dir.resolve("junk.npy");
        Files.writeString(junk, "not numpy at all");
        TensorFileException e = assertThrows(TensorFileException.class, () -> open(List.of(a, junk), opts(0).build()));
        assertMessage(e, "junk.npy", "(byte 0)", "wrong magic");
        assertMessage(assertThrows(TensorFileException.class, () -> open(List.of(a, dir.resolve("none.npy")), opts(0).build())),
                "none.npy", "cannot open");
        assertMessage(assertThrows(ActivationDataException.class, () -> open(List.of(a, a), opts(0).build())), "listed twice");
    }

    @Test
    void directoryListsNpyFilesSortedByName() throws IOException {
        Path shards = Files.createDirectory(dir.resolve("shards"));
        NpyWriter.write(shards.resolve("b.npy"), TestShards.rows(2, 2, 2), 2, 2);
        NpyWriter.write(shards.resolve("a.npy"), TestShards.rows(0, 2, 2), 2, 2);
        Files.writeString(shards.resolve("notes.txt"), "ignored");
        Files.writeString(shards.resolve(".hidden.npy"), "ignored");
        try (NpyActivationSource src = NpyActivationSource.builder().directory(shards).options(opts(0).build()).build()) {
            assertEquals(List.of("a.npy", "b.npy"), src.files().stream().map(p -> p.getFileName().toString())
                    .collect(Collectors.toList()));
            assertEquals(range(4), readEpoch(src, 3));
        }
        Path none = Files.createDirectory(dir.resolve("none"));
        assertMessage(assertThrows(ActivationDataException.class,
                () -> NpyActivationSource.builder().directory(none).build()), "none", "no *.npy files");
    }

    @Test
    void shardTruncatedWhileOpenIsReportedNotCrashing() throws IOException {
        List<Path> files = TestShards.npy(dir, 4, 10, 10);
        for (int threads : new int[]{0, 2}) {
            try (NpyActivationSource src = open(files, opts(threads).build())) {
                try (FileChannel ch = FileChannel.open(files.get(1), StandardOpenOption.WRITE)) {
                    ch.truncate(200);
                }
                ActivationDataException e = assertThrows(ActivationDataException.class, () -> readEpoch(src, 4));
                assertMessage(e, "shard-01.npy", "changed while in use");
            }
            files = TestShards.npy(dir, 4, 10, 10);
        }
    }

    @Test
    void closeStopsTheReadingThreadsAndLaterCallsFail() throws IOException {
        List<Path> files = TestShards.npy(dir, 2, 50);
        Set<Thread> before = loaderThreads();
        NpyActivationSource src = open(files, opts(2).build());
        assertEquals(1, src.read(buffer(1, 2), 1));
        src.readAhead(buffer(8, 2), 8);
        Set<Thread> ours = loaderThreads();
        ours.removeAll(before);
        assertEquals(2, ours.size(), "the two reading threads asked for");
        src.close();
        src.close(); // idempotent
        for (Thread t : ours) {
            assertFalse(t.isAlive(), "reading thread stopped by close");
        }
        assertThrows(IllegalStateException.class, () -> src.read(buffer(1, 2), 1));
    }

    @Test
    void rejectsBadArguments() throws IOException {
        List<Path> files = TestShards.npy(dir, 2, 4);
        try (NpyActivationSource src = open(files, opts(0).build())) {
            assertThrows(IllegalArgumentException.class, () -> src.seek(new SourcePosition(0, 5)));
            assertThrows(IllegalArgumentException.class, () -> src.read(buffer(1, 2), 2), "buffer too small");
            assertThrows(IllegalArgumentException.class, () -> src.read(buffer(1, 2), 0));
        }
        assertThrows(IllegalStateException.class, () -> NpyActivationSource.builder().build());
        assertThrows(IllegalArgumentException.class, () -> LoaderOptions.builder().chunkRows(0).build());
        assertThrows(IllegalArgumentException.class, () -> LoaderOptions.builder().readThreads(-1).build());
    }

    private static Set<Thread> loaderThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("jsae-loader-") && t.isAlive())
                .collect(Collectors.toSet());
    }
}

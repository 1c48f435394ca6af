package io.jsae.core.data;

import io.jsae.core.io.DType;
import io.jsae.core.io.NpyFile;
import io.jsae.core.io.NpyHeader;
import io.jsae.core.io.NpyWriter;
import io.jsae.core.io.SafetensorsWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static io.jsae.core.data.NpyActivationSourceTest.assertMessage;
import static io.jsae.core.data.TestShards.buffer;
import static io.jsae.core.data.TestShards.readEpoch;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The reading engine with tiny pieces, so that small shards exercise many pieces per read, spans split over
 * several reads, pieces shared between the reading threads and the caller, and reads ahead kept or dropped;
 * checked row by row against the order {@link EpochOrder} defines.
 */
class ShardedStreamTest {

    private static final int D_IN = 3; // 12 float32 bytes per row
    private static final int[] SHARDS = {23, 17, 1, 31}; // 72 rows
    private static final long PIECE = 3 * 12;

    @TempDir
    Path dir;

    private static List<ShardSpec> specs(List<Path> files) throws IOException {
        List<ShardSpec> out = new ArrayList<>();
        for (Path p : files) {
            NpyHeader h = NpyFile.readHeader(p);
            out.add(new ShardSpec(p, p.getFileName().toString(), h.dtype(), h.rows(), h.cols(), h.dataOffset(),
                    Files.size(p)));
        }
        return out;
    }

    private static ShardedStream open(List<Path> files, LoaderOptions o) throws IOException {
        return new ShardedStream(specs(files), o, PIECE);
    }

    /** Global row ids of one epoch in the order the definition gives. */
    private static List<Long> expected(LoaderOptions o, long epoch) {
        long[] rows = new long[SHARDS.length];
        long[] first = new long[SHARDS.length];
        long total = 0;
        for (int s = 0; s < SHARDS.length; s++) {
            rows[s] = SHARDS[s];
            first[s] = total;
            total += SHARDS[s];
        }
        EpochOrder order = new EpochOrder(rows, o.chunkRows(), o.shuffleBufferRows(), o.seed(), o.shuffle());
        EpochOrder.Plan plan = order.plan(epoch);
        EpochOrder.Run run = new EpochOrder.Run();
        List<Long> ids = new ArrayList<>();
        for (long p = 0; p < total; p++) {
            plan.locate(p, 1, run);
            ids.add(first[run.shard] + run.shardRow);
        }
        return ids;
    }

    private static List<LoaderOptions> variants() {
        List<LoaderOptions> out = new ArrayList<>();
        for (boolean mapped : new boolean[]{true, false}) {
            for (int threads : new int[]{0, 1, 3}) {
                LoaderOptions.Builder b = LoaderOptions.builder().readThreads(threads).chunkRows(4).memoryMapped(mapped);
                out.add(b.noShuffle().build());
                out.add(b.shuffle(11).shuffleBufferRows(9).build()); // spans of 9 rows over 3 segments
                out.add(b.shuffle(12).shuffleBufferRows(1).build()); // chunks permuted, rows in order
            }
        }
        return out;
    }

    @Test
    void everyVariantYieldsTheDefinedOrderAcrossEpochs() throws IOException {
        List<Path> files = TestShards.npy(dir, D_IN, SHARDS);
        for (LoaderOptions o : variants()) {
            try (ShardedStream src = open(files, o)) {
                for (int e = 0; e < 3; e++) {
                    if (e > 0) {
                        src.nextEpoch();
                    }
                    assertEquals(expected(o, e), readEpoch(src, 7), "epoch " + e + " with " + o);
                }
            }
        }
    }

    @Test
    void seeksAnywhereAndContinuesWithTheDefinedRows() throws IOException {
        List<Path> files = TestShards.npy(dir, D_IN, SHARDS);
        Random rnd = new Random(5);
        for (LoaderOptions o : variants()) {
            try (ShardedStream src = open(files, o)) {
                for (int k = 0; k < 8; k++) {
                    long e = rnd.nextInt(3);
                    int row = rnd.nextInt(73);
                    src.seek(new SourcePosition(e, row));
                    FloatBuffer buf = buffer(5, D_IN);
                    int n = src.read(buf, 5);
                    List<Long> want = expected(o, e);
                    assertEquals(Math.min(5, 72 - row), n);
                    for (int r = 0; r < n; r++) {
                        assertEquals((long) want.get(row + r), (long) (buf.get(r * D_IN) / 8), "seek " + e + "/" + row);
                    }
                    assertEquals(new SourcePosition(e, row + n), src.position());
                }
            }
        }
    }

    @Test
    void nonFiniteRowsAreSkippedOrRaisedAtTheirPositionInEveryVariant() throws IOException {
        List<Path> files = TestShards.npy(dir, D_IN, SHARDS);
        Set<Long> bad = Set.of(0L, 5L, 24L, 40L, 41L, 71L); // global ids: first row, mid-piece, several shards, last
        long g = 0;
        for (int s = 0; s < SHARDS.length; s++) {
            float[] v = TestShards.rows(g, SHARDS[s], D_IN);
            for (int r = 0; r < SHARDS[s]; r++) {
                if (bad.contains(g + r)) {
                    v[r * D_IN + (int) ((g + r) % D_IN)] = (g + r) % 2 == 0 ? Float.NaN : Float.NEGATIVE_INFINITY;
                }
            }
            NpyWriter.write(files.get(s), v, SHARDS[s], D_IN);
            g += SHARDS[s];
        }
        for (LoaderOptions o : variants()) {
            List<Long> order = expected(o, 0);
            List<Long> good = new ArrayList<>(order);
            good.removeAll(bad);
            try (ShardedStream src = open(files, o.toBuilder().skipNonFinite(true).build())) {
                assertEquals(good, readEpoch(src, 7), "skipping with " + o);
                assertEquals(bad.size(), src.skippedRows());
                assertEquals(new SourcePosition(0, 72), src.position());
            }
            try (ShardedStream src = open(files, o)) {
                int firstBad = 0;
                while (!bad.contains(order.get(firstBad))) {
                    firstBad++;
                }
                List<Long> before = new ArrayList<>();
                ActivationDataException e = assertThrows(ActivationDataException.class, () -> {
                    FloatBuffer buf = buffer(7, D_IN);
                    while (true) {
                        buf.clear();
                        int n = src.read(buf, 7);
                        for (int r = 0; r < n; r++) {
                            before.add((long) (buf.get(r * D_IN) / 8));
                        }
                    }
                });
                assertEquals(order.subList(0, firstBad), before, "rows before the first bad one, with " + o);
                assertEquals(new SourcePosition(0, firstBad), src.position());
                long id = order.get(firstBad);
                int shard = 0;
                long shardRow = id;
                while (shardRow >= SHARDS[shard]) {
                    shardRow -= SHARDS[shard++];
                }
                assertMessage(e, String.format("shard-%02d.npy", shard), "row " + shardRow + " (byte",
                        "column " + id % D_IN, id % 2 == 0 ? "NaN" : "-Infinity");
            }
        }
    }

    @Test
    void truncationAfterTheFirstReadIsRaisedBeforeAnyMissingRow() throws IOException {
        for (LoaderOptions o : variants()) {
            if (o.shuffle()) {
                continue;
            }
            List<Path> files = TestShards.npy(dir, D_IN, SHARDS);
            try (ShardedStream src = open(files, o)) {
                FloatBuffer buf = buffer(2, D_IN);
                assertEquals(2, src.read(buf, 2));
                try (FileChannel ch = FileChannel.open(files.get(0), StandardOpenOption.WRITE)) {
                    ch.truncate(NpyFile.readHeader(files.get(0)).dataOffset() + 10 * 12); // keeps rows 0..9
                }
                // the error comes at the latest in the piece (3 rows) holding row 10, the first missing row, or as
                // soon as a thread opens the changed file; every row delivered before it is checked by readEpoch
                ActivationDataException e = assertThrows(ActivationDataException.class, () -> readEpoch(src, 3), o.toString());
                assertMessage(e, "shard-00.npy", "changed while in use");
                long at = src.position().row();
                assertTrue(at <= 10 && at >= 2, "error at " + src.position() + " with " + o);
            }
        }
    }

    private static List<Long> ids(FloatBuffer buf, int n) {
        return TestShards.ids(buf, n, D_IN);
    }

    @Test
    void readsAheadIntoTheNextBufferAndDropsAReadAheadTheNextReadDoesNotMatch() throws IOException {
        List<Path> files = TestShards.npy(dir, D_IN, SHARDS);
        for (LoaderOptions o : variants()) {
            try (ShardedStream src = open(files, o)) {
                for (int e = 0; e < 2; e++) {
                    FloatBuffer[] bufs = {buffer(5, D_IN), buffer(5, D_IN)};
                    List<Long> got = new ArrayList<>();
                    for (int i = 0, step = 0; ; i ^= 1, step++) {
                        bufs[i].clear();
                        int n = src.read(bufs[i], 5);
                        if (n == 0) {
                            break;
                        }
                        assertEquals(n * D_IN, bufs[i].position());
                        if (step % 4 == 3) {
                            src.readAhead(bufs[i ^ 1].clear(), 4); // not what the next read asks: dropped
                        } else if (step % 4 == 2) {
                            src.readAhead(buffer(5, D_IN), 5); // another buffer: dropped
                        } else {
                            src.readAhead(bufs[i ^ 1].clear(), 5);
                        }
                        got.addAll(ids(bufs[i], n)); // while the next rows are being read into the other buffer
                    }
                    assertEquals(expected(o, e), got, "epoch " + e + " with " + o);
                    src.nextEpoch();
                }
            }
        }
    }

    @Test
    void aSeekOrCloseAfterAReadAheadLeavesNoTraceAndStopsItsWork() throws IOException {
        List<Path> files = TestShards.npy(dir, D_IN, SHARDS);
        for (LoaderOptions o : variants()) {
            ShardedStream src = open(files, o);
            FloatBuffer buf = buffer(40, D_IN);
            src.readAhead(buf, 40);
            src.seek(new SourcePosition(1, 30));
            buf.clear();
            assertEquals(40, src.read(buf, 40));
            assertEquals(expected(o, 1).subList(30, 70), ids(buf, 40), "after a seek with " + o);
            src.readAhead(buf.clear(), 2);
            src.close(); // with a read-ahead under way
            assertThrows(IllegalStateException.class, () -> src.read(buffer(1, D_IN), 1));
        }
    }

    @Test
    void heapBuffersGetTheSameRowsThroughACopy() throws IOException {
        List<Path> files = TestShards.npy(dir, D_IN, SHARDS);
        for (LoaderOptions o : variants()) {
            try (ShardedStream src = open(files, o)) {
                FloatBuffer heap = FloatBuffer.allocate(9 * D_IN);
                List<Long> got = new ArrayList<>();
                for (int n; (n = src.read(heap.clear(), 9)) > 0; ) {
                    got.addAll(ids(heap, n));
                    src.readAhead(heap.clear(), 9);
                }
                assertEquals(expected(o, 0), got, "heap buffer with " + o);
            }
        }
    }

    /** Reads the rest of the epoch as stored, the way the trainer does (two buffers, each next read announced). */
    private static List<float[]> readStoredEpoch(ActivationSource src, int batch) {
        int rowBytes = src.dIn() * src.storedType().byteSize();
        ByteBuffer[] bufs = {ByteBuffer.allocateDirect(batch * rowBytes), ByteBuffer.allocate(batch * rowBytes)};
        List<float[]> out = new ArrayList<>();
        for (int i = 0; ; i ^= 1) {
            int n = src.readStored(bufs[i].clear(), batch);
            assertEquals(n * rowBytes, bufs[i].position(), "position advanced by the stored bytes");
            if (n == 0) {
                return out;
            }
            src.readAheadStored(bufs[i ^ 1].clear(), batch);
            for (int r = 0; r < n; r++) {
                float[] row = new float[src.dIn()];
                for (int c = 0; c < row.length; c++) {
                    row[c] = Decoding.storedValue(src.storedType(), bufs[i], r * rowBytes, c);
                }
                out.add(row);
            }
        }
    }

    private static List<float[]> readFloatEpoch(ActivationSource src, int batch) {
        FloatBuffer buf = buffer(batch, src.dIn());
        List<float[]> out = new ArrayList<>();
        for (int n; (n = src.read(buf.clear(), batch)) > 0; ) {
            for (int r = 0; r < n; r++) {
                float[] row = new float[src.dIn()];
                buf.get(r * src.dIn(), row);
                out.add(row);
            }
        }
        return out;
    }

    @Test
    void storedRowsAreTheFilesValuesInTheSameOrderWithTheSameChecks() throws IOException {
        for (DType type : new DType[] {DType.F32, DType.F16, DType.BF16}) {
            Path sub = Files.createDirectories(dir.resolve(type.name()));
            List<Path> files = TestShards.safetensors(sub, type, D_IN, SHARDS);
            // a NaN in shard 1, row 4 (global row 27), and an infinity in shard 3, row 0 (global row 41)
            float[] v = TestShards.rows(23, SHARDS[1], D_IN);
            v[4 * D_IN + 2] = Float.NaN;
            new SafetensorsWriter().add("acts", type, new long[] {SHARDS[1], D_IN}, v).write(files.get(1));
            v = TestShards.rows(41, SHARDS[3], D_IN);
            v[1] = Float.POSITIVE_INFINITY;
            new SafetensorsWriter().add("acts", type, new long[] {SHARDS[3], D_IN}, v).write(files.get(3));
            for (LoaderOptions o : variants()) {
                LoaderOptions skipping = o.toBuilder().skipNonFinite(true).build();
                try (SafetensorsActivationSource floats = SafetensorsActivationSource.builder().files(files)
                        .tensor("acts").options(skipping).build();
                     SafetensorsActivationSource stored = SafetensorsActivationSource.builder().files(files)
                             .tensor("acts").options(skipping).build()) {
                    assertEquals(type, stored.storedType());
                    for (int e = 0; e < 2; e++) {
                        List<float[]> want = readFloatEpoch(floats, 5);
                        List<float[]> got = readStoredEpoch(stored, 5);
                        assertEquals(70, want.size(), "two rows skipped");
                        assertEquals(want.size(), got.size(), type + " with " + o);
                        for (int r = 0; r < want.size(); r++) {
                            assertArrayEquals(want.get(r), got.get(r), type + " row " + r + " with " + o);
                        }
                        assertEquals(2, stored.skippedRows() - 2L * e);
                        floats.nextEpoch();
                        stored.nextEpoch();
                    }
                }
                try (SafetensorsActivationSource stored = SafetensorsActivationSource.builder().files(files)
                        .tensor("acts").options(o).build()) {
                    ActivationDataException e = assertThrows(ActivationDataException.class,
                            () -> readStoredEpoch(stored, 5));
                    assertTrue(e.getMessage().contains("holds NaN") || e.getMessage().contains("holds Infinity"),
                            e.getMessage());
                    assertTrue(e.getMessage().contains("row 4 (byte") || e.getMessage().contains("row 0 (byte"),
                            e.getMessage());
                }
            }
        }
    }

    @Test
    void shardsOfMixedTypesAreStoredAsFloat32() throws IOException {
        Path a = Files.createDirectories(dir.resolve("a"));
        Path b = Files.createDirectories(dir.resolve("b"));
        List<Path> files = List.of(TestShards.safetensors(a, DType.F16, D_IN, 7).get(0),
                TestShards.safetensors(b, DType.BF16, D_IN, 5).get(0));
        try (SafetensorsActivationSource src = SafetensorsActivationSource.builder().files(files).tensor("acts").build();
             SafetensorsActivationSource ref = SafetensorsActivationSource.builder().files(files).tensor("acts").build()) {
            assertEquals(DType.F32, src.storedType());
            List<float[]> want = readFloatEpoch(ref, 4);
            List<float[]> got = readStoredEpoch(src, 4);
            assertEquals(12, got.size());
            for (int r = 0; r < 12; r++) {
                assertArrayEquals(want.get(r), got.get(r), "row " + r);
            }
        }
    }

    /**
     * Random mixes of reads, reads as stored, reads ahead (taken, dropped, or into the buffer about to be read),
     * cancels, seeks and epoch changes, in every variant: each read returns exactly the rows the definition gives
     * at the source's position, and the position follows.
     */
    @Test
    void randomMixesOfReadsReadAheadsSeeksAndCancelsAlwaysGiveTheDefinedRows() throws IOException {
        List<Path> files = TestShards.npy(dir, D_IN, SHARDS);
        Random rnd = new Random(17);
        for (LoaderOptions o : variants()) {
            try (ShardedStream src = open(files, o)) {
                FloatBuffer[] floats = {buffer(9, D_IN), buffer(9, D_IN)};
                ByteBuffer[] stored = {ByteBuffer.allocateDirect(9 * D_IN * 4), ByteBuffer.allocate(9 * D_IN * 4)};
                long epoch = 0;
                long row = 0;
                for (int op = 0; op < 300; op++) {
                    int kind = rnd.nextInt(10);
                    int n = 1 + rnd.nextInt(9);
                    int b = rnd.nextInt(2);
                    String what = "op " + op + " (" + kind + ") with " + o;
                    if (kind < 4) { // read as float32
                        int got = src.read(floats[b].clear(), n);
                        assertEquals(Math.min(n, 72 - row), got, what);
                        assertEquals(expected(o, epoch).subList((int) row, (int) row + got), ids(floats[b], got), what);
                        row += got;
                    } else if (kind < 6) { // read as stored (float32 files: the same bytes)
                        int got = src.readStored(stored[b].clear(), n);
                        assertEquals(Math.min(n, 72 - row), got, what);
                        assertEquals(got * D_IN * 4, stored[b].position(), what);
                        FloatBuffer f = stored[b].duplicate().order(java.nio.ByteOrder.LITTLE_ENDIAN).clear().asFloatBuffer();
                        assertEquals(expected(o, epoch).subList((int) row, (int) row + got), ids(f, got), what);
                        row += got;
                    } else if (kind < 8) { // announce a read, which the next read may or may not match
                        src.readAhead(floats[b].clear(), n);
                    } else if (kind == 8) {
                        src.cancelReadAhead();
                    } else if (rnd.nextBoolean()) {
                        epoch = rnd.nextInt(3);
                        row = rnd.nextInt(73);
                        src.seek(new SourcePosition(epoch, row));
                    } else {
                        src.nextEpoch();
                        epoch++;
                        row = 0;
                    }
                    assertEquals(new SourcePosition(epoch, row), src.position(), what);
                }
            }
        }
    }

    @Test
    void rowsAreCopiedOutOfMappingsByDefaultAndReadWhenAskedNot() throws IOException {
        List<Path> files = TestShards.npy(dir, D_IN, SHARDS);
        try (ShardedStream mapped = open(files, LoaderOptions.DEFAULTS);
             ShardedStream read = open(files, LoaderOptions.builder().memoryMapped(false).build())) {
            assertEquals(NativeDecoding.available(), mapped.memoryMapped(), "mapped where the native copy loads");
            assertFalse(read.memoryMapped());
            assertEquals(readEpoch(read, 7), readEpoch(mapped, 7));
        }
    }

    /**
     * A sparse shard of 2.25 GiB (nothing but the rows looked at is stored): rows read across the 1 GiB and 2 GiB
     * window boundaries of the mappings, and the last rows, are the file's, as positional reads give them.
     */
    @Test
    void rowsAcrossMappingWindowsAreTheFilesRows() throws IOException {
        int dIn = 4096;
        long rows = 147_456; // 16 KiB rows: 2.25 GiB
        Path p = dir.resolve("sparse.npy");
        NpyWriter w = NpyWriter.create(p, DType.F32, rows, dIn); // the header only
        try {
            w.close();
        } catch (IOException expected) {
            // "only 0 of ... values were written": the rows follow, sparsely
        }
        long dataOffset = Files.size(p); // the header's length
        long[] starts = {65_528, 131_064, rows - 3}; // the 1 GiB and 2 GiB boundaries fall in rows 65535 and 131071
        int count = 16;
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            for (long start : starts) {
                long n = Math.min(count, rows - start);
                ByteBuffer b = ByteBuffer.allocate((int) n * dIn * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                b.asFloatBuffer().put(TestShards.rows(start, (int) n, dIn));
                ch.write(b, dataOffset + start * dIn * 4L);
            }
            // the last rows make the file its full length; the holes read as zeros
        }
        assertEquals(dataOffset + rows * dIn * 4L, Files.size(p));
        for (boolean mapped : new boolean[] {true, false}) {
            LoaderOptions o = LoaderOptions.builder().memoryMapped(mapped).build();
            try (ShardedStream src = new ShardedStream(specs(List.of(p)), o)) {
                FloatBuffer buf = buffer(count, dIn);
                for (long start : starts) {
                    src.seek(new SourcePosition(0, start));
                    int n = src.read(buf.clear(), count);
                    assertEquals(Math.min(count, rows - start), n);
                    for (int r = 0; r < n; r++) {
                        for (int c = 0; c < dIn; c += 511) {
                            assertEquals(TestShards.value(start + r, c), buf.get(r * dIn + c),
                                    "row " + (start + r) + " column " + c + (mapped ? " mapped" : " read"));
                        }
                    }
                }
            }
        }
    }

    @Test
    void aShardRenamedWhileMappedIsStillReadFromTheFileThatIsOpen() throws IOException {
        List<Path> files = TestShards.npy(dir, D_IN, SHARDS);
        for (LoaderOptions o : variants()) {
            if (!o.memoryMapped()) {
                continue; // positional reads reopen a shard on a thread that had not read it yet
            }
            try (ShardedStream src = open(files, o)) {
                assertTrue(src.memoryMapped());
                FloatBuffer buf = buffer(72, D_IN);
                int first = src.read(buf, 72); // every shard mapped
                Path moved = dir.resolve("moved.npy");
                Files.move(files.get(1), moved);
                try {
                    src.seek(new SourcePosition(0, 0));
                    assertEquals(first, src.read(buf.clear(), 72));
                    assertEquals(expected(o, 0).subList(0, first), TestShards.ids(buf, first, D_IN), "with " + o);
                } finally {
                    Files.move(moved, files.get(1));
                }
            }
        }
    }

    @Test
    void anInterruptWhileMappingIsReportedAsOneAndTheNextReadRecovers() throws IOException {
        List<Path> files = TestShards.npy(dir, D_IN, SHARDS);
        try (ShardedStream src = open(files, LoaderOptions.builder().readThreads(0).build())) {
            FloatBuffer buf = buffer(72, D_IN);
            Thread.currentThread().interrupt();
            ActivationDataException e;
            try {
                e = assertThrows(ActivationDataException.class, () -> src.read(buf, 72));
            } finally {
                assertTrue(Thread.interrupted(), "the interrupt stays set");
            }
            assertMessage(e, "interrupted");
            src.seek(new SourcePosition(0, 0));
            assertEquals(72, src.read(buf.clear(), 72));
            assertEquals(expected(LoaderOptions.DEFAULTS, 0), TestShards.ids(buf, 72, D_IN));
        }
    }

    @Test
    void networkAndUserSpaceFileSystemsAreNotMappedLocalOnesAre() throws IOException {
        for (String type : new String[] {"nfs", "nfs4", "cifs", "smb3", "fuse", "fuse.sshfs", "fuseblk", "lustre",
                "ceph", "9p", "NFS4"}) {
            assertTrue(ShardMappings.isRemote(type), type);
        }
        for (String type : new String[] {"ext4", "xfs", "btrfs", "tmpfs", "overlay", "zfs", "f2fs"}) {
            assertFalse(ShardMappings.isRemote(type), type);
        }
        List<Path> files = TestShards.npy(dir, D_IN, SHARDS);
        String type = Files.getFileStore(files.get(0)).type();
        assertEquals(ShardMappings.isRemote(type) ? type : null, ShardMappings.remoteFileSystem(specs(files)),
                "the temporary folder's file system (" + type + ")");
    }
}

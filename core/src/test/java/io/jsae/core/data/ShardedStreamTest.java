package io.jsae.core.data;

import io.jsae.core.io.NpyFile;
import io.jsae.core.io.NpyHeader;
import io.jsae.core.io.NpyWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
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
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The block engine with tiny pieces, blocks and buffer segments, so that small shards exercise many pieces
 * per block, spans split over several buffers, pieces shared between the prefetch thread and the reader, and
 * both read modes; checked row by row against the order {@link EpochOrder} defines.
 */
class ShardedStreamTest {

    private static final int D_IN = 3; // 12 float32 bytes per row
    private static final int[] SHARDS = {23, 17, 1, 31}; // 72 rows
    private static final long PIECE = 3 * 12;
    private static final long BLOCK = 5 * 12;
    private static final long SEGMENT = 4 * 12;

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
        return new ShardedStream(specs(files), o, PIECE, BLOCK, SEGMENT);
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
        for (int prefetch : new int[]{0, 1, 3}) {
            LoaderOptions.Builder b = LoaderOptions.builder().prefetchDepth(prefetch).batchRowsHint(4).chunkRows(4);
            out.add(b.noShuffle().build());
            out.add(b.shuffle(11).shuffleBufferRows(9).build()); // spans of 9 rows over 3 segments
            out.add(b.shuffle(12).shuffleBufferRows(1).build()); // chunks permuted, rows in order
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
                // every row delivered is checked by readEpoch; rows the prefetch thread read before the truncation
                // may still come, but the error comes within the shard, and without prefetching at row 10
                ActivationDataException e = assertThrows(ActivationDataException.class, () -> readEpoch(src, 3), o.toString());
                assertMessage(e, "shard-00.npy", "changed while in use");
                long limit = o.prefetchDepth() == 0 ? 10 : SHARDS[0];
                assertTrue(src.position().row() <= limit, "error at " + src.position() + " with " + o);
                if (o.prefetchDepth() == 0) {
                    assertEquals(new SourcePosition(0, 10), src.position());
                }
            }
        }
    }
}

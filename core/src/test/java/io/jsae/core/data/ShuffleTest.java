package io.jsae.core.data;

import io.jsae.core.io.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static io.jsae.core.data.TestShards.buffer;
import static io.jsae.core.data.TestShards.range;
import static io.jsae.core.data.TestShards.readEpoch;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ShuffleTest {

    @TempDir
    Path dir;

    private static final int[] SHARDS = {40, 73, 1, 55, 31}; // 200 rows
    private static final int ROWS = 200;

    private static LoaderOptions shuffled(long seed, int threads) {
        return LoaderOptions.builder().shuffle(seed).chunkRows(8).shuffleBufferRows(32).readThreads(threads).build();
    }

    private List<Long> epochs(List<Path> files, LoaderOptions o, int epochs, int batch) {
        List<Long> ids = new ArrayList<>();
        try (NpyActivationSource src = NpyActivationSource.builder().files(files).options(o).build()) {
            for (int e = 0; e < epochs; e++) {
                if (e > 0) {
                    src.nextEpoch();
                }
                ids.addAll(readEpoch(src, batch));
            }
        }
        return ids;
    }

    @Test
    void sameSeedSameOrderEveryRowOnceEpochsAndSeedsDiffer() throws IOException {
        List<Path> files = TestShards.npy(dir, 3, SHARDS);
        List<Long> a = epochs(files, shuffled(42, 0), 3, 7);
        List<Long> b = epochs(files, shuffled(42, 3), 3, 13);
        assertEquals(a, b, "same seed, same order, whatever the batch size and reading threads");
        List<Long> e0 = a.subList(0, ROWS);
        List<Long> e1 = a.subList(ROWS, 2 * ROWS);
        List<Long> e2 = a.subList(2 * ROWS, 3 * ROWS);
        for (List<Long> e : List.of(e0, e1, e2)) {
            assertEquals(ROWS, e.size());
            assertEquals(new HashSet<>(range(ROWS)), new HashSet<>(e), "every row exactly once per epoch");
        }
        assertNotEquals(range(ROWS), e0, "shuffled");
        assertNotEquals(e0, e1, "epochs differ");
        assertNotEquals(e1, e2, "epochs differ");
        assertNotEquals(e0, epochs(files, shuffled(43, 0), 1, 7), "seeds differ");
    }

    @Test
    void shuffleMixesShardsEarly() throws IOException {
        List<Path> files = TestShards.npy(dir, 3, SHARDS);
        List<Long> e0 = epochs(files, shuffled(1, 0), 1, 50);
        Set<Integer> shardsSeen = new HashSet<>();
        for (long id : e0.subList(0, 32)) {
            int s = 0;
            long start = 0;
            while (id >= start + SHARDS[s]) {
                start += SHARDS[s++];
            }
            shardsSeen.add(s);
        }
        assertTrue(shardsSeen.size() >= 3, "the first shuffle span draws from several shards: " + shardsSeen);
    }

    @Test
    void seekToAnySavedPositionContinuesWithTheSameRows() throws IOException {
        List<Path> files = TestShards.npy(dir, 3, SHARDS);
        for (LoaderOptions o : List.of(shuffled(7, 0), shuffled(7, 2),
                LoaderOptions.builder().readThreads(2).build(),
                shuffled(7, 1).toBuilder().shuffleBufferRows(1).build())) {
            // the uninterrupted run, with the position saved after every read
            List<Long> all = new ArrayList<>();
            List<SourcePosition> saved = new ArrayList<>();
            List<Integer> savedAt = new ArrayList<>();
            try (NpyActivationSource src = NpyActivationSource.builder().files(files).options(o).build()) {
                for (int e = 0; e < 2; e++) {
                    if (e > 0) {
                        src.nextEpoch();
                    }
                    FloatBuffer buf = buffer(9, 3);
                    int n;
                    do {
                        saved.add(src.position());
                        savedAt.add(all.size());
                        assertEquals(new SourcePosition(e, all.size() - (long) e * ROWS), src.position());
                        buf.clear();
                        n = src.read(buf, 9);
                        for (int r = 0; r < n; r++) {
                            all.add((long) (buf.get(r * 3) / 8));
                        }
                    } while (n > 0);
                }
            }
            Random rnd = new Random(3);
            for (int k = 0; k < 12; k++) {
                int i = k < 2 ? (k == 0 ? 0 : saved.size() - 1) : rnd.nextInt(saved.size());
                SourcePosition pos = saved.get(i);
                try (NpyActivationSource src = NpyActivationSource.builder().files(files).options(o).build()) {
                    src.seek(pos);
                    List<Long> rest = new ArrayList<>(readEpoch(src, 5));
                    if (pos.epoch() == 0) {
                        src.nextEpoch();
                        rest.addAll(readEpoch(src, 5));
                    }
                    assertEquals(all.subList(savedAt.get(i), all.size()), rest, "resume at " + pos + " with " + o);
                }
            }
            // arbitrary positions, not only those at read boundaries, and seeking back and forth on one source
            try (NpyActivationSource src = NpyActivationSource.builder().files(files).options(o).build()) {
                for (int k = 0; k < 10; k++) {
                    long e = rnd.nextInt(2);
                    long row = rnd.nextInt(ROWS + 1);
                    src.seek(new SourcePosition(e, row));
                    int at = (int) (e * ROWS + row);
                    List<Long> got = readEpoch(src, 4);
                    assertEquals(all.subList(at, (int) (e + 1) * ROWS), got, "seek to " + e + "/" + row);
                }
            }
        }
    }

    @Test
    void orderIsAFunctionOfSeedAndEpochOnly() {
        EpochOrder order = new EpochOrder(new long[]{10, 20, 5}, 4, 8, 99, true);
        EpochOrder same = new EpochOrder(new long[]{10, 20, 5}, 4, 8, 99, true);
        EpochOrder.Run r1 = new EpochOrder.Run();
        EpochOrder.Run r2 = new EpochOrder.Run();
        for (long epoch : new long[]{0, 5, 1L << 40}) {
            EpochOrder.Plan p1 = order.plan(epoch);
            EpochOrder.Plan p2 = same.plan(epoch);
            Set<String> rows = new HashSet<>();
            for (long p = 34; p >= 0; p--) { // backwards: no dependence on having visited earlier positions
                p1.locate(p, 1, r1);
                p2.locate(p, 1, r2);
                assertEquals(r1.shard + "/" + r1.shardRow, r2.shard + "/" + r2.shardRow);
                assertTrue(rows.add(r1.shard + "/" + r1.shardRow));
            }
            assertEquals(35, rows.size());
        }
    }

    @Test
    void safetensorsAndNpySourcesShareTheOrder() throws IOException {
        Path npyDir = dir.resolve("npy");
        Path stDir = dir.resolve("st");
        java.nio.file.Files.createDirectories(npyDir);
        java.nio.file.Files.createDirectories(stDir);
        List<Path> npy = TestShards.npy(npyDir, 3, SHARDS);
        List<Path> st = TestShards.safetensors(stDir, DType.F32, 3, SHARDS);
        List<Long> fromNpy = epochs(npy, shuffled(5, 2), 2, 11);
        List<Long> fromSt = new ArrayList<>();
        try (SafetensorsActivationSource src = SafetensorsActivationSource.builder().files(st).tensor("acts")
                .options(shuffled(5, 2)).build()) {
            fromSt.addAll(readEpoch(src, 11));
            src.nextEpoch();
            fromSt.addAll(readEpoch(src, 11));
        }
        assertEquals(fromNpy, fromSt);
    }
}

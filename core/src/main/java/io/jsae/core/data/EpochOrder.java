package io.jsae.core.data;

/**
 * The order in which an epoch visits the rows of a list of shards, as a pure function of (seed, epoch):
 * see {@link LoaderOptions} for the definition. {@link #plan(long)} makes the per-epoch tables; a
 * {@link Plan} maps an epoch position to (shard, row in shard).
 *
 * <p>The generator is this class's own SplitMix64, so the order is the same on every JVM and version.
 */
final class EpochOrder {

    private final long[] shardRows;
    private final long rows;
    private final boolean shuffle;
    private final long seed;
    private final int bufferRows;
    private final int[] chunkShard;
    private final long[] chunkStart;
    private final int[] chunkLen;

    EpochOrder(long[] shardRows, int chunkRows, int bufferRows, long seed, boolean shuffle) {
        this.shardRows = shardRows.clone();
        this.shuffle = shuffle;
        this.seed = seed;
        this.bufferRows = bufferRows;
        long total = 0;
        long chunks = 0;
        for (long r : shardRows) {
            total = Math.addExact(total, r);
            chunks += (r + chunkRows - 1) / chunkRows;
        }
        this.rows = total;
        if (chunks > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(chunks + " chunks of " + chunkRows
                    + " rows are too many; raise LoaderOptions.chunkRows");
        }
        int n = (int) chunks;
        chunkShard = new int[n];
        chunkStart = new long[n];
        chunkLen = new int[n];
        int c = 0;
        for (int s = 0; s < shardRows.length; s++) {
            for (long r = 0; r < shardRows[s]; r += chunkRows) {
                chunkShard[c] = s;
                chunkStart[c] = r;
                chunkLen[c] = (int) Math.min(chunkRows, shardRows[s] - r);
                c++;
            }
        }
    }

    /** Rows per epoch. */
    long rows() {
        return rows;
    }

    /** Whether positions are permuted inside spans of {@link #bufferRows()} (shuffled with spans above one row). */
    boolean permutesSpans() {
        return shuffle && bufferRows > 1;
    }

    /** Rows per shuffle span. */
    int bufferRows() {
        return bufferRows;
    }

    /** The tables of one epoch. */
    Plan plan(long epoch) {
        return new Plan(epoch);
    }

    /** Result of {@link Plan#locate}: a run of consecutive rows of one shard. */
    static final class Run {
        int shard;
        long shardRow;
        int length;
    }

    /** Positions to rows for one epoch; confined to one thread. */
    final class Plan {
        final long epoch;
        private final int[] perm;
        private final long[] prefix;
        private long cachedBuffer = -1;
        private int[] bufferPerm = new int[0];

        private Plan(long epoch) {
            this.epoch = epoch;
            int n = chunkLen.length;
            perm = new int[n];
            for (int i = 0; i < n; i++) {
                perm[i] = i;
            }
            if (shuffle) {
                shuffle(perm, n, new SplitMix64(epochSeed()));
            }
            prefix = new long[n + 1];
            for (int i = 0; i < n; i++) {
                prefix[i + 1] = prefix[i] + chunkLen[perm[i]];
            }
        }

        /**
         * Finds the row at epoch position {@code p} and how many following positions map to the following
         * rows of the same shard (at most {@code max}).
         */
        void locate(long p, int max, Run out) {
            if (permutesSpans()) {
                long b = p / bufferRows;
                int o = (int) (p - b * bufferRows);
                locateStorage(b * bufferRows + spanPermutation(b)[o], 1, out);
            } else {
                locateStorage(p, max, out);
            }
        }

        /**
         * Finds the row at storage index {@code q}, the index into the epoch's chunk sequence before the
         * permutation inside spans, and how many following storage indices map to the following rows of the
         * same shard (at most {@code max}): up to the end of the chunk when shuffled, of the shard otherwise.
         */
        void locateStorage(long q, int max, Run out) {
            int k = chunkAt(q);
            int c = perm[k];
            long inChunk = q - prefix[k];
            out.shard = chunkShard[c];
            out.shardRow = chunkStart[c] + inChunk;
            long run = shuffle ? chunkLen[c] - inChunk // chunks are permuted: a run ends with its chunk
                    : shardRows[out.shard] - out.shardRow; // identity order: a run ends with its shard
            out.length = (int) Math.min(run, max);
        }

        /**
         * The permutation of span {@code b} (positions {@code [b * bufferRows, ...)}): position
         * {@code b * bufferRows + o} holds storage index {@code b * bufferRows + result[o]}. The array is reused
         * by the next call with another span; only its first span-length entries are meaningful.
         */
        int[] spanPermutation(long b) {
            return bufferPermutation(b);
        }

        private int chunkAt(long q) {
            int lo = 0;
            int hi = prefix.length - 2; // last chunk index
            while (lo < hi) {
                int mid = (lo + hi + 1) >>> 1;
                if (prefix[mid] <= q) {
                    lo = mid;
                } else {
                    hi = mid - 1;
                }
            }
            return lo;
        }

        private int[] bufferPermutation(long b) {
            if (b != cachedBuffer) {
                int len = (int) Math.min(bufferRows, rows - b * bufferRows);
                if (bufferPerm.length < len) {
                    bufferPerm = new int[len];
                }
                for (int i = 0; i < len; i++) {
                    bufferPerm[i] = i;
                }
                shuffle(bufferPerm, len, new SplitMix64(SplitMix64.mix(epochSeed() + 0x632be59bd9b4e019L * (b + 1))));
                cachedBuffer = b;
            }
            return bufferPerm;
        }

        private long epochSeed() {
            return SplitMix64.mix(seed ^ SplitMix64.mix(epoch ^ 0x5851f42d4c957f2dL));
        }
    }

    /** Fisher-Yates shuffle of {@code a[0, n)}. */
    private static void shuffle(int[] a, int n, SplitMix64 rng) {
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    /** SplitMix64 (Steele, Lea, Flood 2014): small, fast, and fixed here so orders never change. */
    static final class SplitMix64 {
        private long state;

        SplitMix64(long seed) {
            this.state = seed;
        }

        static long mix(long z) {
            z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
            z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
            return z ^ (z >>> 31);
        }

        long nextLong() {
            state += 0x9e3779b97f4a7c15L;
            return mix(state);
        }

        /** Uniform in [0, bound) by multiply-shift; the bias is below bound / 2^32. */
        int nextInt(int bound) {
            return (int) (((nextLong() >>> 32) * bound) >>> 32);
        }
    }
}

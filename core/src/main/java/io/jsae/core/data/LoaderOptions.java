package io.jsae.core.data;

/**
 * How a file-backed {@link ActivationSource} ({@link NpyActivationSource},
 * {@link SafetensorsActivationSource}) orders, checks and prefetches its rows. Immutable; build with
 * {@link #builder()}.
 *
 * <h2>Order</h2>
 * Unshuffled, an epoch reads the shards in the order given, each from its first row to its last. Shuffled,
 * each epoch (1) cuts every shard into chunks of {@link #chunkRows()} consecutive rows (the last chunk of a
 * shard may be shorter), (2) permutes all chunks of all shards with a generator seeded by
 * ({@link #seed()}, epoch), and (3) permutes the rows inside each consecutive span of
 * {@link #shuffleBufferRows()} rows of that chunk sequence, seeded by (seed, epoch, span). The order is a
 * pure function of (seed, epoch, shard row counts, the two sizes), so a stored {@link SourcePosition} is
 * found again directly, without replaying earlier rows, and every row appears exactly once per epoch. The
 * shuffle buffer is virtual: rows are gathered in permuted order straight from the memory-mapped shards, so
 * it costs no heap, only page cache for the span being read.
 *
 * <h2>Non-finite rows</h2>
 * By default a row holding NaN or an infinity fails the read with the file and row in the message. With
 * {@link #skipNonFinite()} such rows are skipped and counted instead; they still occupy their place in the
 * epoch's positions, so positions and seeking stay exact.
 *
 * <h2>Prefetch and memory</h2>
 * With {@link #prefetchDepth()} {@code > 0} a background thread decodes up to that many batches of
 * {@link #batchRowsHint()} rows ahead into direct (off-heap) float32 buffers, in pieces of at most 4 MiB
 * (so that the copy into the caller's buffer mostly hits the CPU cache), through a bounded queue; off-heap
 * memory is about {@code prefetchDepth * batchRowsHint * dIn * 4} bytes plus one piece. With {@code 0} no
 * thread is started and rows are decoded on the caller's thread straight into its buffer.
 * Shards are read through read-only memory mappings of at most {@link #mapWindowBytes()} bytes each, so
 * shards larger than 2 GiB work and no mapping covers a whole large file.
 *
 * @param shuffle           whether rows are shuffled
 * @param seed              shuffle seed
 * @param shuffleBufferRows rows per shuffle span, at least 1
 * @param chunkRows         rows per chunk of the chunk permutation, at least 1
 * @param skipNonFinite     skip and count rows with NaN or infinity instead of failing
 * @param prefetchDepth     batches decoded ahead by a background thread; 0 for no thread
 * @param batchRowsHint     rows per prefetched batch (use the trainer's batch size), at least 1
 * @param mapWindowBytes    largest memory mapping, at least 16 bytes and at most {@code 2^31 - 1}
 */
public record LoaderOptions(boolean shuffle, long seed, int shuffleBufferRows, int chunkRows,
                            boolean skipNonFinite, int prefetchDepth, int batchRowsHint, long mapWindowBytes) {

    /** Default rows per shuffle span. */
    public static final int DEFAULT_SHUFFLE_BUFFER_ROWS = 16_384;
    /** Default rows per chunk. */
    public static final int DEFAULT_CHUNK_ROWS = 1_024;
    /** Default prefetch depth. */
    public static final int DEFAULT_PREFETCH_DEPTH = 4;
    /** Default rows per prefetched batch. */
    public static final int DEFAULT_BATCH_ROWS = 1_024;
    /** Default largest mapping: 256 MiB. */
    public static final long DEFAULT_MAP_WINDOW_BYTES = 256L << 20;

    /** Unshuffled, failing on non-finite rows, prefetching with the default sizes. */
    public static final LoaderOptions DEFAULTS = builder().build();

    /** Checks the ranges given in the parameter list. */
    public LoaderOptions {
        if (shuffleBufferRows < 1) {
            throw new IllegalArgumentException("shuffleBufferRows must be >= 1, was " + shuffleBufferRows);
        }
        if (chunkRows < 1) {
            throw new IllegalArgumentException("chunkRows must be >= 1, was " + chunkRows);
        }
        if (prefetchDepth < 0) {
            throw new IllegalArgumentException("prefetchDepth must be >= 0, was " + prefetchDepth);
        }
        if (batchRowsHint < 1) {
            throw new IllegalArgumentException("batchRowsHint must be >= 1, was " + batchRowsHint);
        }
        if (mapWindowBytes < 16 || mapWindowBytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("mapWindowBytes must be in [16, 2^31 - 1], was " + mapWindowBytes);
        }
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these options. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.shuffle = shuffle;
        b.seed = seed;
        b.shuffleBufferRows = shuffleBufferRows;
        b.chunkRows = chunkRows;
        b.skipNonFinite = skipNonFinite;
        b.prefetchDepth = prefetchDepth;
        b.batchRowsHint = batchRowsHint;
        b.mapWindowBytes = mapWindowBytes;
        return b;
    }

    /** Builds {@link LoaderOptions}; every setter returns the builder. */
    public static final class Builder {
        private boolean shuffle;
        private long seed;
        private int shuffleBufferRows = DEFAULT_SHUFFLE_BUFFER_ROWS;
        private int chunkRows = DEFAULT_CHUNK_ROWS;
        private boolean skipNonFinite;
        private int prefetchDepth = DEFAULT_PREFETCH_DEPTH;
        private int batchRowsHint = DEFAULT_BATCH_ROWS;
        private long mapWindowBytes = DEFAULT_MAP_WINDOW_BYTES;

        private Builder() {
        }

        /** Shuffles with this seed (see the class description). */
        public Builder shuffle(long seed) {
            this.shuffle = true;
            this.seed = seed;
            return this;
        }

        /** Reads shards in order, rows in order (the default). */
        public Builder noShuffle() {
            this.shuffle = false;
            return this;
        }

        /** Rows per shuffle span (default {@value LoaderOptions#DEFAULT_SHUFFLE_BUFFER_ROWS}). */
        public Builder shuffleBufferRows(int rows) {
            this.shuffleBufferRows = rows;
            return this;
        }

        /** Rows per chunk of the chunk permutation (default {@value LoaderOptions#DEFAULT_CHUNK_ROWS}). */
        public Builder chunkRows(int rows) {
            this.chunkRows = rows;
            return this;
        }

        /** Skip and count rows with NaN or infinity instead of failing (default false). */
        public Builder skipNonFinite(boolean skip) {
            this.skipNonFinite = skip;
            return this;
        }

        /** Batches decoded ahead by a background thread; 0 reads on the caller's thread (default 4). */
        public Builder prefetchDepth(int depth) {
            this.prefetchDepth = depth;
            return this;
        }

        /** Rows per prefetched batch; set it to the trainer's batch size (default 1024). */
        public Builder batchRowsHint(int rows) {
            this.batchRowsHint = rows;
            return this;
        }

        /** Largest memory mapping in bytes (default 256 MiB); smaller values only cost more mappings. */
        public Builder mapWindowBytes(long bytes) {
            this.mapWindowBytes = bytes;
            return this;
        }

        /**
         * @return the options
         * @throws IllegalArgumentException if a value is out of range
         */
        public LoaderOptions build() {
            return new LoaderOptions(shuffle, seed, shuffleBufferRows, chunkRows, skipNonFinite, prefetchDepth,
                    batchRowsHint, mapWindowBytes);
        }
    }
}

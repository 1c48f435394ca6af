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
 * found again directly, without replaying earlier rows, and every row appears exactly once per epoch. Its
 * tables take about 30 bytes per chunk (about 50 MB for 100 million rows in chunks of 64). The
 * rows of a span are held in an off-heap buffer while it is handed out (see below). Each batch mixes rows
 * of about {@code max(shuffleBufferRows, batch) / chunkRows} chunks from anywhere in the shard set.
 *
 * <h2>Non-finite rows</h2>
 * By default a row holding NaN or an infinity fails the read with the file and row in the message. With
 * {@link #skipNonFinite()} such rows are skipped and counted instead; they still occupy their place in the
 * epoch's positions, so positions and seeking stay exact.
 *
 * <h2>Reading, prefetch and memory</h2>
 * Rows are read in blocks: unshuffled, a block is a run of consecutive positions of about 4 MiB of float32;
 * shuffled, a block is one shuffle span of {@link #shuffleBufferRows()} rows, read chunk by chunk in large
 * reads and then handed out in the span's permuted order, so shuffling costs one memory copy per row instead
 * of one small read per row. Every block is read, converted to float32 and checked for non-finite values in
 * pieces of about 1 MiB, straight into an off-heap block buffer, the check right after the read while the
 * piece is still in the CPU cache; {@link ActivationSource#read} then copies each row once into the caller's
 * buffer. Copies per delivered row: float32 shards on a little-endian machine 2 (file to block buffer,
 * block buffer to caller), otherwise 3 (file to a 1 MiB scratch buffer, converted into the block buffer, to
 * the caller).
 *
 * <p>With {@link #prefetchDepth()} {@code > 0} a background thread reads blocks ahead, up to about
 * {@code prefetchDepth * batchRowsHint} rows beyond the block being consumed (at least one block), through
 * a bounded queue. A reader that finds its next block still being read helps to read its remaining pieces
 * instead of waiting, so two threads share the work when the caller only reads. Block buffers are allocated
 * when first needed; off-heap memory stays below about
 * {@code (prefetchDepth * batchRowsHint + 2 * blockRows) * dIn * 4} bytes, where {@code blockRows} is
 * {@link #shuffleBufferRows()} when shuffled and about 4 MiB of rows otherwise. With the default sizes and
 * {@code dIn} 4096 a span takes
 * 16 MiB. Larger spans take more memory and more time to allocate, and once a span no longer fits in the CPU
 * cache, handing its rows out in permuted order costs more CPU (on a 2-core VM, spans of 16,384 rows, 256 MiB
 * at {@code dIn} 4096, made the first epoch of a new source about six times slower than spans of 1,024 rows,
 * and later epochs took 7 to 30% more CPU; see docs/performance.md). A batch mixes
 * {@code max(shuffleBufferRows, batch) / chunkRows} chunks: to mix more, lower {@link #chunkRows()} (reads
 * stay efficient while a chunk is a few hundred KiB or more) rather than raise the span.
 * With {@code 0} no thread is started, one block buffer is used and rows are read on the caller's thread.
 *
 * <p>Bytes come out of the files through positional {@code FileChannel} reads (shards larger than 2 GiB
 * included). Memory mappings are not offered: the page faults on every page of every window cost more CPU
 * than the kernel's copy in a read (see docs/performance.md).
 *
 * @param shuffle           whether rows are shuffled
 * @param seed              shuffle seed
 * @param shuffleBufferRows rows per shuffle span, at least 1
 * @param chunkRows         rows per chunk of the chunk permutation, at least 1
 * @param skipNonFinite     skip and count rows with NaN or infinity instead of failing
 * @param prefetchDepth     batches decoded ahead by a background thread; 0 for no thread
 * @param batchRowsHint     rows per prefetched batch (use the trainer's batch size), at least 1
 */
public record LoaderOptions(boolean shuffle, long seed, int shuffleBufferRows, int chunkRows,
                            boolean skipNonFinite, int prefetchDepth, int batchRowsHint) {

    /**
     * Default rows per shuffle span: 16 chunks, as before, in 16 MiB at {@code dIn} 4096, small enough to stay
     * in the CPU cache while its rows are handed out in permuted order.
     */
    public static final int DEFAULT_SHUFFLE_BUFFER_ROWS = 1_024;
    /** Default rows per chunk: reads of 1 MiB at {@code dIn} 4096 in float32 (512 KiB in float16). */
    public static final int DEFAULT_CHUNK_ROWS = 64;
    /** Default prefetch depth. */
    public static final int DEFAULT_PREFETCH_DEPTH = 4;
    /** Default rows per prefetched batch. */
    public static final int DEFAULT_BATCH_ROWS = 1_024;

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

        /**
         * @return the options
         * @throws IllegalArgumentException if a value is out of range
         */
        public LoaderOptions build() {
            return new LoaderOptions(shuffle, seed, shuffleBufferRows, chunkRows, skipNonFinite, prefetchDepth,
                    batchRowsHint);
        }
    }
}

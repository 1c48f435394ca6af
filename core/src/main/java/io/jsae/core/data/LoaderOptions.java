package io.jsae.core.data;

/**
 * How a file-backed {@link ActivationSource} ({@link NpyActivationSource},
 * {@link SafetensorsActivationSource}) orders, checks and reads its rows. Immutable; build with
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
 * tables take about 30 bytes per chunk (about 50 MB for 100 million rows in chunks of 64). Each batch mixes
 * rows of about {@code max(shuffleBufferRows, batch) / chunkRows} chunks from anywhere in the shard set: to
 * mix more, lower {@link #chunkRows()} (reads stay efficient while a chunk is a few hundred KiB or more).
 *
 * <h2>Non-finite rows</h2>
 * By default a row holding NaN or an infinity fails the read with the file and row in the message. With
 * {@link #skipNonFinite()} such rows are skipped and counted instead; they still occupy their place in the
 * epoch's positions, so positions and seeking stay exact.
 *
 * <h2>Reading and threads</h2>
 * A read of {@code n} rows reads the next {@code n} positions straight into the caller's buffer, in pieces
 * of about 1 MiB of the file: a piece is a run of rows that are consecutive in one shard. By default
 * ({@link #memoryMapped()}) the shards are mapped into memory and one native call per piece copies its rows
 * to their places in the caller's buffer (consecutive rows, or a shuffle span's scattered ones), widening
 * float16/bfloat16 to float32 where asked and checking every value for NaN and infinity in the same pass; on
 * a CPU with AVX2, batches of 16 MiB or more are written with non-temporal stores, which skip reading the
 * destination into the cache. When shuffled rows come from the device rather than the page cache, each batch
 * asks the kernel for all of its rows at once, so that their reads are in flight together. Shards are read
 * with positional reads instead when mappings are off, the native library does not load, the machine is
 * big-endian, a row is over 256 MiB, or a shard lies on a network or user-space (FUSE) file system: a piece is
 * then one positional read, or one scattering read for a shuffle span's rows; the kernel copies the rows into
 * place and they are checked afterwards; half precision to be widened goes through a 1 MiB scratch buffer per
 * thread. A heap buffer is filled through Java code. The loader keeps no buffer of rows of its own.
 *
 * <p>{@link #readThreads()} background threads share the pieces with the caller's thread while it waits in
 * {@link ActivationSource#read}, and read the next batch while the caller computes when it announces that
 * batch with {@link ActivationSource#readAhead} (the trainer does: it names the backend's other input buffer).
 * With {@code 0} no thread is started and every row is read on the caller's thread. A span larger than the
 * batch costs smaller reads: a batch then takes only some rows of each chunk of its span.
 *
 * <p>Mappings (figures in docs/performance.md): copying out of them is faster than reading for every type and
 * order, because the kernel's copy in a read must first read every line of the destination into the cache,
 * and the rows are checked while they are copied. Mapping costs page-table entries (about 2 MiB per GiB of
 * shard touched, held until the source is closed) and a page fault every few pages the first time each part
 * is read. A copy that touches a page the kernel cannot deliver ends the process (SIGBUS), where a read would
 * throw: a part of a shard truncated while mapped (the size of each open shard is checked before every piece,
 * so only a truncation during a piece's copy is not caught), or a device read error. Turn mappings off for
 * shards that another process may rewrite while they are read.
 *
 * @param shuffle           whether rows are shuffled
 * @param seed              shuffle seed
 * @param shuffleBufferRows rows per shuffle span, at least 1
 * @param chunkRows         rows per chunk of the chunk permutation, at least 1
 * @param skipNonFinite     skip and count rows with NaN or infinity instead of failing
 * @param readThreads       background threads that read ahead and share the reading; 0 for none
 * @param memoryMapped      copy rows out of memory mappings of the shards (where the native library loads)
 *                          rather than with positional reads
 */
public record LoaderOptions(boolean shuffle, long seed, int shuffleBufferRows, int chunkRows,
                            boolean skipNonFinite, int readThreads, boolean memoryMapped) {

    /**
     * Default rows per shuffle span: 16 chunks, 16 MiB at {@code dIn} 4096; a batch of this many rows (or a
     * multiple) takes whole chunks, so every read is a whole chunk.
     */
    public static final int DEFAULT_SHUFFLE_BUFFER_ROWS = 1_024;
    /** Default rows per chunk: reads of 1 MiB at {@code dIn} 4096 in float32 (512 KiB in float16). */
    public static final int DEFAULT_CHUNK_ROWS = 64;
    /**
     * Default background reading threads: one, so that a waiting caller and the thread read together, as two
     * threads of large reads go faster than one (see docs/performance.md), and one reads ahead while the
     * caller computes.
     */
    public static final int DEFAULT_READ_THREADS = 1;

    /** Unshuffled, failing on non-finite rows, with the default sizes and reading threads. */
    public static final LoaderOptions DEFAULTS = builder().build();

    /**
     * Options that copy rows out of memory mappings, as by default: the components before {@code memoryMapped}
     * were all there was before it.
     */
    public LoaderOptions(boolean shuffle, long seed, int shuffleBufferRows, int chunkRows, boolean skipNonFinite,
                         int readThreads) {
        this(shuffle, seed, shuffleBufferRows, chunkRows, skipNonFinite, readThreads, true);
    }

    /** Checks the ranges given in the parameter list. */
    public LoaderOptions {
        if (shuffleBufferRows < 1) {
            throw new IllegalArgumentException("shuffleBufferRows must be >= 1, was " + shuffleBufferRows);
        }
        if (chunkRows < 1) {
            throw new IllegalArgumentException("chunkRows must be >= 1, was " + chunkRows);
        }
        if (readThreads < 0 || readThreads > 256) {
            throw new IllegalArgumentException("readThreads must be in 0..256, was " + readThreads);
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
        b.readThreads = readThreads;
        b.memoryMapped = memoryMapped;
        return b;
    }

    /** Builds {@link LoaderOptions}; every setter returns the builder. */
    public static final class Builder {
        private boolean shuffle;
        private long seed;
        private int shuffleBufferRows = DEFAULT_SHUFFLE_BUFFER_ROWS;
        private int chunkRows = DEFAULT_CHUNK_ROWS;
        private boolean skipNonFinite;
        private int readThreads = DEFAULT_READ_THREADS;
        private boolean memoryMapped = true;

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

        /**
         * Background reading threads; 0 reads on the caller's thread only (default
         * {@value LoaderOptions#DEFAULT_READ_THREADS}).
         */
        public Builder readThreads(int threads) {
            this.readThreads = threads;
            return this;
        }

        /**
         * Copy rows out of memory mappings of the shards (the default), or read them with positional reads
         * ({@code false}): for shards on a file system that maps badly, or that another process may truncate
         * while they are read (a truncated mapping ends the process; a read reports it).
         */
        public Builder memoryMapped(boolean mapped) {
            this.memoryMapped = mapped;
            return this;
        }

        /**
         * @return the options
         * @throws IllegalArgumentException if a value is out of range
         */
        public LoaderOptions build() {
            return new LoaderOptions(shuffle, seed, shuffleBufferRows, chunkRows, skipNonFinite, readThreads,
                    memoryMapped);
        }
    }
}

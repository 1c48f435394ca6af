package io.jsae.core.data;

import io.jsae.core.io.DataFormatException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * The reading engine shared by the file-backed sources: rows of a list of validated shards, in the epoch
 * order of {@link EpochOrder}, read in blocks (see {@link LoaderOptions}), checked for non-finite values and
 * copied into the caller's buffer. Implements the whole {@link ActivationSource} contract; the public sources
 * delegate to it.
 *
 * <p>A block covers the positions {@code [start, start + rows)} of one epoch and holds their rows as float32
 * in storage order: for a shuffle span the order of its chunk sequence, which {@link Block#perm} maps
 * positions into; otherwise the positions' own order. A block is cut into pieces of at most
 * {@value #PIECE_BYTES} bytes, each a run of consecutive rows of one shard; any thread may claim a piece
 * (an atomic counter), read it, convert it and check it while it is still in the CPU cache. The prefetch
 * thread sets blocks up in position order and publishes each one before reading it, so a consumer that
 * reaches a block still being read claims the remaining pieces itself instead of waiting.
 *
 * <p>Threads: one consumer calls read/seek/position; {@link #close()} may come from any thread. Each loading
 * thread owns its {@link ChannelRowReader}.
 */
final class ShardedStream implements ActivationSource {

    private static final Logger LOG = LoggerFactory.getLogger(ShardedStream.class);
    private static final AtomicInteger THREAD_IDS = new AtomicInteger();
    private static final long POLL_MS = 50;
    private static final int LOGGED_SKIPS = 10;
    /** Float32 bytes read, converted and checked at once: a piece stays in the CPU cache for its check. */
    static final long PIECE_BYTES = 1L << 20;
    /** Float32 bytes of an unshuffled block. */
    static final long BLOCK_BYTES = 4L << 20;
    /** Largest direct buffer of a block; a larger shuffle span takes several. */
    static final long SEGMENT_BYTES = 1L << 30;

    private final List<ShardSpec> shards;
    private final LoaderOptions options;
    private final EpochOrder order;
    private final int dIn;
    private final long rowBytes; // float32 bytes of one row
    private final boolean spans;
    private final int blockRows;
    private final int pieceRows;
    private final int segmentRows;
    private final int maxBlocks;
    private final AtomicInteger loggedSkips = new AtomicInteger();
    private final Object lock = new Object();

    // block pool, guarded by allocated: every block owned by this stream, and the idle ones as a stack, so
    // that the block released last, the one most likely still in the CPU cache, is reused first
    private final List<Block> allocated = new ArrayList<>();
    private final ArrayDeque<Block> free = new ArrayDeque<>();

    private volatile boolean closed;

    // consumer state, guarded by lock
    private long epoch;
    private long row;
    private long skipped;
    private Block current;
    private DataFormatException sticky; // rethrown as an ActivationDataException
    private Producer producer;
    private ChannelRowReader consumerReader;
    private EpochOrder.Plan consumerPlan;
    private Block syncBlock;
    private boolean buffersReleasable = true;

    /** Rows of positions {@code [start, start + rows)} of one epoch, as float32, with their pieces. */
    static final class Block {
        final int capacity;
        final int segmentRows;
        final int dIn;
        final ByteBuffer[] bytes;
        final FloatBuffer[] floats;
        final LongBuffer[] longs;
        // set up by one thread before the block is published
        long epoch;
        long start;
        int rows;
        int[] perm; // position offset -> storage index; null for the identity
        int pieces;
        int[] pieceStart = new int[0]; // storage index of the piece's first row
        int[] pieceShard = new int[0];
        long[] pieceShardRow = new long[0];
        int[] pieceRows = new int[0];
        int[] rowPiece = new int[0]; // storage index -> piece, for permuted blocks
        final AtomicInteger nextPiece = new AtomicInteger();
        // written by the loading thread of a piece before it marks the piece done
        AtomicIntegerArray pieceDone = new AtomicIntegerArray(0);
        DataFormatException[] pieceError = new DataFormatException[0];
        int[][] pieceBad = new int[0][]; // sorted storage indices of non-finite rows, or null

        Block(int capacity, int segmentRows, int dIn) {
            this.capacity = capacity;
            this.segmentRows = segmentRows;
            this.dIn = dIn;
            int segments = (capacity + segmentRows - 1) / segmentRows;
            bytes = new ByteBuffer[segments];
            floats = new FloatBuffer[segments];
            longs = new LongBuffer[segments];
            try {
                for (int i = 0; i < segments; i++) {
                    int n = Math.min(segmentRows, capacity - i * segmentRows);
                    bytes[i] = ByteBuffer.allocateDirect(n * dIn * 4).order(ByteOrder.nativeOrder());
                    floats[i] = bytes[i].asFloatBuffer();
                    longs[i] = bytes[i].asLongBuffer();
                }
            } catch (OutOfMemoryError e) {
                free();
                throw new ActivationDataException("cannot allocate a block buffer of " + capacity + " rows of width " + dIn
                        + " (" + e.getMessage() + "); lower LoaderOptions.prefetchDepth, batchRowsHint or"
                        + " shuffleBufferRows, or raise -XX:MaxDirectMemorySize", e);
            }
        }

        void free() {
            for (ByteBuffer b : bytes) {
                DirectBuffers.free(b);
            }
        }

        int segment(int q) {
            return q / segmentRows;
        }

        int floatIndex(int q) {
            return (q % segmentRows) * dIn;
        }

        void addPiece(int storage, int shard, long shardRow, int n) {
            if (pieces == pieceStart.length) {
                int len = Math.max(16, pieces * 2);
                pieceStart = Arrays.copyOf(pieceStart, len);
                pieceShard = Arrays.copyOf(pieceShard, len);
                pieceShardRow = Arrays.copyOf(pieceShardRow, len);
                pieceRows = Arrays.copyOf(pieceRows, len);
            }
            pieceStart[pieces] = storage;
            pieceShard[pieces] = shard;
            pieceShardRow[pieces] = shardRow;
            pieceRows[pieces] = n;
            pieces++;
        }

        /** The piece holding storage index {@code q}. */
        int pieceOf(int q) {
            if (perm != null) {
                return rowPiece[q];
            }
            int k = Arrays.binarySearch(pieceStart, 0, pieces, q);
            return k >= 0 ? k : -k - 2;
        }
    }

    ShardedStream(List<ShardSpec> shards, LoaderOptions options) {
        this(shards, options, PIECE_BYTES, BLOCK_BYTES, SEGMENT_BYTES);
    }

    /** With other piece, unshuffled block and segment sizes (float32 bytes), so tests can use tiny ones. */
    ShardedStream(List<ShardSpec> shards, LoaderOptions options, long pieceBytes, long blockBytes, long segmentBytes) {
        this.shards = List.copyOf(shards);
        this.options = options;
        this.dIn = shards.get(0).dIn();
        long[] rows = shards.stream().mapToLong(ShardSpec::rows).toArray();
        this.order = new EpochOrder(rows, options.chunkRows(), options.shuffleBufferRows(), options.seed(), options.shuffle());
        this.rowBytes = 4L * dIn;
        if (Integer.MAX_VALUE / rowBytes < 1) {
            throw new ActivationDataException("rows of width " + dIn + " are too wide to decode into one buffer");
        }
        this.spans = order.permutesSpans();
        long target = spans ? order.bufferRows() : Math.max(1, blockBytes / rowBytes);
        this.blockRows = (int) Math.min(target, order.rows());
        this.pieceRows = (int) Math.max(1, pieceBytes / rowBytes);
        this.segmentRows = (int) Math.max(1, segmentBytes / rowBytes);
        if (options.prefetchDepth() == 0) {
            this.maxBlocks = 1;
        } else {
            long ahead = Math.max(1, ((long) options.prefetchDepth() * options.batchRowsHint() + blockRows - 1) / blockRows);
            this.maxBlocks = (int) Math.min(ahead + 1, 1 << 16);
        }
    }

    @Override
    public int dIn() {
        return dIn;
    }

    @Override
    public long rowsPerEpoch() {
        return order.rows();
    }

    /** Rows with NaN or infinity skipped by reads so far (only with {@link LoaderOptions#skipNonFinite()}). */
    long skippedRows() {
        synchronized (lock) {
            return skipped;
        }
    }

    @Override
    public SourcePosition position() {
        synchronized (lock) {
            return new SourcePosition(epoch, row);
        }
    }

    @Override
    public int read(FloatBuffer dst, int maxRows) {
        if (maxRows < 1) {
            throw new IllegalArgumentException("maxRows must be >= 1, was " + maxRows);
        }
        if (dst.remaining() < (long) maxRows * dIn) {
            throw new IllegalArgumentException("buffer has room for " + dst.remaining() + " floats, need "
                    + (long) maxRows * dIn + " for " + maxRows + " rows of width " + dIn);
        }
        synchronized (lock) {
            ensureOpen();
            if (sticky != null) {
                throw rethrown(sticky);
            }
            int total = 0;
            while (total < maxRows) {
                if (current == null) {
                    if (row >= order.rows()) {
                        break;
                    }
                    current = next();
                    if (current == null) { // the prefetch thread failed; sticky holds why
                        return fail(sticky, total);
                    }
                }
                Block b = current;
                long end = b.start + b.rows;
                while (total < maxRows && row < end) {
                    int o = (int) (row - b.start);
                    int q = b.perm == null ? o : b.perm[o];
                    int k = b.pieceOf(q);
                    if (b.pieceDone.get(k) == 0) {
                        awaitPiece(b, k);
                    }
                    if (b.pieceError[k] != null) {
                        return fail(b.pieceError[k], total);
                    }
                    int[] bad = b.pieceBad[k];
                    int badAt = bad == null ? -1 : Arrays.binarySearch(bad, q);
                    if (badAt >= 0) {
                        String what = describeNonFinite(b, k, q);
                        if (!options.skipNonFinite()) {
                            return fail(new NonFiniteRowException(what), total);
                        }
                        logSkip(what);
                        skipped++;
                        row++;
                        continue;
                    }
                    int n = 1;
                    if (b.perm == null) { // consecutive rows: one copy up to the next bad row or the piece's end
                        long limit = Math.min(Math.min(maxRows - total, end - row), b.pieceStart[k] + b.pieceRows[k] - q);
                        if (bad != null && -badAt - 1 < bad.length) {
                            limit = Math.min(limit, bad[-badAt - 1] - q);
                        }
                        n = (int) limit;
                    }
                    int len = n * dIn;
                    dst.put(dst.position(), b.floats[b.segment(q)], b.floatIndex(q), len);
                    dst.position(dst.position() + len);
                    row += n;
                    total += n;
                }
                if (row == end) {
                    current = null;
                    release(b);
                }
            }
            return total;
        }
    }

    /** Makes {@code e} the pending error at the current position: raised now, or by the next read if rows were read. */
    private int fail(DataFormatException e, int total) {
        sticky = e;
        if (total > 0) {
            return total;
        }
        throw rethrown(e);
    }

    private void logSkip(String what) {
        int n = loggedSkips.incrementAndGet();
        if (n <= LOGGED_SKIPS) {
            LOG.warn("skipping non-finite row: {}{}", what,
                    n == LOGGED_SKIPS ? " (further skips are logged at debug level)" : "");
        } else {
            LOG.debug("skipping non-finite row: {}", what);
        }
    }

    /** Names the shard, row, byte, column and value of the first non-finite value of storage row {@code q}. */
    private String describeNonFinite(Block b, int k, int q) {
        ShardSpec spec = shards.get(b.pieceShard[k]);
        long shardRow = b.pieceShardRow[k] + (q - b.pieceStart[k]);
        FloatBuffer f = b.floats[b.segment(q)];
        int at = b.floatIndex(q);
        int col = Math.max(0, NonFinite.first(f, at, dIn));
        return spec.label() + " row " + shardRow + " (byte " + (spec.dataOffset() + shardRow * spec.rowBytes()
                + (long) col * spec.dtype().byteSize()) + ", column " + col + ") holds " + f.get(at + col);
    }

    @Override
    public void seek(SourcePosition position) {
        if (position.row() > order.rows()) {
            throw new IllegalArgumentException("row " + position.row() + " is beyond the " + order.rows()
                    + " rows of an epoch of this source");
        }
        synchronized (lock) {
            ensureOpen();
            if (sticky == null && position.epoch() == epoch && position.row() == row) {
                return;
            }
            if (sticky == null && current == null && row == order.rows() && position.epoch() == epoch + 1
                    && position.row() == 0) {
                epoch++; // a running prefetcher already continues into the next epoch
                row = 0;
                return;
            }
            stopProducer();
            if (current != null) {
                Block b = current;
                current = null;
                release(b);
            }
            sticky = null;
            epoch = position.epoch();
            row = position.row();
        }
    }

    @Override
    public void close() {
        closed = true;
        synchronized (lock) {
            stopProducer();
            current = null;
            if (consumerReader != null) {
                consumerReader.close();
                consumerReader = null;
            }
            synchronized (allocated) {
                if (buffersReleasable) {
                    for (Block b : allocated) {
                        b.free();
                    }
                }
                allocated.clear();
                free.clear();
            }
            syncBlock = null;
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the activation source is closed");
        }
    }

    private static ActivationDataException rethrown(DataFormatException e) {
        if (e instanceof NonFiniteRowException n) {
            return new NonFiniteRowException(n.where(), n); // same type, so callers can name their own remedy
        }
        return new ActivationDataException(e.getMessage(), e);
    }

    /**
     * The block holding position (epoch, row), every piece read: without prefetching set up and read here,
     * otherwise taken from the prefetch queue and finished with the prefetch thread. Null, with the reason
     * in {@link #sticky}, if the prefetch thread failed.
     */
    private Block next() {
        if (consumerReader == null) {
            consumerReader = new ChannelRowReader(shards);
        }
        Block b;
        if (options.prefetchDepth() == 0) {
            if (syncBlock == null) {
                syncBlock = obtain();
            }
            b = syncBlock;
            if (consumerPlan == null || consumerPlan.epoch != epoch) {
                consumerPlan = order.plan(epoch);
            }
            setUp(b, consumerPlan, epoch, row);
        } else {
            b = fromProducer();
            if (b == null) {
                return null;
            }
        }
        if (b.epoch != epoch || row < b.start || row >= b.start + b.rows) {
            throw new IllegalStateException("internal error: block at " + b.epoch + "/" + b.start + "+" + b.rows
                    + " but the source is at " + epoch + "/" + row);
        }
        return b;
    }

    private Block fromProducer() {
        if (producer == null) {
            producer = new Producer(epoch, row);
            producer.thread.start();
        }
        try {
            while (true) {
                Block b = producer.queue.poll(POLL_MS, TimeUnit.MILLISECONDS);
                if (b != null) {
                    return b;
                }
                ensureOpen();
                if (producer.finished && producer.queue.isEmpty()) {
                    if (producer.failure == null) {
                        throw new IllegalStateException("internal error: the prefetch thread ended without a block");
                    }
                    sticky = producer.failure;
                    return null;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ActivationDataException("interrupted while waiting for the next block of activations", e);
        }
    }

    /**
     * Returns once piece {@code k} of {@code b} is read: reads the block's next unclaimed pieces meanwhile
     * (pieces are claimed in order, so {@code k} itself if nobody has claimed it), then waits for the thread
     * that claimed it.
     */
    private void awaitPiece(Block b, int k) {
        int c;
        while (b.pieceDone.get(k) == 0 && !closed && (c = b.nextPiece.getAndIncrement()) < b.pieces) {
            loadPiece(b, c, consumerReader);
        }
        synchronized (b) {
            while (b.pieceDone.get(k) == 0) {
                ensureOpen();
                try {
                    b.wait(POLL_MS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ActivationDataException("interrupted while waiting for activations being read", e);
                }
            }
        }
    }

    /** An idle block, allocated if the pool is not yet full; null if every block is in use. */
    private Block obtain() {
        synchronized (allocated) {
            Block b = free.pollFirst();
            if (b != null) {
                return b;
            }
            if (allocated.size() >= maxBlocks || closed) {
                return null;
            }
            b = new Block(blockRows, segmentRows, dIn);
            allocated.add(b);
            return b;
        }
    }

    /** Waits up to {@link #POLL_MS} for a block to be released, then tries {@link #obtain()} again. */
    private Block awaitBlock() throws InterruptedException {
        synchronized (allocated) {
            if (free.isEmpty()) {
                allocated.wait(POLL_MS);
            }
        }
        return obtain();
    }

    private void release(Block b) {
        if (options.prefetchDepth() > 0) {
            synchronized (allocated) {
                if (allocated.contains(b)) {
                    free.addFirst(b);
                    allocated.notifyAll();
                }
            }
        }
    }

    /**
     * Sets {@code b} up for the block holding position {@code p} of epoch {@code ep}: its span when spans are
     * permuted, otherwise up to {@link #blockRows} positions from {@code p}; cuts it into pieces.
     */
    private void setUp(Block b, EpochOrder.Plan plan, long ep, long p) {
        b.epoch = ep;
        if (spans) {
            long span = p / order.bufferRows();
            b.start = span * order.bufferRows();
            b.rows = (int) Math.min(order.bufferRows(), order.rows() - b.start);
            if (b.perm == null || b.perm.length < b.rows) {
                b.perm = new int[b.capacity];
            }
            System.arraycopy(plan.spanPermutation(span), 0, b.perm, 0, b.rows);
        } else {
            b.start = p;
            b.rows = (int) Math.min(blockRows, order.rows() - p);
            b.perm = null;
        }
        b.pieces = 0;
        EpochOrder.Run run = new EpochOrder.Run();
        for (int q = 0; q < b.rows; q += run.length) {
            int max = Math.min(Math.min(pieceRows, b.rows - q), b.segmentRows - q % b.segmentRows);
            plan.locateStorage(b.start + q, max, run);
            b.addPiece(q, run.shard, run.shardRow, run.length);
        }
        if (b.perm != null) {
            if (b.rowPiece.length < b.rows) {
                b.rowPiece = new int[b.capacity];
            }
            for (int k = 0; k < b.pieces; k++) {
                Arrays.fill(b.rowPiece, b.pieceStart[k], b.pieceStart[k] + b.pieceRows[k], k);
            }
        }
        if (b.pieceError.length < b.pieces) {
            b.pieceError = new DataFormatException[b.pieceStart.length];
            b.pieceBad = new int[b.pieceStart.length][];
            b.pieceDone = new AtomicIntegerArray(b.pieceStart.length);
        } else {
            Arrays.fill(b.pieceError, 0, b.pieces, null);
            Arrays.fill(b.pieceBad, 0, b.pieces, null);
            for (int k = 0; k < b.pieces; k++) {
                b.pieceDone.set(k, 0);
            }
        }
        b.nextPiece.set(0);
    }

    /** Claims and reads pieces of {@code b} until none is left (or {@code p} is told to stop). */
    private void loadPieces(Block b, ChannelRowReader reader, Producer p) {
        int k;
        while (!closed && (p == null || !p.stop) && (k = b.nextPiece.getAndIncrement()) < b.pieces) {
            loadPiece(b, k, reader);
        }
    }

    /** Reads piece {@code k} into {@code b} and records its non-finite rows or its error; never throws. */
    private void loadPiece(Block b, int k, ChannelRowReader reader) {
        int q = b.pieceStart[k];
        int n = b.pieceRows[k];
        int seg = b.segment(q);
        int at = b.floatIndex(q);
        ShardSpec spec = shards.get(b.pieceShard[k]);
        long shardRow = b.pieceShardRow[k];
        DataFormatException error = null;
        int[] bad = null;
        int badCount = 0;
        try {
            boolean finite = reader.read(b.pieceShard[k], shardRow, n, b.bytes[seg], b.floats[seg], at);
            if (!finite && NonFinite.anyIn(b.floats[seg], b.longs[seg], at, n * dIn)) {
                for (int j = 0; j < n; j++) {
                    if (NonFinite.anyIn(b.floats[seg], b.longs[seg], at + j * dIn, dIn)) {
                        if (bad == null) {
                            bad = new int[Math.min(n, 16)];
                        } else if (badCount == bad.length) {
                            bad = Arrays.copyOf(bad, Math.min(n, bad.length * 2));
                        }
                        bad[badCount++] = q + j;
                    }
                }
            }
        } catch (DataFormatException e) { // an ActivationDataException, or a TensorFileException of the io package
            error = e;
        } catch (RuntimeException | Error e) {
            error = new ActivationDataException(spec.file() + ": reading " + spec.label() + " row " + shardRow
                    + " failed: " + e, e);
        }
        b.pieceError[k] = error;
        b.pieceBad[k] = badCount == 0 ? null : Arrays.copyOf(bad, badCount);
        b.pieceDone.set(k, 1); // publishes the rows, error and bad rows of the piece
        synchronized (b) {
            b.notifyAll();
        }
    }

    /** Stops the prefetch thread, if any, and takes back every block. */
    private void stopProducer() {
        Producer p = producer;
        if (p == null) {
            return;
        }
        producer = null;
        p.stop = true;
        boolean stopped = false;
        try {
            for (int i = 0; i < 600 && !stopped; i++) { // a piece normally ends in milliseconds
                p.thread.join(100);
                stopped = !p.thread.isAlive();
                if (!stopped && i % 100 == 99) {
                    LOG.warn("prefetch thread {} has not stopped after {} s; waiting", p.thread.getName(), (i + 1) / 10);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        current = null;
        synchronized (allocated) {
            free.clear();
            if (stopped) {
                free.addAll(allocated);
            } else {
                // it may still write into a block: leave them all to it and to the GC, allocate new ones
                buffersReleasable = false;
                allocated.clear();
                LOG.warn("prefetch thread {} did not stop; abandoning it", p.thread.getName());
            }
        }
    }

    /** The prefetch thread: sets blocks up from a start position on, across epochs, publishes and reads them. */
    private final class Producer implements Runnable {
        final ArrayBlockingQueue<Block> queue = new ArrayBlockingQueue<>(maxBlocks + 1);
        final Thread thread;
        final long startEpoch;
        final long startRow;
        volatile boolean stop;
        volatile boolean finished;
        volatile DataFormatException failure;

        Producer(long startEpoch, long startRow) {
            this.startEpoch = startEpoch;
            this.startRow = startRow;
            this.thread = new Thread(this, "jsae-prefetch-" + THREAD_IDS.incrementAndGet());
            this.thread.setDaemon(true);
        }

        @Override
        public void run() {
            long ep = startEpoch;
            long p = startRow;
            EpochOrder.Plan plan = null;
            try (ChannelRowReader reader = new ChannelRowReader(shards)) {
                while (!stop) {
                    if (p >= order.rows()) {
                        ep++;
                        p = 0;
                    }
                    Block b = obtain();
                    if (b == null) {
                        b = awaitBlock();
                        if (b == null) {
                            continue;
                        }
                    }
                    if (plan == null || plan.epoch != ep) {
                        plan = order.plan(ep);
                    }
                    setUp(b, plan, ep, p);
                    if (!offer(b)) { // stopping; the blocks are taken back by stopProducer
                        break;
                    }
                    loadPieces(b, reader, this);
                    p = b.start + b.rows;
                }
            } catch (DataFormatException e) {
                failure = e;
            } catch (Throwable t) {
                failure = new ActivationDataException("the prefetch thread failed: " + t, t);
            } finally {
                finished = true;
            }
        }

        private boolean offer(Block b) throws InterruptedException {
            while (!stop) {
                if (queue.offer(b, POLL_MS, TimeUnit.MILLISECONDS)) {
                    return true;
                }
            }
            return false;
        }
    }
}

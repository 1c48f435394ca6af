package io.jsae.core.data;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The reading engine shared by the file-backed sources: rows of a list of validated shards, in the epoch
 * order of {@link EpochOrder}, checked for non-finite values, decoded into direct float32 batches either on
 * the caller's thread or by a prefetch thread through a bounded queue. Implements the whole
 * {@link ActivationSource} contract; the public sources delegate to it.
 *
 * <p>Threads: one consumer calls read/seek/position; {@link #close()} may come from any thread. All
 * mappings belong to one {@link ShardReader} that only one thread (the prefetch thread, or the consumer when
 * prefetching is off) ever uses.
 */
final class ShardedStream implements ActivationSource {

    private static final Logger LOG = LoggerFactory.getLogger(ShardedStream.class);
    private static final AtomicInteger THREAD_IDS = new AtomicInteger();
    private static final long POLL_MS = 50;
    private static final long MAX_SPAN = 1L << 30;
    private static final int LOGGED_SKIPS = 10;
    /** Largest prefetched piece. */
    private static final long PIECE_BYTES = 4L << 20;
    /** Rows are decoded and checked for non-finite values in steps of about this many bytes. */
    private static final int CHECK_BLOCK_BYTES = 256 << 10;
    /** Address space the mappings of one reader may hold. */
    private static final long MAPPED_BUDGET = 32L << 30;

    private final List<ShardSpec> shards;
    private final LoaderOptions options;
    private final EpochOrder order;
    private final int dIn;
    private final int batchRows;
    private final int maxWindows;
    private final ArrayBlockingQueue<Batch> free;
    private final int poolSize;
    private final AtomicInteger loggedSkips = new AtomicInteger();
    private final Object lock = new Object();

    private volatile boolean closed;

    // consumer state, guarded by lock
    private long epoch;
    private long row;
    private long skipped;
    private Batch current;
    private int consumed;
    private ActivationDataException sticky;
    private Producer producer;
    private Filler syncFiller;
    private final Batch inPlace = new Batch();
    private boolean buffersReleasable = true;

    /**
     * A decoded batch: rows of one epoch covering positions [start, start + span), in {@code floats} from
     * index 0. A pooled batch owns a direct buffer; the in-place batch of synchronous reads points into the
     * caller's buffer.
     */
    static final class Batch {
        final ByteBuffer bytes; // the owned direct buffer, or null
        FloatBuffer floats;
        final LongBuffer longs; // a view of the owned buffer, or null
        int capacityRows;
        int[] rel;
        long epoch;
        long start;
        long span;
        int rows;
        boolean hasSkips;
        ActivationDataException error; // raised after the rows, at position start + span

        /** A pooled batch of {@code capacityRows} rows, or with 0 a batch that carries only an error. */
        Batch(int capacityRows, int dIn) {
            this.capacityRows = capacityRows;
            if (capacityRows == 0) {
                bytes = null;
                longs = null;
                rel = new int[0];
            } else {
                bytes = ByteBuffer.allocateDirect(capacityRows * dIn * 4).order(ByteOrder.nativeOrder());
                floats = bytes.asFloatBuffer();
                longs = bytes.asLongBuffer();
                rel = new int[capacityRows];
            }
        }

        /** The in-place batch: decodes straight into {@code target} (index 0 = first row). */
        Batch() {
            bytes = null;
            longs = null;
            rel = new int[0];
        }

        void target(FloatBuffer target, int rows) {
            floats = target;
            capacityRows = rows;
            if (rel.length < rows) {
                rel = new int[rows];
            }
        }
    }

    ShardedStream(List<ShardSpec> shards, LoaderOptions options) {
        this.shards = List.copyOf(shards);
        this.options = options;
        this.dIn = shards.get(0).dIn();
        long[] rows = shards.stream().mapToLong(ShardSpec::rows).toArray();
        this.order = new EpochOrder(rows, options.chunkRows(), options.shuffleBufferRows(), options.seed(), options.shuffle());
        long maxRowsPerBuffer = Integer.MAX_VALUE / ((long) dIn * 4);
        if (maxRowsPerBuffer < 1) {
            throw new ActivationDataException("rows of width " + dIn + " are too wide to decode into one buffer");
        }
        // Prefetched pieces of at most PIECE_BYTES: a consumer copying a piece soon after it was decoded
        // finds much of it still in the CPU cache, which 64 MiB batches would not allow.
        int hint = (int) Math.min(Math.min(options.batchRowsHint(), maxRowsPerBuffer), order.rows());
        this.batchRows = (int) Math.max(1, Math.min(hint, PIECE_BYTES / ((long) dIn * 4)));
        this.maxWindows = windowsNeeded();
        int piecesPerBatch = (hint + batchRows - 1) / batchRows;
        int buffers = options.prefetchDepth() == 0 ? 0 : options.prefetchDepth() * piecesPerBatch + 1;
        this.poolSize = buffers;
        this.free = new ArrayBlockingQueue<>(Math.max(1, buffers));
        for (int i = 0; i < buffers; i++) {
            free.add(new Batch(batchRows, dIn));
        }
    }

    /**
     * Windows a reader keeps mapped: as many as the address-space budget allows (at least the ones one shuffle
     * span touches), so that a shard set within the budget is mapped and faulted in once, not every epoch.
     */
    private int windowsNeeded() {
        long maxRowBytes = shards.stream().mapToLong(ShardSpec::rowBytes).max().orElse(1);
        long w = options.mapWindowBytes();
        long chunkBytes = maxRowBytes * options.chunkRows();
        long perChunk = (chunkBytes + w - 1) / w + 1;
        long chunksPerSpan = options.shuffle() ? options.shuffleBufferRows() / options.chunkRows() + 2 : 1;
        long needed = chunksPerSpan * perChunk + 2;
        long total = shards.stream().mapToLong(s -> (s.dataEnd() - s.dataOffset() + w - 1) / w).sum();
        long budget = Math.max(needed, MAPPED_BUDGET / w);
        return (int) Math.max(2, Math.min(Math.min(total, budget), 4096));
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
                    current = next(dst, maxRows - total);
                    consumed = 0;
                    if (current.epoch != epoch || current.start != row) {
                        throw new IllegalStateException("internal error: batch at " + current.epoch + "/" + current.start
                                + " but the source is at " + epoch + "/" + row);
                    }
                }
                int n = Math.min(current.rows - consumed, maxRows - total);
                if (n > 0) {
                    int len = n * dIn;
                    if (current != inPlace) {
                        dst.put(dst.position(), current.floats, consumed * dIn, len);
                    }
                    dst.position(dst.position() + len);
                    if (current.hasSkips) {
                        long after = current.start + current.rel[consumed + n - 1] + 1;
                        skipped += after - row - n;
                        row = after;
                    } else {
                        row += n;
                    }
                    consumed += n;
                    total += n;
                }
                if (consumed == current.rows) {
                    Batch done = current;
                    current = null;
                    long end = done.start + done.span;
                    skipped += end - row;
                    row = end;
                    ActivationDataException error = done.error;
                    recycle(done);
                    if (error != null) {
                        sticky = error;
                        if (total > 0) {
                            return total; // the error is raised by the next read, at its row
                        }
                        throw rethrown(error);
                    }
                }
            }
            return total;
        }
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
                recycle(current);
                current = null;
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
            if (syncFiller != null) {
                syncFiller.close();
                syncFiller = null;
            }
            if (current != null) {
                recycle(current);
                current = null;
            }
            if (buffersReleasable) {
                Batch b;
                while ((b = free.poll()) != null) {
                    DirectBuffers.free(b.bytes);
                }
            }
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the activation source is closed");
        }
    }

    private static ActivationDataException rethrown(ActivationDataException e) {
        return new ActivationDataException(e.getMessage(), e);
    }

    /**
     * The next batch at (epoch, row): without prefetching decoded here straight into {@code dst} (at most
     * {@code maxRows} rows), otherwise taken from the prefetch queue.
     */
    private Batch next(FloatBuffer dst, int maxRows) {
        if (options.prefetchDepth() == 0) {
            if (syncFiller == null) {
                syncFiller = new Filler();
            }
            inPlace.target(dst.slice(dst.position(), maxRows * dIn), maxRows);
            syncFiller.fill(inPlace, epoch, row);
            return inPlace;
        }
        if (producer == null) {
            producer = new Producer(epoch, row);
            producer.thread.start();
        }
        try {
            while (true) {
                Batch b = producer.queue.poll(POLL_MS, TimeUnit.MILLISECONDS);
                if (b != null) {
                    return b;
                }
                ensureOpen();
                if (producer.finished && producer.queue.isEmpty()) {
                    throw new IllegalStateException("internal error: the prefetch thread ended without a batch");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ActivationDataException("interrupted while waiting for the next batch of activations", e);
        }
    }

    private void recycle(Batch b) {
        if (b == inPlace) {
            b.floats = null; // do not keep the caller's buffer
        } else if (b.bytes != null) {
            b.error = null;
            free.offer(b);
        }
    }

    /** Stops the prefetch thread, if any, and returns its batches to the pool. */
    private void stopProducer() {
        Producer p = producer;
        if (p == null) {
            return;
        }
        producer = null;
        p.stop = true;
        boolean stopped = false;
        try {
            for (int i = 0; i < 600 && !stopped; i++) { // a batch normally ends in milliseconds
                p.thread.join(100);
                stopped = !p.thread.isAlive();
                if (!stopped && i % 100 == 99) {
                    LOG.warn("prefetch thread {} has not stopped after {} s; waiting", p.thread.getName(), (i + 1) / 10);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!stopped) {
            buffersReleasable = false; // it may still write into a batch buffer: leave them to the GC
            LOG.warn("prefetch thread {} did not stop; abandoning it", p.thread.getName());
        }
        Batch b;
        while ((b = p.queue.poll()) != null) {
            recycle(b);
        }
    }

    /** Fills batches from one thread: owns a {@link ShardReader} and the current epoch's plan. */
    private final class Filler implements AutoCloseable {
        private final ShardReader reader = new ShardReader(shards, options.mapWindowBytes(), maxWindows);
        private final EpochOrder.Run run = new EpochOrder.Run();
        private final int checkBlockRows = Math.max(1, CHECK_BLOCK_BYTES / (dIn * 4));
        private EpochOrder.Plan plan;

        /** Fills {@code b} with up to its capacity of rows from position {@code start} of {@code ep}; never throws. */
        void fill(Batch b, long ep, long start) {
            b.epoch = ep;
            b.start = start;
            b.rows = 0;
            b.hasSkips = false;
            b.error = null;
            long p = start;
            int rowsOut = 0;
            int capacity = b.capacityRows;
            try {
                if (plan == null || plan.epoch != ep) {
                    plan = order.plan(ep);
                }
                long end = order.rows();
                outer:
                while (rowsOut < capacity && p < end && p - start < MAX_SPAN) {
                    // at most ~256 KiB per step, so that the check below reads rows still in the cache
                    plan.locate(p, (int) Math.min(Math.min(capacity - rowsOut, end - p), checkBlockRows), run);
                    reader.readRows(run.shard, run.shardRow, run.length, b.floats, rowsOut * dIn);
                    for (int j = 0; j < run.length; j++) {
                        int at = (rowsOut + j) * dIn;
                        boolean bad = b.longs != null && (dIn & 1) == 0
                                ? NonFinite.anyInPairs(b.longs, at >> 1, dIn >> 1)
                                : NonFinite.anyIn(b.floats, at, dIn);
                        if (!bad) {
                            continue;
                        }
                        keep(b, rowsOut, j, p);
                        rowsOut += j;
                        p += j;
                        int col = NonFinite.first(b.floats, at, dIn);
                        ShardSpec spec = shards.get(run.shard);
                        long shardRow = run.shardRow + j;
                        String what = spec.label() + " row " + shardRow + " (byte " + (spec.dataOffset()
                                + shardRow * spec.rowBytes() + (long) col * spec.dtype().byteSize()) + ", column " + col
                                + ") holds " + b.floats.get(at + col);
                        if (!options.skipNonFinite()) {
                            b.error = new ActivationDataException(spec.file() + ": " + what + "; fix the data, or set"
                                    + " LoaderOptions.skipNonFinite(true) to skip and count such rows");
                            break outer;
                        }
                        if (!b.hasSkips) {
                            for (int i = 0; i < rowsOut; i++) {
                                b.rel[i] = i;
                            }
                            b.hasSkips = true;
                        }
                        p++; // skip the row; the rest of the run is read again from the next position
                        int n = loggedSkips.incrementAndGet();
                        if (n <= LOGGED_SKIPS) {
                            LOG.warn("skipping non-finite row: {}: {}{}", spec.file(), what,
                                    n == LOGGED_SKIPS ? " (further skips are logged at debug level)" : "");
                        } else {
                            LOG.debug("skipping non-finite row: {}: {}", spec.file(), what);
                        }
                        continue outer;
                    }
                    keep(b, rowsOut, run.length, p);
                    rowsOut += run.length;
                    p += run.length;
                }
            } catch (ActivationDataException e) {
                b.error = e;
            } catch (InternalError e) { // an access to a mapping of a file truncated underneath
                b.error = new ActivationDataException("a shard file was truncated or failed while being read near "
                        + "epoch position " + p + ": " + e.getMessage() + "; do not modify shards during training", e);
            } catch (RuntimeException | Error e) {
                b.error = new ActivationDataException("reading activations failed near epoch position " + p + ": " + e, e);
            }
            b.rows = rowsOut;
            b.span = p - start;
        }

        /** Records the relative positions of {@code n} rows appended at {@code rowsOut}, from position {@code p}. */
        private void keep(Batch b, int rowsOut, int n, long p) {
            if (b.hasSkips) {
                int base = (int) (p - b.start);
                for (int i = 0; i < n; i++) {
                    b.rel[rowsOut + i] = base + i;
                }
            }
        }

        @Override
        public void close() {
            reader.close();
        }
    }

    /** The prefetch thread: fills free batches from a start position on, across epochs, until stopped. */
    private final class Producer implements Runnable {
        final ArrayBlockingQueue<Batch> queue = new ArrayBlockingQueue<>(poolSize + 2);
        final Thread thread;
        final long startEpoch;
        final long startRow;
        volatile boolean stop;
        volatile boolean finished;

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
            try (Filler filler = new Filler()) {
                while (!stop) {
                    if (p >= order.rows()) {
                        ep++;
                        p = 0;
                    }
                    Batch b = free.poll(POLL_MS, TimeUnit.MILLISECONDS);
                    if (b == null) {
                        continue;
                    }
                    filler.fill(b, ep, p);
                    if (!offer(b)) {
                        recycle(b);
                        break;
                    }
                    if (b.error != null) {
                        break;
                    }
                    p += b.span;
                }
            } catch (Throwable t) {
                Batch e = new Batch(0, dIn);
                e.epoch = ep;
                e.start = p;
                e.error = new ActivationDataException("the prefetch thread failed: " + t, t);
                offer(e);
            } finally {
                finished = true;
            }
        }

        private boolean offer(Batch b) {
            try {
                while (!stop) {
                    if (queue.offer(b, POLL_MS, TimeUnit.MILLISECONDS)) {
                        return true;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return false;
        }
    }
}

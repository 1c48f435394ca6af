package io.jsae.core.data;

import io.jsae.core.io.DType;
import io.jsae.core.io.DataFormatException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The reading engine shared by the file-backed sources: rows of a list of validated shards, in the epoch
 * order of {@link EpochOrder}, read straight into the caller's buffer, checked for non-finite values.
 * Implements the whole {@link ActivationSource} contract; the public sources delegate to it.
 *
 * <p>A read of {@code n} rows becomes a {@link ReadJob} for the next {@code n} positions: pieces of at most
 * {@value #PIECE_BYTES} file bytes, each a run of consecutive rows of one shard and the destination row of
 * each. The caller's thread and the {@link LoaderOptions#readThreads()} background threads claim pieces and
 * read them. {@link #readAhead} sets the job of the next read up early and leaves it to the background
 * threads, so that the rows arrive while the caller computes; the read then only finishes it. There is no
 * buffer of our own between the file and the caller: a row is copied once, out of a memory mapping of its
 * shard ({@link ShardMappings}) or by the kernel in a positional read.
 *
 * <p>Threads: one consumer calls read/readAhead/seek/position; {@link #close()} may come from any thread. Each
 * loading thread owns its {@link PieceReader}; the mappings are shared and unmapped by {@link #close()}.
 */
final class ShardedStream implements ActivationSource {

    private static final Logger LOG = LoggerFactory.getLogger(ShardedStream.class);
    private static final AtomicInteger THREAD_IDS = new AtomicInteger();
    private static final long POLL_MS = 50;
    private static final int LOGGED_SKIPS = 10;
    /**
     * File bytes of a piece (of its widest rows, in a source of mixed types): large copies or reads, and enough
     * pieces in a batch for every loading thread.
     */
    static final long PIECE_BYTES = 1L << 20;

    private final List<ShardSpec> shards;
    private final LoaderOptions options;
    private final EpochOrder order;
    private final int dIn;
    private final int pieceRows;
    private final DType storedType;
    private final int storedRowBytes;
    private final AtomicInteger loggedSkips = new AtomicInteger();
    private final Object lock = new Object();
    private final Object jobs = new Object(); // guards posted; background threads wait on it
    private final List<Thread> threads = new ArrayList<>();
    private final ShardMappings mappings; // null: positional reads

    private volatile boolean closed;
    private ReadJob posted; // the job the background threads work on, guarded by jobs

    // consumer state, guarded by lock
    private long epoch;
    private long row;
    private long skipped;
    private DataFormatException sticky; // rethrown as an ActivationDataException
    private ReadJob ahead; // set up by readAhead for the next read
    private PieceReader consumerReader;
    private EpochOrder.Plan plan;

    ShardedStream(List<ShardSpec> shards, LoaderOptions options) {
        this(shards, options, PIECE_BYTES);
    }

    /** With another piece size (file bytes), so tests can use tiny ones. */
    ShardedStream(List<ShardSpec> shards, LoaderOptions options, long pieceBytes) {
        this.shards = List.copyOf(shards);
        this.options = options;
        this.dIn = shards.get(0).dIn();
        long[] rows = shards.stream().mapToLong(ShardSpec::rows).toArray();
        this.order = new EpochOrder(rows, options.chunkRows(), options.shuffleBufferRows(), options.seed(), options.shuffle());
        long rowBytes = 4L * dIn;
        if (Integer.MAX_VALUE / rowBytes < 1) {
            throw new ActivationDataException("rows of width " + dIn + " are too wide to read into one buffer");
        }
        long fileRowBytes = shards.stream().mapToLong(ShardSpec::rowBytes).max().orElseThrow();
        this.pieceRows = (int) Math.max(1, pieceBytes / fileRowBytes);
        DType first = shards.get(0).dtype();
        this.storedType = shards.stream().allMatch(sp -> sp.dtype() == first) ? first : DType.F32;
        this.storedRowBytes = dIn * storedType.byteSize();
        long maxPieceBytes = pieceRows * fileRowBytes;
        this.mappings = options.memoryMapped() && mappable(this.shards, maxPieceBytes)
                ? new ShardMappings(this.shards, maxPieceBytes) : null;
    }

    /**
     * Whether rows can be copied out of mappings: the native copy loads, files are read as little-endian values
     * by a little-endian machine, a piece fits a window's overlap, and the shards are on local file systems (a
     * page that a network file system fails to deliver would end the process, where a read reports it).
     */
    private static boolean mappable(List<ShardSpec> shards, long maxPieceBytes) {
        if (!NativeDecoding.available() || ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN
                || maxPieceBytes > ShardMappings.MAX_PIECE_BYTES) {
            return false;
        }
        String remote = ShardMappings.remoteFileSystem(shards);
        if (remote != null) {
            LOG.info("shards on a {} file system: read with positional reads, not memory mappings", remote);
            return false;
        }
        return true;
    }

    /** Whether this stream copies rows out of memory mappings (else it reads them with positional reads). */
    boolean memoryMapped() {
        return mappings != null;
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
    public DType storedType() {
        return storedType;
    }

    @Override
    public int read(FloatBuffer dst, int maxRows) {
        checkDestination(dst, maxRows, dIn);
        return readInto(dst, maxRows);
    }

    @Override
    public int readStored(ByteBuffer dst, int maxRows) {
        if (storedType == DType.F32) { // float32 files, or files of mixed types converted to float32
            return ActivationSource.super.readStored(dst, maxRows);
        }
        checkDestination(dst, maxRows, storedRowBytes);
        return readInto(dst, maxRows);
    }

    @Override
    public void readAhead(FloatBuffer dst, int maxRows) {
        checkDestination(dst, maxRows, dIn);
        readAheadInto(dst, maxRows);
    }

    @Override
    public void readAheadStored(ByteBuffer dst, int maxRows) {
        if (storedType == DType.F32) {
            return; // read through a float view made per call: nothing to match a read-ahead with
        }
        checkDestination(dst, maxRows, storedRowBytes);
        readAheadInto(dst, maxRows);
    }

    /** Reads up to {@code maxRows} rows into {@code dst}: float32 into a float buffer, as stored into a byte buffer. */
    private int readInto(Buffer dst, int maxRows) {
        synchronized (lock) {
            ensureOpen();
            if (sticky != null) {
                cancelAhead();
                throw rethrown(sticky);
            }
            int total = 0;
            while (total < maxRows && row < order.rows()) {
                int want = (int) Math.min(maxRows - total, order.rows() - row);
                ReadJob job;
                if (ahead != null && ahead.serves(dst, want, epoch, row)) {
                    job = ahead;
                    ahead = null;
                } else {
                    cancelAhead();
                    job = setUp(dst, want);
                    post(job);
                }
                runPieces(job, consumerReader());
                try {
                    job.awaitClaimed(POLL_MS, this::ensureOpen);
                } catch (ActivationDataException e) { // interrupted, nothing of this pass delivered
                    if (total > 0) {
                        return total; // the rows of an earlier pass (after skipped rows); the interrupt stays set
                    }
                    throw e;
                }
                Delivery d = deliver(job, dst);
                total += d.rows();
                if (d.error() != null) {
                    return fail(d.error(), total);
                }
            }
            return total;
        }
    }

    @Override
    public void cancelReadAhead() {
        synchronized (lock) {
            cancelAhead();
        }
    }

    private void readAheadInto(Buffer dst, int maxRows) {
        synchronized (lock) {
            ensureOpen();
            if (options.readThreads() == 0 || sticky != null || row >= order.rows()) {
                return;
            }
            int want = (int) Math.min(maxRows, order.rows() - row);
            if (ahead != null && ahead.serves(dst, want, epoch, row)) {
                return;
            }
            cancelAhead();
            ahead = setUp(dst, want);
            post(ahead);
        }
    }

    /** Checks the count and that {@code dst} has room for {@code maxRows} rows of {@code rowLength} elements. */
    private void checkDestination(Buffer dst, int maxRows, int rowLength) {
        if (maxRows < 1) {
            throw new IllegalArgumentException("maxRows must be >= 1, was " + maxRows);
        }
        if (dst.remaining() < (long) maxRows * rowLength) {
            String unit = dst instanceof FloatBuffer ? "floats" : "bytes";
            throw new IllegalArgumentException("buffer has room for " + dst.remaining() + " " + unit + ", need "
                    + (long) maxRows * rowLength + " for " + maxRows + " rows of width " + dIn
                    + (dst instanceof FloatBuffer ? "" : " stored as " + storedType));
        }
        if (dst.isReadOnly()) {
            throw new IllegalArgumentException("the buffer is read-only");
        }
    }

    /** What a finished job gave the caller: rows left in its buffer, and the error at the first failed position or null. */
    private record Delivery(int rows, DataFormatException error) {
    }

    /**
     * Looks at a finished job in position order: moves its rows before the first failed position into place
     * (dropping skipped non-finite rows) and advances the position and the caller's buffer.
     */
    private Delivery deliver(ReadJob job, Buffer dst) {
        int errorRow = job.rows;
        DataFormatException error = null;
        List<long[]> bad = new ArrayList<>(); // {destination row, piece, row in piece}
        for (int k = 0; k < job.pieces; k++) {
            if (job.error[k] != null) {
                int first = Integer.MAX_VALUE;
                for (int j = 0; j < job.count[k]; j++) {
                    first = Math.min(first, job.destinationRow(k, j));
                }
                if (first < errorRow) {
                    errorRow = first;
                    error = job.error[k];
                }
            } else if (job.bad[k] != null) {
                for (int j : job.bad[k]) {
                    bad.add(new long[]{job.destinationRow(k, j), k, j});
                }
            }
        }
        bad.sort((a, b) -> Long.compare(a[0], b[0]));
        int kept = 0; // rows moved into place so far
        int from = 0; // next destination row not yet looked at
        for (long[] b : bad) {
            int r = (int) b[0];
            if (r >= errorRow) {
                break;
            }
            kept = keep(job, from, r, kept);
            String what = describeNonFinite(job, (int) b[1], (int) b[2]);
            if (!options.skipNonFinite()) {
                errorRow = r;
                error = new NonFiniteRowException(what);
                from = r;
                break;
            }
            logSkip(what);
            skipped++;
            from = r + 1;
        }
        if (from < errorRow) {
            kept = keep(job, from, errorRow, kept);
        }
        dst.position(job.base + kept * job.rowLength);
        row += errorRow;
        return new Delivery(kept, error);
    }

    /** Moves destination rows {@code [from, to)} of {@code job} down to row {@code kept} on; returns the new count. */
    private int keep(ReadJob job, int from, int to, int kept) {
        if (kept != from) {
            for (int r = from; r < to; r++) { // rows move down by whole rows: a row never overlaps its new place
                job.moveRow(r, kept + r - from);
            }
        }
        return kept + to - from;
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

    /** Names the shard, row, byte, column and value of the first non-finite value of row {@code j} of piece {@code k}. */
    private String describeNonFinite(ReadJob job, int k, int j) {
        ShardSpec spec = shards.get(job.shard[k]);
        long shardRow = job.shardRow[k] + j;
        int at = job.index(job.destinationRow(k, j));
        int col;
        float value;
        if (job.stored) {
            col = Math.max(0, Decoding.firstNonFinite(storedType, job.bytes, at, dIn));
            value = Decoding.storedValue(storedType, job.bytes, at, col);
        } else {
            col = Math.max(0, Decoding.firstNonFinite(job.floats, at, dIn));
            value = job.floats.get(at + col);
        }
        return spec.label() + " row " + shardRow + " (byte " + (spec.dataOffset() + shardRow * spec.rowBytes()
                + (long) col * spec.dtype().byteSize()) + ", column " + col + ") holds " + value;
    }

    @Override
    public void seek(SourcePosition position) {
        if (position.row() > order.rows()) {
            throw new IllegalArgumentException("row " + position.row() + " is beyond the " + order.rows()
                    + " rows of an epoch of this source");
        }
        synchronized (lock) {
            ensureOpen();
            cancelAhead();
            sticky = null;
            epoch = position.epoch();
            row = position.row();
        }
    }

    @Override
    public void close() {
        closed = true;
        synchronized (jobs) {
            jobs.notifyAll();
        }
        synchronized (lock) {
            if (ahead != null) {
                ahead.cancel();
                ahead = null;
            }
            for (Thread t : threads) {
                try {
                    t.join(10_000); // a piece normally ends in milliseconds
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
                if (t.isAlive()) {
                    LOG.warn("loader thread {} has not stopped after 10 s; leaving it", t.getName());
                }
            }
            boolean stopped = threads.stream().noneMatch(Thread::isAlive);
            threads.clear();
            if (consumerReader != null) {
                consumerReader.close();
                consumerReader = null;
            }
            if (mappings != null) {
                // unmapped only if no thread copies any more (the consumer's reads hold the lock)
                mappings.close(stopped);
            }
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

    /** Stops the read-ahead under way, if any, and waits for its pieces already being read. */
    private void cancelAhead() {
        ReadJob job = ahead;
        if (job == null) {
            return;
        }
        ahead = null;
        job.cancel();
        job.awaitClaimed(POLL_MS, () -> { });
    }

    private PieceReader consumerReader() {
        if (consumerReader == null) {
            consumerReader = new PieceReader(shards, mappings);
        }
        return consumerReader;
    }

    /** The job of the next {@code rows} positions into {@code dst}, from its position on. */
    private ReadJob setUp(Buffer dst, int rows) {
        if (plan == null || plan.epoch != epoch) {
            plan = order.plan(epoch);
        }
        ReadJob job = dst instanceof FloatBuffer f ? new ReadJob(epoch, row, rows, f, dIn)
                : new ReadJob(epoch, row, rows, (ByteBuffer) dst, dIn, storedRowBytes);
        EpochOrder.Run run = new EpochOrder.Run();
        long end = row + rows;
        if (!order.permutesSpans()) {
            for (long p = row; p < end; p += run.length) {
                plan.locate(p, (int) Math.min(pieceRows, end - p), run);
                job.addPiece(run.shard, run.shardRow, run.length, (int) (p - row), null);
            }
        } else {
            long spanRows = order.bufferRows();
            int[] destination = new int[(int) Math.min(spanRows, order.rows())];
            for (long span = row / spanRows; span * spanRows < end; span++) {
                long spanStart = span * spanRows;
                int len = (int) Math.min(spanRows, order.rows() - spanStart);
                int[] perm = plan.spanPermutation(span);
                Arrays.fill(destination, 0, len, -1);
                int lo = (int) Math.max(0, row - spanStart);
                int hi = (int) Math.min(len, end - spanStart);
                for (int o = lo; o < hi; o++) {
                    destination[perm[o]] = (int) (spanStart + o - row);
                }
                // storage order: runs of wanted rows that are consecutive in a shard, each one scattering read
                for (int q = 0; q < len; ) {
                    if (destination[q] < 0) {
                        q++;
                        continue;
                    }
                    plan.locateStorage(spanStart + q, Math.min(pieceRows, len - q), run);
                    int m = 1;
                    while (m < run.length && destination[q + m] >= 0) {
                        m++;
                    }
                    job.addPiece(run.shard, run.shardRow, m, -1, Arrays.copyOfRange(destination, q, q + m));
                    q += m;
                }
            }
        }
        // rows from the device in shuffled order, where the kernel's read-ahead cannot guess the next chunks: ask
        // for all of the job's rows at once
        if (mappings != null && options.shuffle() && mappings.cold()) {
            try {
                for (int k = 0; k < job.pieces; k++) {
                    ShardSpec spec = shards.get(job.shard[k]);
                    mappings.adviseWillNeed(job.shard[k], spec.dataOffset() + job.shardRow[k] * spec.rowBytes(),
                            job.count[k] * spec.rowBytes());
                }
            } catch (ActivationDataException e) {
                // a shard that changed: its piece reports it, at its place in the batch
            }
        }
        job.publish();
        return job;
    }

    /** Hands {@code job} to the background threads, started on first use. */
    private void post(ReadJob job) {
        if (options.readThreads() == 0) {
            return;
        }
        while (threads.size() < options.readThreads()) {
            Thread t = new Thread(this::loadInBackground, "jsae-loader-" + THREAD_IDS.incrementAndGet());
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
        synchronized (jobs) {
            posted = job;
            jobs.notifyAll();
        }
    }

    /** Claims and reads pieces of {@code job} until none is left. */
    private void runPieces(ReadJob job, PieceReader reader) {
        int k;
        while (!closed && (k = job.claim()) >= 0) {
            readPiece(job, k, reader);
        }
    }

    /** Reads piece {@code k} and records its non-finite rows or its error; never throws. */
    private void readPiece(ReadJob job, int k, PieceReader reader) {
        try {
            if (!job.cancelled()) {
                job.bad[k] = reader.readPiece(job, k);
            }
        } catch (DataFormatException e) { // an ActivationDataException, or a TensorFileException of the io package
            job.error[k] = e;
        } catch (RuntimeException | Error e) {
            ShardSpec spec = shards.get(job.shard[k]);
            job.error[k] = new ActivationDataException(spec.file() + ": reading " + job.count[k] + " rows of "
                    + spec.label() + " from row " + job.shardRow[k] + " failed: " + e, e);
        } finally {
            job.finished(); // publishes the rows and outcome of the piece
        }
    }

    /** A background loading thread: reads pieces of each posted job until the stream closes. */
    private void loadInBackground() {
        try (PieceReader reader = new PieceReader(shards, mappings)) {
            while (!closed) {
                ReadJob job;
                synchronized (jobs) {
                    job = posted;
                    if (job == null || job.exhausted()) {
                        jobs.wait(POLL_MS);
                        continue;
                    }
                }
                runPieces(job, reader);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

package io.jsae.core.data;

import io.jsae.core.io.DataFormatException;

import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One read of the epoch positions {@code [start, start + rows)} straight into a caller's buffer, cut into
 * pieces: each piece is a run of consecutive rows of one shard (one large read of the file) and names the
 * destination row of each of its rows, consecutive ones or, for a shuffle span, scattered ones. Any loading
 * thread may claim a piece ({@link #claim()}), read it and record its outcome; the thread that set the job
 * up waits for every claimed piece ({@link #awaitClaimed}) before it looks at the outcome or hands the
 * buffer back to the caller.
 */
final class ReadJob {

    final long epoch;
    final long start;
    final int rows;
    final int dIn;
    /** Whether rows go out as stored ({@link ActivationSource#readStored}) rather than as float32. */
    final boolean stored;
    /** The caller's float buffer (float32 reads), or null. */
    final FloatBuffer floats;
    /**
     * The destination as bytes from index 0: the caller's byte buffer (stored reads), a view of a direct float
     * buffer's memory in the machine's byte order, or null for any other float buffer (a heap buffer, or one
     * in the other byte order: read through a scratch copy).
     */
    final ByteBuffer bytes;
    /** Index of destination row 0: in floats of {@link #floats}, or in bytes of {@link #bytes} for stored reads. */
    final int base;
    /** Length of a destination row in the same unit. */
    final int rowLength;
    /** The buffer the caller passed. */
    final Buffer destination;
    /**
     * Whether the rows are written with non-temporal stores: the job's rows are more than the caches hold well
     * (see {@link #STREAMING_BYTES}), so caching them on the way would only evict other data.
     */
    final boolean streaming;

    /**
     * Destination bytes from which a job writes around the caches: 16 MiB, half a typical server L3; more than
     * that has mostly left the cache by the time the step reads it.
     */
    static final long STREAMING_BYTES = 16L << 20;

    int pieces;
    int[] shard = new int[8];
    long[] shardRow = new long[8];
    int[] count = new int[8];
    int[] firstRow = new int[8]; // destination row of the piece's first row, consecutive rows; -1 if scattered
    int[][] scatter = new int[8][]; // destination row of each of the piece's rows, or null if consecutive

    // outcome, written by the thread that read the piece before it counts the piece as finished
    DataFormatException[] error = new DataFormatException[8];
    int[][] bad = new int[8][]; // rows of the piece (0-based, ascending) holding NaN or infinity, or null

    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger finished = new AtomicInteger();
    private volatile boolean cancelled;
    private volatile int claimable = Integer.MAX_VALUE; // pieces, once set up; then the claimed count on cancel

    /** A float32 read into {@code floats} from its position on. */
    ReadJob(long epoch, long start, int rows, FloatBuffer floats, int dIn) {
        this.epoch = epoch;
        this.start = start;
        this.rows = rows;
        this.dIn = dIn;
        this.stored = false;
        this.floats = floats;
        // the file's float32 bytes go straight in only where the buffer reads floats in the machine's order
        this.bytes = floats.isDirect() && floats.order() == ByteOrder.nativeOrder() ? DirectBuffers.bytesOf(floats) : null;
        this.base = floats.position();
        this.rowLength = dIn;
        this.destination = floats;
        this.streaming = (long) rows * dIn * Float.BYTES >= STREAMING_BYTES;
    }

    /** A read of rows as stored, {@code rowBytes} each, into {@code bytes} from its position on. */
    ReadJob(long epoch, long start, int rows, ByteBuffer bytes, int dIn, int rowBytes) {
        this.epoch = epoch;
        this.start = start;
        this.rows = rows;
        this.dIn = dIn;
        this.stored = true;
        this.floats = null;
        this.bytes = bytes.duplicate().clear();
        this.base = bytes.position();
        this.rowLength = rowBytes;
        this.destination = bytes;
        this.streaming = (long) rows * rowBytes >= STREAMING_BYTES;
    }

    /** Adds a piece of {@code n} rows from {@code shardRow} of shard {@code s}; {@code rowsTo} null for consecutive. */
    void addPiece(int s, long shardRowFrom, int n, int first, int[] rowsTo) {
        if (pieces == shard.length) {
            int len = pieces * 2;
            shard = Arrays.copyOf(shard, len);
            shardRow = Arrays.copyOf(shardRow, len);
            count = Arrays.copyOf(count, len);
            firstRow = Arrays.copyOf(firstRow, len);
            scatter = Arrays.copyOf(scatter, len);
            error = Arrays.copyOf(error, len);
            bad = Arrays.copyOf(bad, len);
        }
        shard[pieces] = s;
        shardRow[pieces] = shardRowFrom;
        count[pieces] = n;
        firstRow[pieces] = first;
        scatter[pieces] = rowsTo;
        pieces++;
    }

    /** Marks the job ready: from now on its pieces can be claimed. */
    void publish() {
        claimable = pieces;
    }

    /** Destination row of row {@code j} of piece {@code k}. */
    int destinationRow(int k, int j) {
        return scatter[k] == null ? firstRow[k] + j : scatter[k][j];
    }

    /** Index of destination row {@code r}: in floats, or in bytes for stored reads. */
    int index(int r) {
        return base + r * rowLength;
    }

    /** Byte index of destination row {@code r} in {@link #bytes}. */
    int byteIndex(int r) {
        return stored ? index(r) : index(r) * Float.BYTES;
    }

    /** Copies destination row {@code from} over destination row {@code to}. */
    void moveRow(int from, int to) {
        if (stored) {
            bytes.put(index(to), bytes, index(from), rowLength);
        } else {
            floats.put(index(to), floats, index(from), rowLength);
        }
    }

    /** The next unclaimed piece, or -1 when none is left or the job was cancelled. */
    int claim() {
        if (cancelled) {
            return -1;
        }
        int k = next.getAndIncrement();
        return k < claimable ? k : -1;
    }

    /** Whether no piece is left to claim. */
    boolean exhausted() {
        return cancelled || next.get() >= claimable;
    }

    /** Counts a claimed piece as finished and wakes the waiting thread. */
    void finished() {
        finished.incrementAndGet();
        synchronized (this) {
            notifyAll();
        }
    }

    /**
     * Stops further claims; {@link #awaitClaimed} then waits only for the pieces already claimed. Idempotent: a
     * second cancel must not count the claims refused after the first.
     */
    synchronized void cancel() {
        if (cancelled) {
            return;
        }
        cancelled = true;
        claimable = Math.min(next.getAndSet(Integer.MAX_VALUE / 2), pieces);
    }

    /** Whether {@link #cancel()} was called. */
    boolean cancelled() {
        return cancelled;
    }

    /**
     * Waits until every piece is finished, or after {@link #cancel()} every piece claimed before it. Called once
     * the caller's own claims found nothing left, or after a cancel. When the thread is interrupted or
     * {@code stillOpen} throws (the source was closed), the job is cancelled and the pieces already claimed are
     * still waited for (a piece takes milliseconds), so that no thread writes into the caller's buffer once this
     * has returned or thrown; then the interrupt is restored and the failure thrown.
     *
     * @param pollMs    wait between checks of {@code stillOpen}
     * @param stillOpen checked between waits; throws to give up
     */
    void awaitClaimed(long pollMs, Runnable stillOpen) {
        RuntimeException failure = null;
        boolean interrupted = false;
        synchronized (this) {
            while (finished.get() < claimable) { // every piece, or those claimed before a cancel
                if (failure == null) {
                    try {
                        stillOpen.run();
                    } catch (RuntimeException e) {
                        failure = e;
                        cancel();
                        continue;
                    }
                }
                try {
                    wait(pollMs);
                } catch (InterruptedException e) {
                    interrupted = true;
                    if (failure == null) {
                        failure = new ActivationDataException("interrupted while waiting for activations being read", e);
                        cancel();
                    }
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (failure != null) {
            throw failure;
        }
    }

    /**
     * Whether this job reads what a read of {@code wantRows} rows into {@code dst} (a float buffer, or a byte
     * buffer for a stored read) at (epoch, row) wants.
     */
    boolean serves(Buffer dst, int wantRows, long atEpoch, long atRow) {
        return dst == destination && dst.position() == base && wantRows == rows && atEpoch == epoch && atRow == start && !cancelled;
    }
}

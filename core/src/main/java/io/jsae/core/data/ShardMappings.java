package io.jsae.core.data;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The shards of one source mapped into memory, read-only, for the loading threads to copy rows out of
 * ({@link NativeDecoding#copyRows}). A shard is mapped on first use, in windows of {@value #WINDOW_BYTES} bytes
 * that overlap by the largest piece, so that every piece lies inside one window (a Java mapping holds at most
 * 2 GiB). Mappings stay until {@link #close()}: mapping costs once per shard, not per epoch.
 *
 * <p>Why mappings and not {@code read}: from a mapping the rows are copied by our own loop, which checks them
 * for NaN and infinity in the same pass and writes a large batch with non-temporal stores; the kernel's copy in
 * {@code read} reads every line of the destination into the cache before writing it, a third more memory
 * traffic (see docs/performance.md).
 *
 * <p>A mapped file that is truncated while mapped makes the copy fault (SIGBUS) and ends the process; the file's
 * size is therefore checked before every piece, which leaves only a truncation during that piece's copy.
 * {@link LoaderOptions#memoryMapped()} off reads with positional reads instead. Thread-safe.
 */
final class ShardMappings implements AutoCloseable {

    /** Bytes of a window past its overlap: 1 GiB. */
    static final long WINDOW_BYTES = 1L << 30;
    /** The largest piece that may use mappings (its bytes are the windows' overlap). */
    static final long MAX_PIECE_BYTES = 256L << 20;

    /** A mapped part of a shard: {@code buffer}'s byte 0 is the file's byte {@code fileOffset}. */
    record Window(long fileOffset, MappedByteBuffer buffer) {
    }

    /**
     * A piece copied slower than this (file bytes per second, one thread) came from the device, not the page
     * cache: a copy from the cache runs at several GB/s per thread, a read from a device at a share of its
     * bandwidth. The next shuffled jobs then ask for their rows ahead ({@link #adviseWillNeed}).
     */
    static final double COLD_BYTES_PER_SECOND = 2e9;

    private final List<ShardSpec> shards;
    private final long overlap;
    private volatile boolean cold;
    private final List<List<Window>> windows; // per shard, by window index; null entries not mapped yet
    private boolean closed;

    /**
     * @param shards        the validated shards
     * @param maxPieceBytes the file bytes of the largest piece that will be asked for, at most {@link #MAX_PIECE_BYTES}
     */
    ShardMappings(List<ShardSpec> shards, long maxPieceBytes) {
        if (maxPieceBytes < 1 || maxPieceBytes > MAX_PIECE_BYTES) {
            throw new IllegalArgumentException("pieces of " + maxPieceBytes + " bytes cannot be read from mappings");
        }
        this.shards = shards;
        this.overlap = maxPieceBytes;
        this.windows = new ArrayList<>(shards.size());
        for (int i = 0; i < shards.size(); i++) {
            windows.add(new ArrayList<>());
        }
    }

    /**
     * The window holding file bytes {@code [position, position + length)} of shard {@code s}, mapped now if it
     * is not yet, after checking that the file still has the size it had when the source was opened.
     *
     * @throws ActivationDataException naming the file if it changed or cannot be mapped
     */
    Window window(int s, long position, long length) {
        ShardSpec spec = shards.get(s);
        if (length > overlap) {
            throw new IllegalArgumentException("piece of " + length + " bytes, more than " + overlap);
        }
        checkSize(spec);
        int w = (int) (position / WINDOW_BYTES);
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("mappings closed");
            }
            List<Window> list = windows.get(s);
            while (list.size() <= w) {
                list.add(null);
            }
            Window window = list.get(w);
            if (window == null) {
                window = map(spec, w);
                list.set(w, window);
            }
            return window;
        }
    }

    private Window map(ShardSpec spec, int w) {
        long from = w * WINDOW_BYTES;
        long length = Math.min(spec.fileSize() - from, WINDOW_BYTES + overlap);
        try (FileChannel ch = FileChannel.open(spec.file(), StandardOpenOption.READ)) {
            // the mapping outlives the channel
            MappedByteBuffer buffer = ch.map(FileChannel.MapMode.READ_ONLY, from, length);
            buffer.order(ByteOrder.LITTLE_ENDIAN);
            return new Window(from, buffer);
        } catch (IOException | RuntimeException e) {
            throw new ActivationDataException(spec.file() + ": cannot map " + spec.label() + " (bytes " + from + " to "
                    + (from + length) + ") into memory: " + e
                    + "; LoaderOptions.memoryMapped(false) reads it with positional reads instead", e);
        }
    }

    /** Records a piece's copy: whether it came from the device decides {@link #cold()}. */
    void noteCopy(long bytes, long nanos) {
        boolean slow = bytes * 1e9 < COLD_BYTES_PER_SECOND * nanos;
        if (slow != cold) {
            cold = slow;
        }
    }

    /** Whether the last piece copied came from the device rather than the page cache. */
    boolean cold() {
        return cold;
    }

    /**
     * Asks the kernel to start reading file bytes {@code [position, position + length)} of shard {@code s} into
     * the page cache, without waiting: called for every piece of a shuffled job when the rows come from the
     * device, so that the job's reads are in flight together, instead of one piece's page faults at a time per
     * thread (in order, the kernel's own read-ahead already reads ahead).
     */
    void adviseWillNeed(int s, long position, long length) {
        Window w = window(s, position, length);
        NativeDecoding.adviseWillNeed(w.buffer(), position - w.fileOffset(), length);
    }

    private static void checkSize(ShardSpec spec) {
        long size;
        try {
            size = Files.size(spec.file());
        } catch (IOException e) {
            throw new ActivationDataException(spec.file() + ": cannot read the size of " + spec.label() + ": " + e, e);
        }
        if (size != spec.fileSize()) {
            throw PieceReader.changed(spec, size);
        }
    }

    /**
     * Unmaps every window. The caller guarantees that no thread copies from a window any more (every loading
     * thread has stopped); otherwise it must not call this, and the windows are unmapped when collected.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (List<Window> list : windows) {
            for (Window window : list) {
                if (window != null) {
                    DirectBuffers.free(window.buffer());
                }
            }
            list.clear();
        }
    }
}

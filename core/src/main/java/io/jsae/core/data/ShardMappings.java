package io.jsae.core.data;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The shards of one source mapped into memory, read-only, for the loading threads to copy rows out of
 * ({@link NativeDecoding#copyRows}). A shard is mapped on first use, in windows of {@value #WINDOW_BYTES} bytes
 * that overlap by the largest piece, so that every piece lies inside one window (a Java mapping holds at most
 * 2 GiB). Mappings stay until {@link #close(boolean)}: mapping costs once per shard, not per epoch.
 *
 * <p>Why mappings and not {@code read}: from a mapping the rows are copied by our own loop, which checks them
 * for NaN and infinity in the same pass and writes a large batch with non-temporal stores; the kernel's copy in
 * {@code read} reads every line of the destination into the cache before writing it: three memory transfers
 * per line where ours makes two (see docs/performance.md).
 *
 * <p>A copy that touches a page the kernel cannot supply faults (SIGBUS) and ends the process: a part of a file
 * truncated while mapped, or a read error of the device or a network file system. The size of the open file
 * is therefore checked before every piece (which leaves only a truncation during that piece's copy), and the
 * sources map only shards on local file systems ({@link ShardedStream}). {@link LoaderOptions#memoryMapped()}
 * off reads with positional reads instead, which report such failures as exceptions. Thread-safe.
 */
final class ShardMappings {

    /** Channels kept open (least recently used closed first): file descriptors are a limited resource. */
    private static final int MAX_OPEN = 64;
    /** Bytes of a window past its overlap: 1 GiB. */
    static final long WINDOW_BYTES = 1L << 30;
    /** The largest piece that may use mappings (its bytes are the windows' overlap). */
    static final long MAX_PIECE_BYTES = 256L << 20;

    /**
     * A piece copied slower than this (file bytes per second, one thread) came from the device, not the page
     * cache: a copy from the cache runs at several GB/s per thread, a read from a device at a share of its
     * bandwidth. The next shuffled jobs then ask for their rows ahead ({@link #adviseWillNeed}).
     */
    static final double COLD_BYTES_PER_SECOND = 2e9;
    /** The smallest piece whose copy time counts for {@link #cold()}. */
    static final long TIMED_PIECE_BYTES = 256L << 10;

    /**
     * File-system types (as {@link FileStore#type()} gives them, prefixes) on which a read can fail
     * after the file was opened: network and user-space file systems. Their shards are not mapped.
     */
    private static final List<String> REMOTE_TYPES = List.of("nfs", "cifs", "smb", "fuse", "lustre", "ceph",
            "glusterfs", "gpfs", "beegfs", "afs", "9p");

    /**
     * The type of the first network or user-space file system that holds one of {@code shards}, or null if all
     * are on local file systems (or their types cannot be told).
     */
    static String remoteFileSystem(List<ShardSpec> shards) {
        Set<Path> seen = new HashSet<>();
        for (ShardSpec spec : shards) {
            Path folder = spec.file().toAbsolutePath().getParent();
            if (folder == null || !seen.add(folder)) {
                continue;
            }
            String type;
            try {
                type = Files.getFileStore(spec.file()).type();
            } catch (IOException | RuntimeException e) {
                continue; // the reads will report what is wrong with the file
            }
            if (isRemote(type)) {
                return type;
            }
        }
        return null;
    }

    /** Whether a file-system type names a network or user-space file system. */
    static boolean isRemote(String type) {
        String t = type.toLowerCase(Locale.ROOT);
        return REMOTE_TYPES.stream().anyMatch(t::startsWith);
    }

    /** A mapped part of a shard: {@code buffer}'s byte 0 is the file's byte {@code fileOffset}. */
    record Window(long fileOffset, MappedByteBuffer buffer) {
    }

    private final List<ShardSpec> shards;
    private final long overlap;
    private volatile boolean cold;
    private final List<List<Window>> windows; // per shard, by window index; null entries not mapped yet
    private final ShardChannels channels; // for the size checks and new windows; guarded by this
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
        this.channels = new ShardChannels(shards, MAX_OPEN);
        this.windows = new ArrayList<>(shards.size());
        for (int i = 0; i < shards.size(); i++) {
            windows.add(new ArrayList<>());
        }
    }

    /**
     * The window holding file bytes {@code [position, position + length)} of shard {@code s}, mapped now if it
     * is not yet, after checking that the file still has the size it had when the source was opened.
     *
     * @throws ActivationDataException naming the file if it changed, cannot be mapped, or the thread was
     *                                 interrupted
     */
    synchronized Window window(int s, long position, long length) {
        ShardSpec spec = shards.get(s);
        if (length > overlap) {
            throw new IllegalArgumentException("piece of " + length + " bytes, more than " + overlap);
        }
        if (closed) {
            throw new IllegalStateException("mappings closed");
        }
        FileChannel ch = channels.checked(s);
        int w = (int) (position / WINDOW_BYTES);
        List<Window> list = windows.get(s);
        while (list.size() <= w) {
            list.add(null);
        }
        Window window = list.get(w);
        if (window == null) {
            window = map(ch, s, spec, w);
            list.set(w, window);
        }
        return window;
    }

    private Window map(FileChannel ch, int s, ShardSpec spec, int w) {
        long from = w * WINDOW_BYTES;
        long length = Math.min(spec.fileSize() - from, WINDOW_BYTES + overlap);
        try {
            MappedByteBuffer buffer = ch.map(FileChannel.MapMode.READ_ONLY, from, length);
            buffer.order(ByteOrder.LITTLE_ENDIAN);
            return new Window(from, buffer);
        } catch (ClosedByInterruptException e) {
            channels.drop(s);
            throw ShardChannels.interrupted(spec, e);
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

    /**
     * Closes the open channels and, with {@code unmap}, unmaps every window; afterwards no window is handed out.
     * The caller unmaps only when no thread copies from a window any more (every loading thread has stopped);
     * otherwise the windows are unmapped when collected.
     */
    synchronized void close(boolean unmap) {
        if (closed) {
            return;
        }
        closed = true;
        channels.close();
        for (List<Window> list : windows) {
            for (Window window : list) {
                if (window != null && unmap) {
                    DirectBuffers.free(window.buffer());
                }
            }
            list.clear();
        }
    }
}

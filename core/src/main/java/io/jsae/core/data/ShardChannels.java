package io.jsae.core.data;

import java.io.IOException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Open read channels of a source's shards, at most {@code maxOpen} (file descriptors are a limited resource),
 * least recently used closed first; each is checked to still hold the file's size from when the source was
 * opened before it is handed out. Not thread-safe: a {@link PieceReader} owns one, {@link ShardMappings}
 * guards its own.
 */
final class ShardChannels {

    private final List<ShardSpec> shards;
    private final int maxOpen;
    private final LinkedHashMap<Integer, FileChannel> open = new LinkedHashMap<>(16, 0.75f, true);
    private boolean closed;

    ShardChannels(List<ShardSpec> shards, int maxOpen) {
        this.shards = shards;
        this.maxOpen = maxOpen;
    }

    /**
     * The channel of shard {@code s}, opened if it is not, after checking the size of the file it holds open
     * (the file that was opened, even if its path has been renamed or replaced since). A channel closed by
     * another thread's interrupt is opened again once.
     *
     * @throws ActivationDataException naming the file if it cannot be opened, changed size, or this thread was
     *                                 interrupted
     */
    FileChannel checked(int s) {
        ShardSpec spec = shards.get(s);
        for (int attempt = 0; ; attempt++) {
            FileChannel ch = channel(s, spec);
            long size;
            try {
                size = ch.size();
            } catch (ClosedByInterruptException e) {
                drop(s);
                throw interrupted(spec, e);
            } catch (ClosedChannelException e) {
                drop(s); // closed by an interrupt of another thread using the same channel
                if (attempt == 0) {
                    continue;
                }
                throw cannotReadSize(spec, e);
            } catch (IOException e) {
                throw cannotReadSize(spec, e);
            }
            if (size != spec.fileSize()) {
                throw changed(spec, size);
            }
            return ch;
        }
    }

    private FileChannel channel(int s, ShardSpec spec) {
        if (closed) {
            throw new IllegalStateException("shard channels closed");
        }
        FileChannel ch = open.get(s);
        if (ch != null) {
            return ch;
        }
        try {
            ch = FileChannel.open(spec.file(), StandardOpenOption.READ);
        } catch (IOException | RuntimeException e) {
            throw new ActivationDataException(spec.file() + ": cannot open " + spec.label() + " for reading: " + e, e);
        }
        open.put(s, ch);
        if (open.size() > maxOpen) {
            Iterator<Map.Entry<Integer, FileChannel>> it = open.entrySet().iterator();
            FileChannel eldest = it.next().getValue();
            it.remove();
            closeQuietly(eldest); // mappings made through it stay valid
        }
        return ch;
    }

    /** Closes and forgets the channel of shard {@code s}, if open (after a failed or interrupted read). */
    void drop(int s) {
        FileChannel ch = open.remove(s);
        if (ch != null) {
            closeQuietly(ch);
        }
    }

    /** Closes every channel; afterwards none is handed out. Idempotent. */
    void close() {
        closed = true;
        for (FileChannel ch : open.values()) {
            closeQuietly(ch);
        }
        open.clear();
    }

    /** The error for a shard found {@code size} bytes long (-1: unknown) after the source was opened. */
    static ActivationDataException changed(ShardSpec spec, long size) {
        return new ActivationDataException(spec.file() + ": file changed while in use: it was " + spec.fileSize()
                + " bytes when the source was opened and is " + size + " bytes now (" + spec.label()
                + "); do not modify shards during training, then reopen the source");
    }

    /** The error for a read of {@code spec} stopped by an interrupt of the reading thread. */
    static ActivationDataException interrupted(ShardSpec spec, IOException e) {
        return new ActivationDataException(spec.file() + ": interrupted while reading " + spec.label(), e);
    }

    private static ActivationDataException cannotReadSize(ShardSpec spec, IOException e) {
        return new ActivationDataException(spec.file() + ": cannot read the size of " + spec.label() + ": " + e, e);
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // read-only: nothing is lost
        }
    }
}

package io.jsae.core.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@link LoaderOptions.ReadMode#MAP}: decodes rows of shards into float32 through read-only memory mappings of
 * at most {@code windowBytes} each, laid on a fixed grid from each shard's data offset, held in a
 * {@link Windows} that every loading thread of a source shares (a page faulted in by one thread is then
 * mapped for all, and stays mapped for later epochs). A row that straddles two windows is assembled in this
 * reader's scratch buffer.
 *
 * <p>A reader is confined to one thread; its {@link Windows} is thread-safe.
 */
final class MappedRowReader implements RowReader {

    private final List<ShardSpec> shards;
    private final Windows windows;
    private final ByteBuffer scratch;
    private boolean closed;

    private static final class Window {
        final MappedByteBuffer buffer;
        final long start; // absolute file offset of buffer index 0
        final long end;

        Window(MappedByteBuffer buffer, long start, long end) {
            this.buffer = buffer;
            this.start = start;
            this.end = end;
        }
    }

    /**
     * The mappings of one source, shared by its loading threads. The most recently used windows stay mapped
     * (at most {@code maxWindows}); an evicted window is dropped and left to the garbage collector, since
     * another thread may still be copying out of it; {@link #close()}, called once no thread reads any more,
     * unmaps the rest at once.
     */
    static final class Windows implements AutoCloseable {
        private final List<ShardSpec> shards;
        private final long windowBytes;
        private final int maxWindows;
        private final LinkedHashMap<Long, Window> windows = new LinkedHashMap<>(16, 0.75f, true);
        private boolean closed;

        Windows(List<ShardSpec> shards, long windowBytes, int maxWindows) {
            this.shards = shards;
            this.windowBytes = windowBytes;
            this.maxWindows = Math.max(2, maxWindows);
        }

        /** The window of shard {@code s} holding byte {@code offset}, mapped now if it is not yet. */
        synchronized Window window(int s, long offset) {
            if (closed) {
                throw new IllegalStateException("mappings closed");
            }
            ShardSpec spec = shards.get(s);
            long k = (offset - spec.dataOffset()) / windowBytes;
            Long key = ((long) s << 40) | k;
            Window w = windows.get(key);
            if (w != null) {
                return w;
            }
            long start = spec.dataOffset() + k * windowBytes;
            long end = Math.min(start + windowBytes, spec.dataEnd());
            MappedByteBuffer mapped;
            try (FileChannel ch = FileChannel.open(spec.file(), StandardOpenOption.READ)) {
                long size = ch.size();
                if (size != spec.fileSize()) {
                    throw new ActivationDataException(spec.file() + ": file changed while in use: it was " + spec.fileSize()
                            + " bytes when the source was opened and is " + size + " bytes now (" + spec.label()
                            + "); do not modify shards during training, then reopen the source");
                }
                mapped = ch.map(FileChannel.MapMode.READ_ONLY, start, end - start);
            } catch (IOException | RuntimeException e) {
                if (e instanceof ActivationDataException) {
                    throw (ActivationDataException) e;
                }
                throw new ActivationDataException(spec.file() + " (byte " + start + "): cannot map " + (end - start)
                        + " bytes of " + spec.label() + ": " + e, e);
            }
            mapped.order(ByteOrder.LITTLE_ENDIAN);
            w = new Window(mapped, start, end);
            windows.put(key, w);
            if (windows.size() > maxWindows) {
                Iterator<Map.Entry<Long, Window>> it = windows.entrySet().iterator();
                it.next();
                it.remove();
            }
            return w;
        }

        /** Unmaps every window still held; only once no thread copies out of them any more. Idempotent. */
        @Override
        public synchronized void close() {
            closed = true;
            for (Window w : windows.values()) {
                DirectBuffers.free(w.buffer);
            }
            windows.clear();
        }

        /** Drops the windows without unmapping them, for when a thread may still use them. Idempotent. */
        synchronized void abandon() {
            closed = true;
            windows.clear();
        }
    }

    MappedRowReader(List<ShardSpec> shards, Windows windows) {
        this.shards = shards;
        this.windows = windows;
        long maxRow = 0;
        for (ShardSpec s : shards) {
            maxRow = Math.max(maxRow, s.rowBytes());
        }
        this.scratch = ByteBuffer.allocateDirect((int) maxRow).order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * {@inheritDoc} Never checks values: returns false. After copying, checks that the file still has its
     * length: a mapping made before the file was truncated reads the cut part of its last page as zeros.
     */
    @Override
    public boolean read(int s, long shardRow, int count, ByteBuffer dstBytes, FloatBuffer dst, int dstIndex) {
        readRows(s, shardRow, count, dst, dstIndex);
        ShardSpec spec = shards.get(s);
        long size;
        try {
            size = Files.size(spec.file());
        } catch (IOException e) {
            throw new ActivationDataException(spec.file() + ": cannot read the size of " + spec.label()
                    + " after reading row " + shardRow + ": " + e, e);
        }
        if (size != spec.fileSize()) {
            throw new ActivationDataException(spec.file() + ": file changed while in use: it was " + spec.fileSize()
                    + " bytes when the source was opened and is " + size + " bytes now (" + spec.label()
                    + "); do not modify shards during training, then reopen the source");
        }
        return false;
    }

    private void readRows(int s, long shardRow, int count, FloatBuffer dst, int dstIndex) {
        ShardSpec spec = shards.get(s);
        long rowBytes = spec.rowBytes();
        int dIn = spec.dIn();
        long off = spec.dataOffset() + shardRow * rowBytes;
        int out = dstIndex;
        int left = count;
        while (left > 0) {
            Window w = windows.window(s, off);
            int whole = (int) Math.min(left, (w.end - off) / rowBytes);
            if (whole > 0) {
                spec.dtype().decode(w.buffer, (int) (off - w.start), dst, out, whole * spec.dIn());
                off += whole * rowBytes;
                out += whole * dIn;
                left -= whole;
            } else { // the row straddles the window's end: assemble it
                int filled = 0;
                while (filled < rowBytes) {
                    Window x = windows.window(s, off + filled);
                    int n = (int) Math.min(rowBytes - filled, x.end - (off + filled));
                    scratch.put(filled, x.buffer, (int) (off + filled - x.start), n);
                    filled += n;
                }
                spec.dtype().decode(scratch, 0, dst, out, spec.dIn());
                off += rowBytes;
                out += dIn;
                left--;
            }
        }
    }

    /** Frees the scratch buffer; the shared windows are the source's to close. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        DirectBuffers.free(scratch);
    }
}

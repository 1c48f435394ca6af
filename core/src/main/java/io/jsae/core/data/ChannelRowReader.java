package io.jsae.core.data;

import io.jsae.core.io.DType;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads rows of validated shards as float32 into an off-heap block buffer, with positional
 * {@link FileChannel#read(ByteBuffer, long)}. Float32 shards on a little-endian machine are read straight into
 * the destination (the kernel copies from the page cache in large pieces, no page faults); float16 and
 * bfloat16 shards are read into a scratch buffer and converted into the destination in one pass that also
 * finds non-finite values.
 *
 * <p>Keeps at most {@value #MAX_OPEN} channels open, least recently used closed first. Each loading thread
 * owns its own reader: confined to one thread.
 */
final class ChannelRowReader implements AutoCloseable {

    private static final int MAX_OPEN = 32;
    private static final boolean LITTLE_ENDIAN_MACHINE = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    private final List<ShardSpec> shards;
    private final LinkedHashMap<Integer, FileChannel> open = new LinkedHashMap<>(16, 0.75f, true);
    private ByteBuffer scratch;
    private boolean closed;

    ChannelRowReader(List<ShardSpec> shards) {
        this.shards = shards;
    }

    /**
     * Reads {@code count} consecutive rows of shard {@code s}, from row {@code shardRow} on, as float32 in
     * native order into the buffer seen as {@code dstBytes} and {@code dstFloats}, from float index
     * {@code floatIndex} on.
     *
     * @return true if every value read is known to be finite; false if the caller must check them
     * @throws ActivationDataException naming the file and offset if the file changed or cannot be read
     */
    boolean read(int s, long shardRow, int count, ByteBuffer dstBytes, FloatBuffer dstFloats, int floatIndex) {
        ShardSpec spec = shards.get(s);
        long position = spec.dataOffset() + shardRow * spec.rowBytes();
        int bytes = Math.toIntExact(count * spec.rowBytes());
        FileChannel ch = channel(s, spec);
        if (spec.dtype() == DType.F32 && LITTLE_ENDIAN_MACHINE) {
            ByteBuffer view = dstBytes.duplicate();
            view.limit(floatIndex * 4 + bytes).position(floatIndex * 4);
            fill(s, spec, ch, view, position);
            return false;
        }
        ByteBuffer raw = scratch(bytes);
        fill(s, spec, ch, raw, position);
        return !Decoding.toFloat32(spec.dtype(), raw, 0, dstFloats, floatIndex, count * spec.dIn());
    }

    private void fill(int s, ShardSpec spec, FileChannel ch, ByteBuffer dst, long position) {
        long p = position;
        try {
            while (dst.hasRemaining()) {
                int n = ch.read(dst, p);
                if (n < 0) {
                    throw changed(spec, ch);
                }
                p += n;
            }
        } catch (ClosedByInterruptException e) {
            drop(s);
            throw new ActivationDataException(spec.file() + " (byte " + p + "): interrupted while reading " + spec.label(), e);
        } catch (IOException e) {
            drop(s);
            throw new ActivationDataException(spec.file() + " (byte " + p + "): cannot read " + spec.label() + ": " + e, e);
        }
    }

    private static ActivationDataException changed(ShardSpec spec, FileChannel ch) {
        long size;
        try {
            size = ch.size();
        } catch (IOException e) {
            size = -1;
        }
        return new ActivationDataException(spec.file() + ": file changed while in use: it was " + spec.fileSize()
                + " bytes when the source was opened and is " + size + " bytes now (" + spec.label()
                + "); do not modify shards during training, then reopen the source");
    }

    private FileChannel channel(int s, ShardSpec spec) {
        if (closed) {
            throw new IllegalStateException("reader closed");
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
        try {
            if (ch.size() != spec.fileSize()) {
                throw changed(spec, ch);
            }
        } catch (IOException | RuntimeException e) {
            closeQuietly(ch);
            if (e instanceof ActivationDataException) {
                throw (ActivationDataException) e;
            }
            throw new ActivationDataException(spec.file() + ": cannot read the size of " + spec.label() + ": " + e, e);
        }
        open.put(s, ch);
        if (open.size() > MAX_OPEN) {
            Iterator<Map.Entry<Integer, FileChannel>> it = open.entrySet().iterator();
            FileChannel eldest = it.next().getValue();
            it.remove();
            closeQuietly(eldest);
        }
        return ch;
    }

    private void drop(int s) {
        FileChannel ch = open.remove(s);
        if (ch != null) {
            closeQuietly(ch);
        }
    }

    private ByteBuffer scratch(int bytes) {
        if (scratch == null || scratch.capacity() < bytes) {
            DirectBuffers.free(scratch);
            scratch = ByteBuffer.allocateDirect(bytes).order(ByteOrder.LITTLE_ENDIAN);
        }
        scratch.clear().limit(bytes);
        return scratch;
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // read-only: nothing is lost
        }
    }

    /** Closes every channel and frees the scratch buffer; idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (FileChannel ch : open.values()) {
            closeQuietly(ch);
        }
        open.clear();
        DirectBuffers.free(scratch);
        scratch = null;
    }
}

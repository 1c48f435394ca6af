package io.jsae.core.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;

/**
 * The buffered output of the tensor file writers: bytes are gathered in one buffer and written in blocks of
 * {@link #BLOCK_BYTES} that start and end at file offsets that are multiples of {@link #ALIGNMENT} (2 MiB),
 * except the first block, which ends at one, and the last.
 *
 * <p>Why: the page cache keeps a file's written bytes in pieces ("folios") no larger and no better aligned than
 * the writes that made them. On a kernel and file system that keep large folios (Linux 6.x, ext4 and xfs), a
 * memory mapping of a file written in aligned 2 MiB blocks is mapped a 2 MiB page per fault (the kernel aligns
 * file mappings to match); written in unaligned 1 MiB writes it took a fault per 64 KiB or less, 36 ms per GB
 * of the loader's first epoch over fresh shards on a copy that takes 83 (docs/performance.md, "The price of
 * mappings"). Files read from the storage device get large pieces from the kernel's read-ahead either way.
 *
 * <p>Callers append with {@link #room(int)}: it returns the buffer, positioned at the next byte, with at least
 * the asked-for room before its limit (the limit is the end of the current block). The blocks end on aligned
 * offsets as long as every value appended starts at a file offset that is a multiple of its size (as in
 * {@code .npy} and safetensors files written from an offset that is a multiple of 8); otherwise a block ends
 * short of the boundary, and the bytes are still right. After a failed write every call throws: the file is
 * incomplete. The buffer is 4 MiB of direct memory, returned to the garbage collector with the writer. Not
 * thread-safe.
 */
final class BlockWriter {
    /** Bytes of a full block. */
    static final int BLOCK_BYTES = 4 << 20;
    /** File-offset alignment of the block ends: the size of the large pages a mapping can use. */
    static final int ALIGNMENT = 2 << 20;

    private final WritableByteChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(BLOCK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    /** File offset of the buffer's byte 0. */
    private long blockStart;
    /** The failure of a write, after which the file is incomplete and nothing more is written. */
    private IOException failure;

    /**
     * @param channel    where the bytes go, written in order
     * @param fileOffset the file offset of the channel's current position (the first byte appended goes there)
     */
    BlockWriter(WritableByteChannel channel, long fileOffset) {
        this.channel = channel;
        this.blockStart = fileOffset;
        buffer.limit(blockLength(fileOffset));
    }

    /** Bytes from {@code start} to the end of its block: to the next aligned offset at least 2 MiB on, at most 4. */
    static int blockLength(long start) {
        long end = Math.floorDiv(start + BLOCK_BYTES, ALIGNMENT) * ALIGNMENT;
        return (int) (end - start);
    }

    /**
     * The buffer to append to, positioned at the next byte, with at least {@code bytes} of room before its limit;
     * writes the full block first if it has less. Advance its position past what you append.
     *
     * @param bytes room needed, 1 to {@value #ALIGNMENT}
     * @throws IOException if writing the full block fails
     */
    ByteBuffer room(int bytes) throws IOException {
        checkNotFailed();
        if (bytes < 1 || bytes > ALIGNMENT) {
            throw new IllegalArgumentException("room for 1 to " + ALIGNMENT + " bytes, not " + bytes);
        }
        if (buffer.remaining() < bytes) {
            flush();
        }
        return buffer;
    }

    /** Appends all remaining bytes of {@code src}. */
    void put(ByteBuffer src) throws IOException {
        while (src.hasRemaining()) {
            ByteBuffer dst = room(1);
            int n = Math.min(dst.remaining(), src.remaining());
            dst.put(src.slice(src.position(), n));
            src.position(src.position() + n);
        }
    }

    /**
     * Writes what the buffer holds; the next block starts where it ended. Called when a block is full and, with the
     * last bytes, before the file is forced or closed.
     *
     * @throws IOException if writing fails
     */
    void flush() throws IOException {
        checkNotFailed();
        int n = buffer.position();
        buffer.flip();
        try {
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        } catch (IOException e) {
            failure = e; // part of the block may be in the file: writing it again would repeat those bytes
            throw e;
        }
        blockStart += n;
        buffer.clear().limit(blockLength(blockStart));
    }

    /** @return the failure of an earlier write, or null */
    IOException failure() {
        return failure;
    }

    private void checkNotFailed() throws IOException {
        if (failure != null) {
            throw new IOException("an earlier write to this file failed: " + failure.getMessage(), failure);
        }
    }
}

package io.jsae.core.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The tensor writers' block output: every byte once, in order, in blocks that end on 2 MiB file offsets. */
class BlockWriterTest {
    /** A channel that keeps the bytes and the length of every write, taking at most 3 MiB per call. */
    private static final class RecordingChannel implements WritableByteChannel {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final List<Integer> writes = new ArrayList<>();
        int pendingWrite; // bytes of the block being written, over partial write calls
        long failAfter = Long.MAX_VALUE; // a write call that would pass this many bytes in all fails

        @Override
        public int write(ByteBuffer src) throws IOException {
            int n = Math.min(src.remaining(), 3 << 20); // partial writes, as a channel may make
            if (bytes.size() + n > failAfter) {
                throw new IOException("device full");
            }
            byte[] b = new byte[n];
            src.get(b);
            bytes.write(b, 0, n);
            pendingWrite += n;
            if (!src.hasRemaining()) {
                writes.add(pendingWrite);
                pendingWrite = 0;
            }
            return n;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
        }
    }

    @ParameterizedTest(name = "first byte at file offset {0}")
    @ValueSource(longs = {0, 128, (2 << 20) - 8, 2 << 20, (7L << 30) + 4096})
    void everyByteInOrderInAlignedBlocks(long fileOffset) throws IOException {
        RecordingChannel channel = new RecordingChannel();
        long total = writeRandomly(new BlockWriter(channel, fileOffset), fileOffset, channel);
        long end = fileOffset;
        List<Integer> writes = channel.writes;
        for (int i = 0; i < writes.size(); i++) {
            int n = writes.get(i);
            end += n;
            assertTrue(n <= BlockWriter.BLOCK_BYTES, "write " + i + " of " + n + " bytes is over a block");
            if (i < writes.size() - 1) {
                assertEquals(0, end % BlockWriter.ALIGNMENT, "write " + i + " ends at " + end);
                assertTrue(n >= BlockWriter.ALIGNMENT, "write " + i + " of " + n + " bytes is under 2 MiB");
            }
        }
        assertEquals(fileOffset + total, end);
    }

    /** From an offset that no value size divides, blocks cannot end on the boundaries, but every byte is right. */
    @ParameterizedTest(name = "first byte at file offset {0}")
    @ValueSource(longs = {1, 2, 3, (2 << 20) - 2})
    void everyByteInOrderFromAnOddOffset(long fileOffset) throws IOException {
        RecordingChannel channel = new RecordingChannel();
        long total = writeRandomly(new BlockWriter(channel, fileOffset), fileOffset, channel);
        assertEquals(total, channel.writes.stream().mapToLong(Integer::longValue).sum());
    }

    /**
     * Appends about 21 MiB as the writers do (puts of whole float32 values, as of a header padded to 4 bytes, and
     * values through room(): float32 ones, then 16-bit ones, as safetensors orders its tensors), flushes, and
     * checks that the channel got exactly those bytes in order.
     *
     * @return the bytes appended
     */
    private static long writeRandomly(BlockWriter out, long seed, RecordingChannel channel) throws IOException {
        SplittableRandom rnd = new SplittableRandom(seed);
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        long total = 0;
        while (total < (21 << 20)) {
            if (total < (14 << 20) && rnd.nextBoolean()) {
                byte[] b = new byte[4 * rnd.nextInt(1, 3 << 18)];
                rnd.nextBytes(b);
                out.put(ByteBuffer.wrap(b));
                expected.write(b, 0, b.length);
                total += b.length;
            } else {
                int es = total < (14 << 20) ? 4 : 2;
                ByteBuffer block = out.room(es);
                int n = Math.min(block.remaining() / es, rnd.nextInt(1, 1 << 18)) * es;
                byte[] b = new byte[n];
                rnd.nextBytes(b);
                block.put(b);
                expected.write(b, 0, n);
                total += n;
            }
        }
        out.flush();
        assertArrayEquals(expected.toByteArray(), channel.bytes.toByteArray(), "the bytes written");
        return total;
    }

    @Test
    void afterAFailedWriteNothingMoreIsWritten() throws IOException {
        RecordingChannel channel = new RecordingChannel();
        channel.failAfter = (7 << 20) + (1 << 19); // the second block fails after 3 of its 4 MiB
        BlockWriter out = new BlockWriter(channel, 0);
        byte[] b = new byte[8 << 20];
        IOException first = assertThrows(IOException.class, () -> {
            out.put(ByteBuffer.wrap(b));
            out.flush();
        });
        long inFile = channel.bytes.size();
        assertEquals(7 << 20, inFile);
        assertSame(first, out.failure());
        for (Executable call : new Executable[] {out::flush, () -> out.room(4), () -> out.put(ByteBuffer.wrap(b))}) {
            IOException e = assertThrows(IOException.class, call);
            assertTrue(e.getMessage().startsWith("an earlier write to this file failed"), e.getMessage());
        }
        assertEquals(inFile, channel.bytes.size(), "no byte is written twice, nor after the failure");
    }

    @ParameterizedTest(name = "block from {0}")
    @ValueSource(longs = {0, 1, 128, (2 << 20) - 1, 2 << 20, (3 << 20) + 7})
    void aBlockEndsAtTheNextAlignedOffsetTwoToFourMiBOn(long start) {
        long end = start + BlockWriter.blockLength(start);
        assertEquals(0, end % BlockWriter.ALIGNMENT, "end " + end);
        assertTrue(end - start >= BlockWriter.ALIGNMENT && end - start <= BlockWriter.BLOCK_BYTES, "length " + (end - start));
    }
}

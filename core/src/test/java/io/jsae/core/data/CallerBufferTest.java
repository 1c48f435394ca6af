package io.jsae.core.data;

import io.jsae.core.io.DType;
import io.jsae.core.io.NpyWriter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.function.BiConsumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * The caller's buffer as the reading threads see it: byte order, slices with an offset and a position, and the
 * promise that no thread writes into it once a read, a cancel or a close has returned or thrown (an interrupted
 * caller, a close from another thread). The last are races: each runs a dozen times on a 16 MiB source with three
 * reading threads and fails if any row changes after the call came back.
 */
class CallerBufferTest {

    @TempDir
    Path dir;

    private static final int D_IN = 3;
    private static final int[] SHARDS = {23, 17, 1, 31};

    private static List<ShardSpec> specs(List<Path> files) throws java.io.IOException {
        List<ShardSpec> out = new java.util.ArrayList<>();
        for (Path p : files) {
            io.jsae.core.io.NpyHeader h = io.jsae.core.io.NpyFile.readHeader(p);
            out.add(new ShardSpec(p, p.getFileName().toString(), h.dtype(), h.rows(), h.cols(), h.dataOffset(),
                    java.nio.file.Files.size(p)));
        }
        return out;
    }

    /** In order, copying out of mappings or with positional reads. */
    private static LoaderOptions opts(int threads, boolean mapped) {
        return LoaderOptions.builder().readThreads(threads).noShuffle().memoryMapped(mapped).build();
    }

    @ParameterizedTest(name = "memory mapped {0}")
    @ValueSource(booleans = {true, false})
    void aDirectFloatBufferInTheOtherByteOrderGetsFloat32RowsRight(boolean mapped) throws Exception {
        List<Path> files = TestShards.npy(dir, D_IN, SHARDS);
        try (NpyActivationSource src = NpyActivationSource.builder().files(files).options(opts(0, mapped)).build()) {
            assertFiveRowsIntoABigEndianBuffer(src);
        }
    }

    @ParameterizedTest(name = "memory mapped {0}")
    @ValueSource(booleans = {true, false})
    void aDirectFloatBufferInTheOtherByteOrderGetsFloat16RowsRight(boolean mapped) throws Exception {
        List<Path> files = TestShards.safetensors(dir, DType.F16, D_IN, SHARDS);
        try (SafetensorsActivationSource src = SafetensorsActivationSource.builder().files(files).tensor("acts")
                .options(opts(0, mapped)).build()) {
            assertFiveRowsIntoABigEndianBuffer(src);
        }
    }

    /** Reads the first five rows into a direct float buffer in the JDK's default order (big-endian) and checks them. */
    private static void assertFiveRowsIntoABigEndianBuffer(ActivationSource src) {
        FloatBuffer be = ByteBuffer.allocateDirect(5 * D_IN * 4).asFloatBuffer();
        assertEquals(ByteOrder.BIG_ENDIAN, be.order());
        assertEquals(5, src.read(be, 5));
        for (int r = 0; r < 5; r++) {
            for (int c = 0; c < D_IN; c++) {
                assertEquals(TestShards.value(r, c), be.get(r * D_IN + c), "row " + r + " col " + c);
            }
        }
    }

    @ParameterizedTest(name = "memory mapped {0}")
    @ValueSource(booleans = {true, false})
    void aSliceWithAnOffsetAndAPositionGetsItsRowsAndNothingAround(boolean mapped) throws Exception {
        List<Path> files = TestShards.npy(dir, D_IN, SHARDS);
        for (int threads : new int[]{0, 2}) {
            try (ShardedStream src = new ShardedStream(specs(files), LoaderOptions.builder().readThreads(threads).chunkRows(4).shuffle(11).shuffleBufferRows(9).memoryMapped(mapped).build(), 36)) {
                ByteBuffer whole = ByteBuffer.allocateDirect(16 + 20 * D_IN * 4 + 16).order(ByteOrder.nativeOrder());
                for (int i = 0; i < whole.capacity(); i++) {
                    whole.put(i, (byte) 0x55);
                }
                FloatBuffer f = whole.position(16).slice().order(ByteOrder.nativeOrder()).asFloatBuffer();
                f.limit(20 * D_IN);
                assertNotNull(DirectBuffers.bytesOf(f));
                f.position(5);
                src.readAhead(f, 4);
                assertEquals(4, src.read(f, 4));
                assertEquals(5 + 4 * D_IN, f.position());
                java.util.Set<Long> seen = new java.util.HashSet<>();
                for (int r = 0; r < 4; r++) {
                    long g = (long) (f.get(5 + r * D_IN) / 8);
                    seen.add(g);
                    for (int c = 0; c < D_IN; c++) {
                        assertEquals(TestShards.value(g, c), f.get(5 + r * D_IN + c));
                    }
                }
                assertEquals(4, seen.size());
                for (int i = 0; i < 16 + 5 * 4; i++) {
                    assertEquals((byte) 0x55, whole.get(i), "byte " + i + " before the rows");
                }
                for (int i = 16 + (5 + 4 * D_IN) * 4; i < whole.capacity(); i++) {
                    assertEquals((byte) 0x55, whole.get(i), "byte " + i + " after the rows");
                }
            }
        }
    }

    @ParameterizedTest(name = "memory mapped {0}")
    @ValueSource(booleans = {true, false})
    void storedRowsGoIntoASlicedByteBufferAtAnOddPosition(boolean mapped) throws Exception {
        List<Path> files = TestShards.safetensors(dir, DType.F16, D_IN, SHARDS);
        try (SafetensorsActivationSource src = SafetensorsActivationSource.builder().files(files).tensor("acts")
                .options(opts(2, mapped)).build()) {
            ByteBuffer whole = ByteBuffer.allocateDirect(7 + 10 * D_IN * 2 + 8);
            ByteBuffer b = whole.position(7).slice();
            b.position(3);
            src.readAheadStored(b, 4);
            assertEquals(4, src.readStored(b, 4));
            assertEquals(3 + 4 * D_IN * 2, b.position());
            for (int r = 0; r < 4; r++) {
                for (int c = 0; c < D_IN; c++) {
                    assertEquals(TestShards.value(r, c), Decoding.storedValue(DType.F16, b, 3 + r * D_IN * 2, c));
                }
            }
        }
    }

    @ParameterizedTest(name = "memory mapped {0}")
    @ValueSource(booleans = {true, false})
    void anInterruptedReadLeavesNoThreadWritingIntoTheBuffer(boolean mapped) throws Exception {
        assertNoWriteAfter(mapped, (src, buf) -> {
            Thread.currentThread().interrupt();
            src.read(buf, buf.capacity() / BIG_D_IN);
        });
    }

    @ParameterizedTest(name = "memory mapped {0}")
    @ValueSource(booleans = {true, false})
    void anInterruptedCancelLeavesNoThreadWritingIntoTheBuffer(boolean mapped) throws Exception {
        assertNoWriteAfter(mapped, (src, buf) -> {
            src.readAhead(buf, buf.capacity() / BIG_D_IN);
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
            Thread.currentThread().interrupt();
            src.cancelReadAhead();
        });
    }

    @ParameterizedTest(name = "memory mapped {0}")
    @ValueSource(booleans = {true, false})
    void aCloseDuringAReadLeavesNoThreadWritingIntoTheBufferOnceTheReadThrows(boolean mapped) throws Exception {
        assertNoWriteAfter(mapped, (src, buf) -> {
            Thread closer = new Thread(() -> {
                java.util.concurrent.locks.LockSupport.parkNanos(500_000);
                src.close();
            });
            closer.start();
            src.read(buf, buf.capacity() / BIG_D_IN);
        });
    }

    private static final int BIG_D_IN = 1024;
    private static final int BIG_ROWS = 4096; // 16 MiB, pieces of 256 rows

    /**
     * Runs {@code call} on a fresh thread a dozen times, each with a new source (three reading threads) and a buffer
     * of -1s, and checks that no row of the buffer changes after the call returned or threw.
     */
    private void assertNoWriteAfter(boolean mapped, BiConsumer<NpyActivationSource, FloatBuffer> call) throws Exception {
        Path p = dir.resolve("big.npy");
        if (!java.nio.file.Files.exists(p)) {
            float[] v = new float[BIG_ROWS * BIG_D_IN];
            for (int i = 0; i < v.length; i++) {
                v[i] = i;
            }
            NpyWriter.write(p, v, BIG_ROWS, BIG_D_IN);
        }
        for (int attempt = 0; attempt < 12; attempt++) {
            try (NpyActivationSource src = NpyActivationSource.builder().files(List.of(p)).options(opts(3, mapped)).build()) {
                FloatBuffer buf = ByteBuffer.allocateDirect(BIG_ROWS * BIG_D_IN * 4).order(ByteOrder.nativeOrder())
                        .asFloatBuffer();
                for (int i = 0; i < buf.capacity(); i += BIG_D_IN) {
                    buf.put(i, -1f);
                }
                float[] after = new float[BIG_ROWS];
                Thread t = new Thread(() -> {
                    try {
                        call.accept(src, buf);
                    } catch (RuntimeException expected) {
                        // interrupted or closed: what matters is what happens to the buffer afterwards
                    }
                    for (int r = 0; r < BIG_ROWS; r++) {
                        after[r] = buf.get(r * BIG_D_IN);
                    }
                });
                t.start();
                t.join();
                Thread.sleep(50); // a piece takes well under this
                for (int r = 0; r < BIG_ROWS; r++) {
                    assertEquals(after[r], buf.get(r * BIG_D_IN), "row " + r + " written after the call came back"
                            + " (attempt " + attempt + ")");
                }
            }
        }
    }
}

package io.jsae.core.data;

import io.jsae.core.io.DType;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Memory for batches: its size, views, alignment, page-size request, release, and the loader reading into it. */
class BatchBufferTest {

    @TempDir
    Path dir;

    private static final int D_IN = 5;
    private static final int[] SHARDS = {40, 9, 33};

    @Test
    void hasTheSizeAskedForAndTheSameViewsOnEveryCall() {
        try (BatchBuffer b = BatchBuffer.forRows(7, 3)) {
            assertEquals(7 * 3 * 4, b.capacity());
            ByteBuffer bytes = b.bytes();
            FloatBuffer floats = b.floats();
            assertSame(bytes, b.bytes());
            assertSame(floats, b.floats());
            assertTrue(bytes.isDirect());
            assertEquals(ByteOrder.nativeOrder(), bytes.order());
            assertEquals(ByteOrder.nativeOrder(), floats.order());
            assertEquals(84, bytes.capacity());
            assertEquals(21, floats.capacity());
            floats.put(20, 2.5f);
            assertEquals(2.5f, bytes.getFloat(80)); // one memory behind both views
        }
    }

    @Test
    void startsOnATwoMebibyteBoundaryAndHoldsWhatIsWrittenToEveryPage() {
        long size = (5L << 20) + 12;
        try (BatchBuffer b = BatchBuffer.allocate(size)) {
            if (NativeDecoding.available()) {
                long address = new Pointer(b.bytes()).address();
                assertEquals(0, address % (2L << 20), "address " + Long.toHexString(address));
            }
            ByteBuffer bytes = b.bytes();
            for (long i = 0; i < size; i += 4093) {
                bytes.put((int) i, (byte) (i * 31));
            }
            bytes.put((int) size - 1, (byte) 77);
            for (long i = 0; i < size - 1; i += 4093) {
                assertEquals((byte) (i * 31), bytes.get((int) i), "byte " + i);
            }
            assertEquals(77, bytes.get((int) size - 1));
        }
    }

    @Test
    void asksForTwoMebibytePagesWhereLinuxHasTransparentHugePages() throws Exception {
        Path setting = Path.of("/sys/kernel/mm/transparent_hugepage/enabled");
        boolean offered = NativeDecoding.available() && Files.isReadable(setting)
                && !Files.readString(setting).contains("[never]");
        try (BatchBuffer b = BatchBuffer.allocate(4L << 20)) {
            if (offered) {
                assertTrue(b.hugePages(), b.toString());
                assertTrue(b.toString().contains("2 MiB pages"), b.toString());
            } else if (!NativeDecoding.available()) {
                assertFalse(b.hugePages());
            }
        }
    }

    @Test
    void refusesSizesABufferCannotHold() {
        assertThrows(IllegalArgumentException.class, () -> BatchBuffer.allocate(0));
        assertThrows(IllegalArgumentException.class, () -> BatchBuffer.allocate(-8));
        assertThrows(IllegalArgumentException.class, () -> BatchBuffer.allocate(Integer.MAX_VALUE + 1L));
        assertThrows(IllegalArgumentException.class, () -> BatchBuffer.forRows(0, 4));
        assertThrows(IllegalArgumentException.class, () -> BatchBuffer.forRows(4, -1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BatchBuffer.forRows(1 << 16, 1 << 14)); // 4 GiB
        assertTrue(e.getMessage().contains("4294967296"), e.getMessage());
    }

    @Test
    void refusesItsViewsOnceClosedAndClosesTwice() {
        BatchBuffer b = BatchBuffer.allocate(4096);
        b.close();
        assertThrows(IllegalStateException.class, b::bytes);
        assertThrows(IllegalStateException.class, b::floats);
        b.close();
        assertTrue(b.toString().contains("closed"), b.toString());
    }

    @ParameterizedTest(name = "memory mapped {0}")
    @ValueSource(booleans = {true, false})
    void theLoaderReadsEveryRowIntoItWithReadAhead(boolean mapped) throws Exception {
        List<Path> files = TestShards.npy(dir, D_IN, SHARDS);
        int batch = 16;
        LoaderOptions options = LoaderOptions.builder().readThreads(2).shuffle(3).shuffleBufferRows(16).chunkRows(4)
                .memoryMapped(mapped).build();
        try (BatchBuffer one = BatchBuffer.forRows(batch, D_IN); BatchBuffer two = BatchBuffer.forRows(batch, D_IN)) {
            FloatBuffer[] bufs = {one.floats(), two.floats()};
            float[] expected = readAllIntoHeap(files, options, batch);
            float[] got = new float[expected.length];
            try (NpyActivationSource src = NpyActivationSource.builder().files(files).options(options).build()) {
                int at = 0;
                int b = 0;
                int n;
                while ((n = src.read(bufs[b].clear(), batch)) > 0) {
                    src.readAhead(bufs[b ^ 1].clear(), batch);
                    bufs[b].flip().get(got, at, n * D_IN);
                    at += n * D_IN;
                    b ^= 1;
                }
                src.cancelReadAhead();
                assertEquals(expected.length, at);
            }
            assertEquals(java.util.Arrays.toString(expected), java.util.Arrays.toString(got));
        }
    }

    /** The same epoch read into a heap buffer, without read-ahead: the rows and their order to expect. */
    private static float[] readAllIntoHeap(List<Path> files, LoaderOptions options, int batch) {
        int rows = java.util.Arrays.stream(SHARDS).sum();
        float[] all = new float[rows * D_IN];
        try (NpyActivationSource src = NpyActivationSource.builder().files(files).options(options).build()) {
            FloatBuffer heap = FloatBuffer.allocate(batch * D_IN);
            int at = 0;
            int n;
            while ((n = src.read(heap.clear(), batch)) > 0) {
                heap.flip().get(all, at, n * D_IN);
                at += n * D_IN;
            }
            assertEquals(all.length, at);
        }
        return all;
    }

    @Test
    void storedHalfRowsGoInAsStored() throws Exception {
        List<Path> files = TestShards.safetensors(dir, DType.BF16, D_IN, SHARDS);
        try (BatchBuffer b = BatchBuffer.allocate(8L * D_IN * 2);
             SafetensorsActivationSource src = SafetensorsActivationSource.builder().files(files).tensor("acts")
                     .options(LoaderOptions.builder().noShuffle().build()).build()) {
            assertEquals(8, src.readStored(b.bytes().clear(), 8));
            for (int r = 0; r < 8; r++) {
                for (int c = 0; c < D_IN; c++) {
                    assertEquals(TestShards.value(r, c), Decoding.storedValue(DType.BF16, b.bytes(), (r * D_IN) * 2, c));
                }
            }
        }
    }
}

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
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link DirectBuffers#allocateBatch}: size and order, alignment, the request for 2 MiB pages, release by
 * {@link DirectBuffers#free} and by the garbage collector (not while a view is reachable), and the loader reading
 * into such buffers.
 */
class BatchAllocationTest {

    @TempDir
    Path dir;

    private static final int D_IN = 5;
    private static final int[] SHARDS = {40, 9, 33};
    private static final long HUGE = 2L << 20;

    /** Where the native allocation runs and Linux can be asked: mappings are then ours to check. */
    private static boolean nativeOnLinux() throws Exception {
        return NativeDecoding.available() && ProcessMappings.hugePagesOffered();
    }

    @Test
    void isADirectBufferOfTheSizeAskedForInTheMachinesOrderStartingOnAPage() {
        ByteBuffer b = DirectBuffers.allocateBatch(84);
        assertTrue(b.isDirect());
        assertEquals(ByteOrder.nativeOrder(), b.order());
        assertEquals(0, b.position());
        assertEquals(84, b.limit());
        assertEquals(84, b.capacity());
        assertEquals(0, new Pointer(b).address() % 4096);
        FloatBuffer f = b.asFloatBuffer();
        assertEquals(21, f.capacity());
        f.put(20, 2.5f);
        assertEquals(2.5f, b.getFloat(80));
        DirectBuffers.free(b);
    }

    @Test
    void startsOnTwoMebibytesAsksForHugePagesAndHoldsWhatIsWrittenToEveryPage() throws Exception {
        assumeTrue(nativeOnLinux(), "not the native allocation on Linux with transparent huge pages");
        int size = (5 << 20) + 12;
        ByteBuffer b = DirectBuffers.allocateBatch(size);
        long address = new Pointer(b).address();
        assertEquals(0, address % HUGE, "address 0x" + Long.toHexString(address));
        String flags = ProcessMappings.flagsOfMappingHolding(address);
        assertNotNull(flags);
        assertTrue((" " + flags + " ").contains(" hg "), "flags: " + flags);
        for (int i = 0; i < size; i += 4093) {
            b.put(i, (byte) (i * 31));
        }
        b.put(size - 1, (byte) 77);
        for (int i = 0; i < size - 1; i += 4093) {
            assertEquals((byte) (i * 31), b.get(i), "byte " + i);
        }
        assertEquals(77, b.get(size - 1));
        DirectBuffers.free(b);
        assertFalse(DirectBuffers.batchLive(address), "still held after free");
    }

    @Test
    void freeReleasesOnlyTheBufferItWasGivenNotALaterOneAtTheSameAddress() {
        assumeTrue(NativeDecoding.available(), "not the native allocation");
        int size = 3 << 20;
        ByteBuffer first = DirectBuffers.allocateBatch(size);
        ByteBuffer view = first.duplicate();
        DirectBuffers.free(view); // a view is not the buffer: nothing is released
        assertTrue(DirectBuffers.batchLive(new Pointer(first).address()));
        DirectBuffers.free(first);
        ByteBuffer second = DirectBuffers.allocateBatch(size); // often at the address the first had
        long address = new Pointer(second).address();
        DirectBuffers.free(first); // freed already: must leave the second alone, wherever it lies
        assertTrue(DirectBuffers.batchLive(address), "a stale free released a later buffer");
        second.putLong(size - 8, 5);
        assertEquals(5, second.getLong(size - 8));
        DirectBuffers.free(second);
        assertFalse(DirectBuffers.batchLive(address));
    }

    @Test
    void theGarbageCollectorFreesItOnceNoViewIsReachableAndNotBefore() throws Exception {
        assumeTrue(NativeDecoding.available(), "not the native allocation");
        ByteBuffer b = DirectBuffers.allocateBatch(3 << 20);
        long address = new Pointer(b).address();
        FloatBuffer view = b.asFloatBuffer();
        view.put(7, 42f);
        b = null;
        collectAndWait(2_000, () -> false);
        assertTrue(DirectBuffers.batchLive(address), "released while a view was reachable");
        assertEquals(42f, view.get(7));
        view = null;
        assertTrue(collectAndWait(20_000, () -> !DirectBuffers.batchLive(address)),
                "still held after its buffer and views became unreachable");
    }

    /** Runs collections until {@code done} holds or {@code millis} pass; returns whether it held. */
    private static boolean collectAndWait(long millis, Check done) throws Exception {
        long end = System.nanoTime() + millis * 1_000_000L;
        while (System.nanoTime() < end) {
            System.gc();
            Thread.sleep(20);
            if (done.holds()) {
                return true;
            }
        }
        return done.holds();
    }

    private interface Check {
        boolean holds() throws Exception;
    }

    @Test
    void refusesSizesBelowOne() {
        assertThrows(IllegalArgumentException.class, () -> DirectBuffers.allocateBatch(0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DirectBuffers.allocateBatch(-8));
        assertTrue(e.getMessage().contains("-8"), e.getMessage());
    }

    @ParameterizedTest(name = "memory mapped {0}")
    @ValueSource(booleans = {true, false})
    void theLoaderReadsEveryRowIntoTwoBatchBuffersWithReadAhead(boolean mapped) throws Exception {
        List<Path> files = TestShards.npy(dir, D_IN, SHARDS);
        int batch = 16;
        LoaderOptions options = LoaderOptions.builder().readThreads(2).shuffle(3).shuffleBufferRows(16).chunkRows(4)
                .memoryMapped(mapped).build();
        ByteBuffer[] memory = {DirectBuffers.allocateBatch(batch * D_IN * 4), DirectBuffers.allocateBatch(batch * D_IN * 4)};
        FloatBuffer[] bufs = {memory[0].asFloatBuffer(), memory[1].asFloatBuffer()};
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
            assertEquals(expected.length, at);
        }
        assertArrayEquals(expected, got);
        assertFalse(Arrays.equals(expected, TestShards.rows(0, expected.length / D_IN, D_IN)), "not shuffled");
    }

    /** The same epoch read into a heap buffer, without read-ahead: the rows and their order to expect. */
    private static float[] readAllIntoHeap(List<Path> files, LoaderOptions options, int batch) {
        float[] all = new float[Arrays.stream(SHARDS).sum() * D_IN];
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
        ByteBuffer b = DirectBuffers.allocateBatch(8 * D_IN * 2);
        try (SafetensorsActivationSource src = SafetensorsActivationSource.builder().files(files).tensor("acts")
                .options(LoaderOptions.builder().noShuffle().build()).build()) {
            assertEquals(8, src.readStored(b.clear(), 8));
            for (int r = 0; r < 8; r++) {
                for (int c = 0; c < D_IN; c++) {
                    assertEquals(TestShards.value(r, c), Decoding.storedValue(DType.BF16, b, r * D_IN * 2, c));
                }
            }
        }
    }
}

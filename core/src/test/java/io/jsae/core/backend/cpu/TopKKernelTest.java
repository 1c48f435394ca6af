package io.jsae.core.backend.cpu;

import io.jsae.core.TestBackends;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * The native per-row top-k against a sort (value descending, lower index first), on rows with many ties,
 * widths that leave a partial last block, and both the bounded path (no mask, k small next to the blocks)
 * and the masked one (AuxK's dead latents).
 */
class TopKKernelTest {

    @Test
    void matchesASortWithTiesAndMasks() {
        TestBackends.cpu(); // loads the kernels, or skips
        SplittableRandom rnd = new SplittableRandom(System.nanoTime());
        for (int dSae : new int[] {64, 1000, 4096 + 17}) {
            for (int k : new int[] {1, 3, 8, 31}) {
                for (boolean masked : new boolean[] {false, true}) {
                    check(rnd, 6, dSae, k, masked);
                }
            }
        }
    }

    private static void check(SplittableRandom rnd, int rows, int dSae, int k, boolean masked) {
        float[] pre = new float[rows * dSae];
        for (int i = 0; i < pre.length; i++) {
            // few distinct levels, so ties at the k-th value are common; some -0.0 and +0.0
            pre[i] = rnd.nextInt(4) == 0 ? (float) rnd.nextGaussian() : (rnd.nextInt(7) - 3) * 0.5f;
        }
        byte[] allowed = new byte[dSae];
        int allowedCount = 0;
        for (int j = 0; j < dSae; j++) {
            allowed[j] = (byte) (!masked || rnd.nextInt(3) == 0 || j < k ? 1 : 0);
            allowedCount += allowed[j];
        }
        try (FloatPointer p = new FloatPointer(pre); IntPointer idx = new IntPointer((long) rows * k);
             BytePointer mask = new BytePointer(allowed)) {
            CpuKernels.jsae_topk_rows(p, dSae, k, masked ? mask : null, idx, 0, rows);
            for (int b = 0; b < rows; b++) {
                final int row = b;
                int[] expected = IntStream.range(0, dSae).filter(j -> allowed[j] != 0).boxed()
                        .sorted((x, y) -> {
                            float vx = pre[row * dSae + x];
                            float vy = pre[row * dSae + y];
                            int c = Integer.compareUnsigned(CpuSae.key(vy), CpuSae.key(vx));
                            return c != 0 ? c : Integer.compare(x, y);
                        })
                        .limit(k).mapToInt(Integer::intValue).sorted().toArray();
                int[] actual = new int[k];
                idx.position((long) b * k).get(actual);
                idx.position(0);
                assertArrayEquals(expected, actual, "row " + b + ", dSae " + dSae + ", k " + k + ", masked " + masked
                        + " (" + allowedCount + " allowed)");
            }
        }
    }
}

package io.jsae.benchmarks;

import io.jsae.core.backend.cpu.TopKRowsKernel;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sides each benchmark compares do the same work at small shapes, so that a ratio between them means
 * something; and every loader variant reads its whole shard set.
 */
class BenchmarkSidesAgreeTest {

    @Test
    void topKImplementationsSelectTheSameIndices() {
        TopKRowsKernel.load();
        int rows = 64;
        int dSae = 4096;
        for (int k : new int[] {32, 128}) {
            torch.manual_seed(k);
            try (Tensor pre = torch.randn(rows, dSae); IntPointer idx = new IntPointer((long) rows * k)) {
                TopKRowsKernel.select(pre.data_ptr_float(), dSae, k, idx, 0, rows);
                int[] jsae = new int[rows * k];
                idx.get(jsae);
                float[] values = new float[rows * dSae];
                pre.data_ptr_float().get(values);
                int[] heap = new int[rows * k];
                TopKSelectionBenchmark.selectWithHeap(values, rows, dSae, k, heap);
                assertArrayEquals(heap, jsae, "jsae against the Java heap, k " + k);
                assertArrayEquals(heap, TopKSelectionBenchmark.selectWithTorch(pre, k), "torch, k " + k);
            }
        }
    }

    @Test
    void encoderSidesReconstructWithTheSameError() {
        int dIn = 64;
        int dSae = 512;
        int k = 8;
        int batch = 32;
        try (RandomBatches xs = new RandomBatches(2, batch, dIn);
             TorchBaselineSae torchSae = new TorchBaselineSae(dIn, dSae, k);
             JsaeCpuSae jsae = new JsaeCpuSae(dIn, dSae, k, batch, 2)) {
            for (int i = 0; i < xs.count(); i++) {
                double expected = torchSae.forward(xs.tensor(i));
                double actual = jsae.evaluate(xs.buffer(i));
                assertTrue(expected > 0, "the error is positive");
                assertEquals(expected, actual, 1e-4 * expected, "batch " + i);
            }
            double before = torchSae.forward(xs.tensor(0));
            torchSae.trainStep(xs.tensor(0));
            jsae.trainStep(xs.buffer(0));
            assertTrue(torchSae.forward(xs.tensor(0)) < before, "a baseline step lowers the error on its batch");
            assertTrue(jsae.evaluate(xs.buffer(0)) < before, "a jsae step lowers the error on its batch");
        }
    }

    @Test
    void everyLoaderVariantReadsTheWholeSetTwice() throws IOException {
        for (String dtype : new String[] {"F32", "F16"}) {
            for (String order : new String[] {"inOrder", "shuffled"}) {
                double[] checksums = new double[2];
                for (String reader : new String[] {"jsae", "plain"}) {
                    LoaderBenchmark b = new LoaderBenchmark();
                    b.mib = 1;
                    b.dtype = dtype;
                    b.order = order;
                    b.reader = reader;
                    b.setUp();
                    try {
                        LoaderBenchmark.Rates rates = new LoaderBenchmark.Rates();
                        double first = b.pass(rates);
                        double second = b.pass(rates);
                        if ("inOrder".equals(order)) {
                            assertEquals(first, second, "an in-order pass reads the same values each time");
                        }
                        checksums["jsae".equals(reader) ? 0 : 1] = first;
                    } finally {
                        b.tearDown();
                    }
                }
                assertTrue(checksums[0] != 0 && checksums[1] != 0, dtype + " " + order + " read data");
            }
        }
    }
}

package io.jsae.core;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class SparseAutoencoderTest {

    private static SparseAutoencoder random(Activation activation, int dIn, int dSae, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] wEnc = new float[dSae * dIn];
        float[] wDec = new float[dSae * dIn];
        float[] bEnc = new float[dSae];
        float[] bDec = new float[dIn];
        for (int i = 0; i < wEnc.length; i++) {
            wEnc[i] = (float) rnd.nextGaussian();
            wDec[i] = (float) rnd.nextGaussian();
        }
        for (int j = 0; j < dSae; j++) {
            bEnc[j] = (float) (0.1 * rnd.nextGaussian());
        }
        SaeConfig config = SaeConfig.builder(dIn, dSae).activation(activation).build();
        return new SparseAutoencoder(config, new ParameterTensors(dIn, dSae, wEnc, bEnc, wDec, bDec), null, Double.NaN,
                0.5);
    }

    @Test
    void encodingInParallelGivesTheCodesOfOneEncodeBitwise() {
        for (Activation a : new Activation[] {Activation.topK(5), Activation.relu(0.01)}) {
            SparseAutoencoder sae = random(a, 19, 70, 3);
            SplittableRandom rnd = new SplittableRandom(4);
            for (int rows : new int[] {0, 1, 31, 32, 33, 101}) { // around the 32-row blocks
                float[][] x = new float[rows][19];
                for (float[] r : x) {
                    for (int d = 0; d < r.length; d++) {
                        r[d] = (float) rnd.nextGaussian();
                    }
                }
                SparseCodes one = sae.encode(x);
                SparseCodes parallel = sae.encodeInParallel(x);
                assertEquals(rows, parallel.rows(), a + ", " + rows + " rows");
                assertArrayEquals(one.rowStart(), parallel.rowStart(), a + ", " + rows + " rows");
                assertArrayEquals(one.indices(), parallel.indices(), a + ", " + rows + " rows");
                assertArrayEquals(one.values(), parallel.values(), a + ", " + rows + " rows");
            }
        }
    }
}

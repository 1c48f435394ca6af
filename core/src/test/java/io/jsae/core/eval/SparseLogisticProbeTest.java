package io.jsae.core.eval;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SparseLogisticProbeTest {

    /**
     * Rows of 20 latents, 3 active at random; class 1 is "latent 0 active and latent 1 not", so the probe needs
     * a positive weight on 0 and a negative one on 1, and the other latents are noise the L1 penalty should drop.
     */
    private static LabeledCodes rows(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        LabeledCodes codes = new LabeledCodes(20);
        for (int r = 0; r < n; r++) {
            int[] idx = rnd.ints(0, 20).distinct().limit(3).sorted().toArray();
            float[] val = new float[3];
            boolean has0 = false;
            boolean has1 = false;
            for (int k = 0; k < 3; k++) {
                val[k] = (float) (0.5 + rnd.nextDouble());
                has0 |= idx[k] == 0;
                has1 |= idx[k] == 1;
            }
            codes.add(idx, val, 0, 3, has0 && !has1 ? 1 : 0);
        }
        return codes;
    }

    @Test
    void learnsTheRuleWithFewLatents() {
        LabeledCodes train = rows(4000, 1);
        LabeledCodes test = rows(2000, 2);
        SparseLogisticProbe.Fit fit = SparseLogisticProbe.fit(train, 1, 1e-3, 3000);
        assertTrue(fit.converged(), "iterations " + fit.iterations());
        int at0 = java.util.Arrays.binarySearch(fit.latents(), 0);
        int at1 = java.util.Arrays.binarySearch(fit.latents(), 1);
        assertTrue(at0 >= 0 && fit.weights()[at0] > 0, "weights " + java.util.Arrays.toString(fit.weights()));
        assertTrue(at1 >= 0 && fit.weights()[at1] < 0);
        assertTrue(fit.latents().length <= 6, "the penalty drops noise latents: " + fit.latents().length);
        DetectionScore onTrain = ExactScores.bestF1(fit.logits(train), train.isLabel(1));
        DetectionScore onTest = ExactScores.at(fit.logits(test), test.isLabel(1), onTrain.threshold());
        assertTrue(onTest.f1() > 0.95, "held-out " + onTest);
        // a stronger penalty keeps fewer latents
        SparseLogisticProbe.Fit strong = SparseLogisticProbe.fit(train, 1, 2e-2, 3000);
        assertTrue(strong.latents().length < fit.latents().length);
        // the objective is what the fit reports: the mean loss plus the penalty on scaled weights
        SparseLogisticProbe.Fit none = SparseLogisticProbe.fit(train, 1, 1e-3, 1);
        assertEquals(1, none.iterations());
        assertTrue(none.objective() > fit.objective());
    }
}

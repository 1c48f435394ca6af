package io.jsae.core.eval;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExactScoresTest {

    @Test
    void aurocCountsOrderedPairsAndHalfTies() {
        double[] scores = {0.1, 0.4, 0.35, 0.8, 0.4};
        boolean[] positive = {false, false, true, true, true};
        // pairs (pos, neg): (0.35,0.1)=1 (0.35,0.4)=0 (0.8,*)=2 (0.4,0.1)=1 (0.4,0.4)=0.5 -> 4.5 / 6
        assertEquals(4.5 / 6, ExactScores.auroc(scores, positive), 1e-15);
        DetectionScore best = ExactScores.bestF1(scores, positive);
        // thresholds 0.8: F1 0.5; 0.4: tp 2 fp 1 -> 0.667; 0.35: tp 3 fp 1 -> 0.857; 0.1: tp 3 fp 2 -> 0.75
        assertEquals(0.35, best.threshold());
        assertEquals(6.0 / 7, best.f1(), 1e-15);
        assertEquals(0.75, best.precision(), 1e-15);
        assertEquals(1.0, best.recall(), 1e-15);
    }

    @Test
    void unlistedZerosCountAsRowsAtZero() {
        double[] listed = {0.5, 0.2, 0.9};
        boolean[] listedPositive = {true, false, true};
        double[] all = {0.5, 0.2, 0.9, 0, 0, 0, 0};
        boolean[] allPositive = {true, false, true, true, false, false, false};
        DetectionScore sparse = ExactScores.bestF1(listed, listedPositive, 1, 3);
        DetectionScore dense = ExactScores.bestF1(all, allPositive);
        assertEquals(dense, sparse);
        assertEquals(ExactScores.auroc(all, allPositive), sparse.auroc(), 1e-15);
    }

    @Test
    void aLatentsThresholdStaysAboveZeroEvenWhenCallingEveryRowPositiveScoresHigher() {
        // 8 positives, 7 of them where the latent does not fire, and 8 negatives: calling every row positive
        // (threshold 0) has F1 16/(16 + 8) = 0.67, firing at 0.9 only 2/(2 + 1 + 7) = 0.2; the zero threshold
        // scores higher and must still not be chosen, since it detects nothing
        double[] listed = {0.9, 0.9, 0.5, 0.5, 0.5, 0.5};
        boolean[] positive = {true, false, false, false, false, false};
        DetectionScore d = ExactScores.bestF1(listed, positive, 7, 3);
        assertTrue(d.threshold() > 0, "threshold " + d.threshold());
        assertEquals(0.9, d.threshold());
        assertEquals(1, d.truePositives());
        assertEquals(1, d.falsePositives());
        assertEquals(14, d.trueNegatives() + d.falseNegatives(), "every row below 0.9 is called negative");
        // dense scores keep every threshold: there, 0 is a score like any other
        DetectionScore dense = ExactScores.bestF1(new double[] {0, 0, 1}, new boolean[] {true, true, false});
        assertEquals(0.0, dense.threshold());
    }
}

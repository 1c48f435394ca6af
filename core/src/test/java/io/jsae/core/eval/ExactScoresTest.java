package io.jsae.core.eval;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}

package io.jsae.tumix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The guide's four convergence scenarios with min 2 / max 5 / 5% (the defaults). */
class GuideScenariosTest {

    private final TumixTermination tumix = TumixTermination.builder()
            .minRounds(2).maxRounds(5).improvementThreshold(0.05).build();

    @Test
    void plateauAfterTwoEpochsStopsAtTwo() {
        List<RefinementResult> h = Histories.losses(0.90, 0.88, 0.875, 0.872);
        StopDecision d = tumix.shouldStop(h.subList(0, 2));
        assertTrue(d.shouldStop());
        assertEquals(StopReason.CONVERGED, d.reason());
        assertEquals("stop at round 2: loss improved 2.2% over round 1, below the 5.0% threshold (0.9 -> 0.88)",
                d.reasoning());
        assertEquals(2, Histories.stopRound(tumix, h));
    }

    @Test
    void quickConvergenceStopsAtThree() {
        List<RefinementResult> h = Histories.losses(1.00, 0.60, 0.58, 0.575);
        List<StopDecision> ds = Histories.replay(tumix, h);
        assertEquals(StopReason.MIN_ROUNDS, ds.get(0).reason());
        assertEquals(StopReason.CONTINUE, ds.get(1).reason());
        assertTrue(ds.get(1).reasoning().contains("improved 40.0% over round 1, at or above the 5.0% threshold"),
                ds.get(1).reasoning());
        assertEquals(StopReason.CONVERGED, ds.get(2).reason());
        assertTrue(ds.get(2).reasoning().startsWith("stop at round 3: loss improved 3.3% over round 2, below the 5.0%"),
                ds.get(2).reasoning());
        assertEquals(3, Histories.stopRound(tumix, h));
    }

    @Test
    void moderateConvergenceStopsAtFiveAsConvergedNotCapped() {
        List<RefinementResult> h = Histories.losses(1.00, 0.75, 0.60, 0.52, 0.50);
        StopDecision d = tumix.shouldStop(h);
        assertEquals(5, Histories.stopRound(tumix, h));
        assertEquals(StopReason.CONVERGED, d.reason());
        assertFalse(d.reasoning().contains("capped"), d.reasoning());
        assertTrue(d.reasoning().contains("improved 3.8% over round 4"), d.reasoning());
        assertEquals(5, d.bestRound());
        assertEquals(0.50, d.bestValue());
    }

    @Test
    void slowConvergenceIsCappedAtFive() {
        List<RefinementResult> h = Histories.losses(1.00, 0.85, 0.73, 0.64, 0.57, 0.53, 0.51);
        assertEquals(5, Histories.stopRound(tumix, h));
        StopDecision d = tumix.shouldStop(h.subList(0, 5));
        assertEquals(StopReason.MAX_ROUNDS, d.reason());
        assertTrue(d.shouldStop());
        assertEquals("stop at round 5: reached maxRounds 5 (capped) while loss improved 10.9% over round 4,"
                + " at or above the 5.0% threshold (0.64 -> 0.57)", d.reasoning());
    }

    @Test
    void slowConvergenceWouldNeedSevenRounds() {
        List<RefinementResult> h = Histories.losses(1.00, 0.85, 0.73, 0.64, 0.57, 0.53, 0.51);
        TumixTermination uncapped = tumix.toBuilder().maxRounds(10).build();
        assertEquals(7, Histories.stopRound(uncapped, h));
        assertEquals(StopReason.CONVERGED, uncapped.shouldStop(h).reason());
    }
}

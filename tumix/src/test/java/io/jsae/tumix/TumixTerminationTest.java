package io.jsae.tumix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class TumixTerminationTest {

    private static final TumixTermination DEFAULTS = TumixTermination.builder().build();

    @Test
    void defaultsMatchTheIssue() {
        assertEquals(2, DEFAULTS.minRounds());
        assertEquals(5, DEFAULTS.maxRounds());
        assertEquals(0.05, DEFAULTS.improvementThreshold());
        assertEquals(ImprovementMode.RELATIVE, DEFAULTS.improvementMode());
        assertEquals(Monitor.loss(), DEFAULTS.monitor());
        assertEquals(1, DEFAULTS.patience());
        assertTrue(DEFAULTS.qualityGates().isEmpty());
        assertTrue(Double.isNaN(DEFAULTS.divergenceThreshold()));
        assertTrue(Double.isNaN(DEFAULTS.costBudget()));
        assertTrue(DEFAULTS.judge().isEmpty());
        assertFalse(DEFAULTS.stopOnConsensus());
    }

    @Nested
    class Rounds {

        @Test
        void neverStopsEarlyBeforeMinRounds() {
            TumixTermination t = TumixTermination.builder().minRounds(4).maxRounds(6).build();
            List<StopDecision> ds = Histories.replay(t, Histories.losses(1.0, 1.0, 1.0, 1.0));
            for (int i = 0; i < 3; i++) {
                assertFalse(ds.get(i).shouldStop(), ds.get(i).reasoning());
                assertEquals(StopReason.MIN_ROUNDS, ds.get(i).reason());
                assertTrue(ds.get(i).reasoning().contains("minRounds 4 not reached"), ds.get(i).reasoning());
            }
            assertEquals(StopReason.CONVERGED, ds.get(3).reason());
            assertTrue(ds.get(3).reasoning().contains("loss did not improve on round 1 (1 -> 1)"),
                    ds.get(3).reasoning());
        }

        @Test
        void alwaysStopsAtMaxRoundsEvenWhileImproving() {
            List<RefinementResult> h = Histories.losses(16, 8, 4, 2, 1);
            StopDecision d = DEFAULTS.shouldStop(h);
            assertTrue(d.shouldStop());
            assertEquals(StopReason.MAX_ROUNDS, d.reason());
            assertTrue(d.reasoning().contains("reached maxRounds 5 (capped)"), d.reasoning());
            assertEquals(5, d.round());
        }

        @Test
        void stopsAfterMaxRoundsToo() {
            StopDecision d = DEFAULTS.shouldStop(List.of(new RefinementResult(9, 1.0, Double.NaN)));
            assertEquals(StopReason.MAX_ROUNDS, d.reason());
        }

        @Test
        void minRoundsEqualToMaxRoundsStopsThere() {
            TumixTermination t = TumixTermination.builder().minRounds(3).maxRounds(3).build();
            assertEquals(List.of(StopReason.MIN_ROUNDS, StopReason.MIN_ROUNDS, StopReason.MAX_ROUNDS),
                    Histories.replay(t, Histories.losses(8, 4, 2)).stream().map(StopDecision::reason).toList());
        }

        @Test
        void roundNumbersMayHaveGapsAndDecideMinAndMax() {
            List<RefinementResult> h = List.of(new RefinementResult(2, 1.0, Double.NaN),
                    new RefinementResult(4, 0.5, Double.NaN), new RefinementResult(6, 0.25, Double.NaN));
            TumixTermination t = TumixTermination.builder().minRounds(3).maxRounds(6).build();
            assertEquals(StopReason.MIN_ROUNDS, t.shouldStop(h.subList(0, 1)).reason());
            assertEquals(StopReason.CONTINUE, t.shouldStop(h.subList(0, 2)).reason());
            assertEquals(StopReason.MAX_ROUNDS, t.shouldStop(h).reason());
        }
    }

    @Nested
    class NonFinite {

        @Test
        void nanStopsAtOnceEvenInTheFirstRound() {
            StopDecision d = DEFAULTS.shouldStop(Histories.losses(Double.NaN));
            assertTrue(d.shouldStop());
            assertEquals(StopReason.NON_FINITE, d.reason());
            assertEquals("stop at round 1: loss is NaN; no finite value so far", d.reasoning());
            assertEquals(0, d.bestRound());
            assertTrue(Double.isNaN(d.bestValue()));
        }

        @Test
        void infinityStopsAndReportsTheBestFiniteRound() {
            StopDecision d = DEFAULTS.shouldStop(Histories.losses(1.0, 0.5, Double.POSITIVE_INFINITY));
            assertEquals(StopReason.NON_FINITE, d.reason());
            assertEquals("stop at round 3: loss is Infinity; best 0.5 at round 2", d.reasoning());
            assertEquals(2, d.bestRound());
            assertEquals(0.5, d.bestValue());
        }

        @Test
        void nanOfAnUnmonitoredValueDoesNotStop() {
            // LLM refinement rounds have no loss: only the monitored value must be finite.
            TumixTermination t = TumixTermination.builder().monitor(Monitor.validationScore()).build();
            StopDecision d = t.shouldStop(Histories.scores(0.5));
            assertEquals(StopReason.MIN_ROUNDS, d.reason());
        }

        @Test
        void nanBeatsEveryOtherRule() {
            TumixTermination t = TumixTermination.builder().divergenceThreshold(10).costBudget(1).build();
            List<RefinementResult> h = List.of(new RefinementResult(1, Double.NaN, Double.NaN,
                    Map.of(RefinementResult.COST, 5.0)));
            assertEquals(StopReason.NON_FINITE, t.shouldStop(h).reason());
        }
    }

    @Nested
    class Improvement {

        @Test
        void exampleSentenceCarriesTheNumbers() {
            StopDecision d = DEFAULTS.shouldStop(Histories.losses(1.0, 0.5, 0.4895));
            assertEquals("stop at round 3: loss improved 2.1% over round 2, below the 5.0% threshold (0.5 -> 0.4895)",
                    d.reasoning());
            assertEquals(3, d.bestRound());
            assertEquals(0.4895, d.bestValue());
        }

        @Test
        void exactlyTheThresholdCountsAsImprovement() {
            TumixTermination t = DEFAULTS.toBuilder().maxRounds(10).build();
            StopDecision d = t.shouldStop(Histories.losses(1.0, 0.95));
            assertEquals(StopReason.CONTINUE, d.reason(), d.reasoning());
            assertTrue(d.reasoning().contains("improved 5.0% over round 1, at or above the 5.0% threshold"),
                    d.reasoning());
        }

        @Test
        void measuresAgainstTheBestSoFarNotThePreviousRound() {
            // Round 3 got worse; round 4 beats round 3 by 30% but the best (round 2) by only 2%.
            TumixTermination t = TumixTermination.builder().maxRounds(10).patience(2).build();
            StopDecision d = t.shouldStop(Histories.losses(1.0, 0.5, 0.7, 0.49));
            assertEquals(StopReason.CONVERGED, d.reason());
            assertTrue(d.reasoning().contains("loss improved less than the 5.0% threshold in each of the last 2 "
                    + "results (patience 2); latest: loss improved 2.0% over round 2"), d.reasoning());
            assertEquals(4, d.bestRound());
        }

        @Test
        void smallGainsStillMoveTheBest() {
            // 1.0 -> 0.97 (3%) -> 0.94 (3.1% over 0.97): each compared with the latest best, never accumulated.
            TumixTermination t = TumixTermination.builder().maxRounds(10).patience(3).build();
            StopDecision d = t.shouldStop(Histories.losses(1.0, 0.97, 0.94));
            assertEquals(StopReason.CONTINUE, d.reason());
            assertTrue(d.reasoning().contains("improved 3.1% over round 2"), d.reasoning());
            assertTrue(d.reasoning().contains("2 of patience 3 results without improvement"), d.reasoning());
        }

        @Test
        void relativeImprovementUsesTheMagnitudeOfANegativeBest() {
            TumixTermination t = TumixTermination.builder().maxRounds(10).build();
            // Minimizing from -2.0 to -2.1 is a 5% improvement: go on.
            StopDecision improving = t.shouldStop(Histories.losses(-2.0, -2.1));
            assertEquals(StopReason.CONTINUE, improving.reason(), improving.reasoning());
            assertTrue(improving.reasoning().contains("improved 5.0% over round 1"), improving.reasoning());
            // From -2.0 to -2.05 is 2.5%: converged.
            StopDecision stalled = t.shouldStop(Histories.losses(-2.0, -2.05));
            assertEquals(StopReason.CONVERGED, stalled.reason());
            assertTrue(stalled.reasoning().contains("improved 2.5% over round 1"), stalled.reasoning());
            // Going from -2.0 to -1.9 is worse, not an improvement.
            assertEquals(StopReason.CONVERGED, t.shouldStop(Histories.losses(-2.0, -1.9)).reason());
        }

        @Test
        void relativeImprovementWhenMaximizingANegativeScore() {
            TumixTermination t = TumixTermination.builder().maxRounds(10).monitor(Monitor.validationScore()).build();
            StopDecision d = t.shouldStop(Histories.scores(-0.5, -0.4));
            assertEquals(StopReason.CONTINUE, d.reason());
            assertTrue(d.reasoning().contains("validationScore improved 20.0% over round 1"), d.reasoning());
        }

        @Test
        void zeroBestFallsBackToTheAbsoluteGain() {
            TumixTermination t = TumixTermination.builder().maxRounds(10).monitor(Monitor.validationScore()).build();
            StopDecision small = t.shouldStop(Histories.scores(0.0, 0.03));
            assertEquals(StopReason.CONVERGED, small.reason());
            assertTrue(small.reasoning().contains("improved by 0.03 over round 1 (absolute, as the best was 0), "
                    + "below the 0.05 threshold"), small.reasoning());
            StopDecision large = t.shouldStop(Histories.scores(0.0, 0.3));
            assertEquals(StopReason.CONTINUE, large.reason(), large.reasoning());
        }

        @Test
        void absoluteModeComparesTheGainInTheMonitoredUnit() {
            TumixTermination t = TumixTermination.builder().maxRounds(10)
                    .improvementMode(ImprovementMode.ABSOLUTE).improvementThreshold(0.01).build();
            StopDecision go = t.shouldStop(Histories.losses(100.0, 99.98));
            assertEquals(StopReason.CONTINUE, go.reason(), go.reasoning());
            StopDecision stop = t.shouldStop(Histories.losses(0.5, 0.495));
            assertEquals(StopReason.CONVERGED, stop.reason());
            assertTrue(stop.reasoning().contains("improved by 0.005 over round 1, below the 0.01 threshold"),
                    stop.reasoning());
        }

        @Test
        void zeroThresholdNeedsAStrictImprovement() {
            TumixTermination t = TumixTermination.builder().maxRounds(10).improvementThreshold(0).build();
            assertEquals(StopReason.CONTINUE, t.shouldStop(Histories.losses(1.0, 0.9999)).reason());
            assertEquals(StopReason.CONVERGED, t.shouldStop(Histories.losses(1.0, 1.0)).reason());
        }

        @Test
        void namedMetricWithDirection() {
            TumixTermination t = TumixTermination.builder().maxRounds(10)
                    .monitor(Monitor.metric("explained_variance", Monitor.Direction.MAXIMIZE)).build();
            List<RefinementResult> h = Histories.withMetric("explained_variance", new double[] {0.60, 0.80, 0.81},
                    3.0, 2.0, 1.0);
            assertEquals(StopReason.CONTINUE, t.shouldStop(h.subList(0, 2)).reason());
            StopDecision d = t.shouldStop(h);
            assertEquals(StopReason.CONVERGED, d.reason());
            assertTrue(d.reasoning().contains("explained_variance improved 1.3% over round 2"), d.reasoning());
        }

        @Test
        void missingMonitoredMetricThrowsNamingRoundAndMetric() {
            TumixTermination t = TumixTermination.builder().monitor(Monitor.metric("fvu", Monitor.Direction.MINIMIZE))
                    .build();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> t.shouldStop(Histories.losses(1.0)));
            assertTrue(e.getMessage().contains("round 1 has no metric 'fvu'"), e.getMessage());
        }
    }

    @Nested
    class QualityGates {

        private final TumixTermination gated = TumixTermination.builder()
                .requireAtLeast("explained_variance", 0.8).requireAtMost("l0", 64).build();

        private List<RefinementResult> flat(double[] ev, double[] l0) {
            List<RefinementResult> h = new ArrayList<>();
            for (int i = 0; i < ev.length; i++) {
                h.add(new RefinementResult(i + 1, 1.0, Double.NaN, Map.of("explained_variance", ev[i], "l0", l0[i])));
            }
            return h;
        }

        @Test
        void unmetGateKeepsGoingUntilMaxRoundsAndNamesTheGate() {
            List<RefinementResult> h = flat(new double[] {0.5, 0.6, 0.7, 0.72, 0.74}, new double[] {60, 60, 60, 60, 60});
            List<StopDecision> ds = Histories.replay(gated, h);
            for (int i = 1; i < 4; i++) {
                assertEquals(StopReason.QUALITY_GATE_UNMET, ds.get(i).reason());
                assertFalse(ds.get(i).shouldStop());
            }
            assertEquals("continue at round 4: loss did not improve on round 1 (1 -> 1), but quality gate "
                    + "explained_variance >= 0.8 (is 0.72 at round 4) is unmet", ds.get(3).reasoning());
            StopDecision last = ds.get(4);
            assertEquals(StopReason.MAX_ROUNDS, last.reason());
            assertTrue(last.reasoning().contains("(capped)"), last.reasoning());
            assertTrue(last.reasoning().contains("explained_variance >= 0.8 (is 0.74 at round 5) is unmet"),
                    last.reasoning());
        }

        @Test
        void everyUnmetGateIsNamed() {
            StopDecision d = gated.shouldStop(flat(new double[] {0.5, 0.6}, new double[] {80, 90}));
            assertEquals(StopReason.QUALITY_GATE_UNMET, d.reason());
            assertTrue(d.reasoning().contains("quality gates explained_variance >= 0.8 (is 0.6 at round 2) and "
                    + "l0 <= 64 (is 90 at round 2) are unmet"), d.reasoning());
        }

        @Test
        void metGatesAllowTheEarlyStop() {
            StopDecision d = gated.shouldStop(flat(new double[] {0.7, 0.85}, new double[] {70, 64}));
            assertEquals(StopReason.CONVERGED, d.reason());
        }

        @Test
        void unreportedGateMetricIsUnmetAndSaysSo() {
            StopDecision d = gated.shouldStop(Histories.losses(1.0, 1.0));
            assertEquals(StopReason.QUALITY_GATE_UNMET, d.reason());
            assertTrue(d.reasoning().contains("explained_variance >= 0.8 (is not reported at round 2)"),
                    d.reasoning());
        }

        @Test
        void gatesDoNotBlockHardStops() {
            TumixTermination t = gated.toBuilder().divergenceThreshold(5).build();
            assertEquals(StopReason.DIVERGED, t.shouldStop(Histories.losses(1.0, 6.0)).reason());
            assertEquals(StopReason.NON_FINITE, t.shouldStop(Histories.losses(1.0, Double.NaN)).reason());
        }

        @Test
        void gateOnTheLossField() {
            TumixTermination t = TumixTermination.builder().requireAtMost("loss", 0.1).build();
            assertEquals(StopReason.QUALITY_GATE_UNMET, t.shouldStop(Histories.losses(0.5, 0.5)).reason());
            assertEquals(StopReason.CONVERGED, t.shouldStop(Histories.losses(0.1, 0.1)).reason());
        }
    }

    @Nested
    class Divergence {

        @Test
        void worseThanTheBoundStopsAtAnyRound() {
            TumixTermination t = TumixTermination.builder().divergenceThreshold(10).build();
            StopDecision d = t.shouldStop(Histories.losses(12.5));
            assertEquals(StopReason.DIVERGED, d.reason());
            assertEquals("stop at round 1: loss 12.5 is worse than the divergence bound 10; best 12.5 at round 1",
                    d.reasoning());
            assertEquals(StopReason.MIN_ROUNDS, t.shouldStop(Histories.losses(10.0)).reason());
        }

        @Test
        void boundFollowsTheDirection() {
            TumixTermination t = TumixTermination.builder().monitor(Monitor.validationScore())
                    .divergenceThreshold(0.2).build();
            assertEquals(StopReason.DIVERGED, t.shouldStop(Histories.scores(0.5, 0.1)).reason());
            assertEquals(StopReason.CONTINUE, t.shouldStop(Histories.scores(0.5, 0.9)).reason());
        }
    }

    @Nested
    class Budget {

        private final TumixTermination t = TumixTermination.builder().maxRounds(20).improvementThreshold(0)
                .costBudget(10).build();

        private List<RefinementResult> costs(double... cumulative) {
            List<RefinementResult> h = new ArrayList<>();
            for (int i = 0; i < cumulative.length; i++) {
                h.add(new RefinementResult(i + 1, 10.0 - i, Double.NaN, Map.of(RefinementResult.COST, cumulative[i])));
            }
            return h;
        }

        @Test
        void stopsWhenTheNextRoundWouldOverrun() {
            List<StopDecision> ds = Histories.replay(t, costs(3, 6, 8.5));
            assertFalse(ds.get(0).shouldStop());
            assertFalse(ds.get(1).shouldStop());
            StopDecision d = ds.get(2);
            assertEquals(StopReason.BUDGET, d.reason());
            assertEquals("stop at round 3: cost 8.5 of the budget 10 is spent, and one more round costing as much "
                    + "as the last (2.5) would bring it to 11", d.reasoning());
        }

        @Test
        void stopsWhenTheBudgetIsReachedEvenBeforeMinRounds() {
            StopDecision d = t.shouldStop(costs(10));
            assertEquals(StopReason.BUDGET, d.reason());
            assertEquals("stop at round 1: cost 10 reached the budget of 10", d.reasoning());
        }

        @Test
        void costMustBeReportedAndCumulative() {
            IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                    () -> t.shouldStop(Histories.losses(1.0)));
            assertTrue(missing.getMessage().contains("round 1 has no metric 'cost'"), missing.getMessage());
            IllegalArgumentException decreasing = assertThrows(IllegalArgumentException.class,
                    () -> t.shouldStop(costs(3, 2)));
            assertTrue(decreasing.getMessage().contains("must be cumulative"), decreasing.getMessage());
        }

        @Test
        void budgetBeatsConvergence() {
            List<RefinementResult> h = List.of(
                    new RefinementResult(1, 1.0, Double.NaN, Map.of(RefinementResult.COST, 4.0)),
                    new RefinementResult(2, 1.0, Double.NaN, Map.of(RefinementResult.COST, 8.0)));
            assertEquals(StopReason.BUDGET, t.shouldStop(h).reason());
        }
    }

    @Nested
    class Judge {

        @Test
        void consultedOnlyFromMinRoundsAndBeforeMaxRounds() {
            AtomicInteger calls = new AtomicInteger();
            TumixTermination t = TumixTermination.builder().minRounds(2).maxRounds(4).improvementThreshold(0)
                    .judge(h -> {
                        calls.incrementAndGet();
                        return TerminationJudge.Verdict.keepGoing("answers still move");
                    }).build();
            List<StopDecision> ds = Histories.replay(t, Histories.losses(8, 4, 2, 1));
            assertEquals(List.of(StopReason.MIN_ROUNDS, StopReason.CONTINUE, StopReason.CONTINUE,
                    StopReason.MAX_ROUNDS), ds.stream().map(StopDecision::reason).toList());
            assertEquals(2, calls.get());
            assertTrue(ds.get(1).reasoning().endsWith("; the judge said go on (answers still move)"),
                    ds.get(1).reasoning());
        }

        @Test
        void judgeStopIsReportedWithItsReason() {
            TumixTermination t = TumixTermination.builder().improvementThreshold(0)
                    .judge(h -> TerminationJudge.Verdict.stop("agents agree on 42 after " + h.size() + " rounds"))
                    .build();
            StopDecision d = t.shouldStop(Histories.losses(2, 1));
            assertEquals(StopReason.JUDGE, d.reason());
            assertTrue(d.reasoning().startsWith("stop at round 2: the judge asked to stop (agents agree on 42 after "
                    + "2 rounds) while loss improved 50.0% over round 1"), d.reasoning());
        }

        @Test
        void notConsultedWhenACheaperRuleStopsOrAGateIsUnmet() {
            TerminationJudge failing = h -> {
                throw new AssertionError("judge must not be consulted");
            };
            TumixTermination t = TumixTermination.builder().judge(failing).build();
            assertEquals(StopReason.CONVERGED, t.shouldStop(Histories.losses(1, 1)).reason());
            TumixTermination gated = TumixTermination.builder().improvementThreshold(0).judge(failing)
                    .requireAtLeast("explained_variance", 0.9).build();
            assertEquals(StopReason.CONTINUE, gated.shouldStop(Histories.losses(2, 1)).reason());
        }

        @Test
        void nullVerdictIsAnError() {
            TumixTermination t = TumixTermination.builder().improvementThreshold(0).judge(h -> null).build();
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> t.shouldStop(Histories.losses(2, 1)));
            assertTrue(e.getMessage().contains("round 2"), e.getMessage());
        }

        @Test
        void judgeSeesAnUnmodifiableHistory() {
            TumixTermination t = TumixTermination.builder().improvementThreshold(0).judge(h -> {
                h.clear();
                return TerminationJudge.Verdict.stop("cleared");
            }).build();
            assertThrows(UnsupportedOperationException.class, () -> t.shouldStop(Histories.losses(2, 1)));
        }
    }

    @Nested
    class Consensus {

        private final TumixTermination t = TumixTermination.builder().maxRounds(10)
                .monitor(Monitor.validationScore()).stopOnConvergence(false).stopOnConsensus(true).build();

        private RefinementResult round(int r, String... answers) {
            return new RefinementResult(r, Double.NaN, TumixTermination.agreement(List.of(answers)), Map.of(),
                    List.of(answers));
        }

        @Test
        void stopsWhenTheMajorityIsUnchangedForTwoRounds() {
            List<RefinementResult> h = List.of(round(1, "41", "42", "42"), round(2, "42", "42", "7"),
                    round(3, "42", "42", "42"));
            List<StopDecision> ds = Histories.replay(t, h);
            assertEquals(StopReason.MIN_ROUNDS, ds.get(0).reason());
            StopDecision d = ds.get(1);
            assertEquals(StopReason.CONSENSUS, d.reason());
            assertEquals("stop at round 2: majority answer \"42\" (2 of 3 in round 2) unchanged for 2 consecutive "
                    + "rounds (rounds 1 to 2)", d.reasoning());
        }

        @Test
        void changedMajorityOrATieGoesOn() {
            assertEquals(StopReason.CONTINUE,
                    t.shouldStop(List.of(round(1, "41", "41", "42"), round(2, "42", "42", "41"))).reason());
            assertEquals(StopReason.CONTINUE,
                    t.shouldStop(List.of(round(1, "42", "42"), round(2, "42", "41"))).reason());
            assertEquals(StopReason.CONTINUE,
                    t.shouldStop(List.of(round(1, "42"), round(2))).reason());
        }

        @Test
        void longerWindow() {
            TumixTermination three = t.toBuilder().consensusRounds(3).build();
            List<RefinementResult> h = List.of(round(1, "a", "a", "b"), round(2, "a", "b", "a"),
                    round(3, "a", "a", "a"));
            assertEquals(StopReason.CONTINUE, three.shouldStop(h.subList(0, 2)).reason());
            assertEquals(StopReason.CONSENSUS, three.shouldStop(h).reason());
        }

        @Test
        void majorityAndAgreement() {
            assertEquals("b", TumixTermination.majorityAnswer(List.of("a", "b", "b")).orElseThrow());
            assertTrue(TumixTermination.majorityAnswer(List.of("a", "b")).isEmpty());
            assertTrue(TumixTermination.majorityAnswer(List.of()).isEmpty());
            assertEquals(2.0 / 3, TumixTermination.agreement(List.of("a", "b", "b")));
            assertEquals(0.0, TumixTermination.agreement(List.of()));
        }
    }

    @Nested
    class Purity {

        @Test
        void sameHistorySameDecisionAcrossInstancesAndCopies() {
            List<RefinementResult> h = Histories.losses(1.0, 0.7, 0.69);
            StopDecision first = DEFAULTS.shouldStop(h);
            StopDecision resumed = TumixTermination.builder().build().shouldStop(new ArrayList<>(h));
            assertEquals(first, resumed);
            assertEquals(first, DEFAULTS.shouldStop(h));
            assertEquals(3, h.size());
        }

        @Test
        void convergedAtMaxRoundsReportsConvergedNotCapped() {
            StopDecision d = DEFAULTS.shouldStop(Histories.losses(16, 8, 4, 2, 1.99));
            assertEquals(StopReason.CONVERGED, d.reason());
        }

        @Test
        void toBuilderKeepsEverySetting() {
            TumixTermination t = TumixTermination.builder().minRounds(3).maxRounds(9).improvementThreshold(0.1)
                    .improvementMode(ImprovementMode.ABSOLUTE).monitor(Monitor.validationScore()).patience(2)
                    .requireAtLeast("ev", 0.5).divergenceThreshold(-1).costBudget(7).stopOnConsensus(true)
                    .consensusRounds(3).stopOnConvergence(false).build();
            assertEquals(t.toString(), t.toBuilder().build().toString());
            assertTrue(t.toString().contains("qualityGates=[ev >= 0.5]"), t.toString());
        }
    }
}

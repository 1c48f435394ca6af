package io.jsae.tumix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Bad configuration and bad input throw IllegalArgumentException naming the field. */
class ValidationTest {

    private static void assertRejected(String field, Executable e) {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, e);
        assertTrue(ex.getMessage().contains(field), () -> "message should name " + field + ": " + ex.getMessage());
    }

    @Test
    void minRoundsAboveMaxRounds() {
        assertRejected("minRounds (6) must not exceed maxRounds (5)",
                () -> TumixTermination.builder().minRounds(6).build());
    }

    @Test
    void builderArguments() {
        assertRejected("improvementThreshold", () -> TumixTermination.builder().improvementThreshold(-0.01));
        assertRejected("improvementThreshold", () -> TumixTermination.builder().improvementThreshold(Double.NaN));
        assertRejected("improvementThreshold",
                () -> TumixTermination.builder().improvementThreshold(Double.POSITIVE_INFINITY));
        assertRejected("minRounds", () -> TumixTermination.builder().minRounds(0));
        assertRejected("maxRounds", () -> TumixTermination.builder().maxRounds(0));
        assertRejected("patience", () -> TumixTermination.builder().patience(0));
        assertRejected("costBudget", () -> TumixTermination.builder().costBudget(0));
        assertRejected("divergenceThreshold", () -> TumixTermination.builder().divergenceThreshold(Double.NaN));
        assertRejected("consensusRounds", () -> TumixTermination.builder().consensusRounds(1));
        assertRejected("monitor", () -> TumixTermination.builder().monitor(null));
        assertRejected("improvementMode", () -> TumixTermination.builder().improvementMode(null));
        assertRejected("qualityGate", () -> TumixTermination.builder().qualityGate(null));
        assertRejected("quality gate bound", () -> TumixTermination.builder().requireAtLeast("ev", Double.NaN));
        assertRejected("quality gate metric", () -> TumixTermination.builder().requireAtMost(" ", 1));
        assertRejected("monitor name", () -> Monitor.metric("", Monitor.Direction.MINIMIZE));
        assertRejected("monitor direction", () -> Monitor.metric("l0", null));
    }

    @Test
    void badHistories() {
        TumixTermination t = TumixTermination.builder().build();
        assertRejected("history must not be null", () -> t.shouldStop(null));
        assertRejected("history must not be empty", () -> t.shouldStop(List.of()));
        assertRejected("history[1] is null",
                () -> t.shouldStop(Arrays.asList(new RefinementResult(1, 1, 1), null)));
        assertRejected("round 2 at index 1 does not come after round 2 at index 0",
                () -> t.shouldStop(List.of(new RefinementResult(2, 1, 1), new RefinementResult(2, 1, 1))));
        assertRejected("rounds must strictly increase",
                () -> t.shouldStop(List.of(new RefinementResult(3, 1, 1), new RefinementResult(2, 1, 1))));
    }

    @Test
    void badResults() {
        assertRejected("round must be 1 or more", () -> new RefinementResult(0, 1, 1));
        assertRejected("metrics of round 1 must not be null", () -> new RefinementResult(1, 1, 1, null));
        Map<String, Double> nullValue = new HashMap<>();
        nullValue.put("l0", null);
        assertRejected("'l0' has no value", () -> new RefinementResult(1, 1, 1, nullValue));
        assertRejected("'loss' is 2.0 but the loss field is 1.0",
                () -> new RefinementResult(1, 1, 1, Map.of("loss", 2.0)));
        assertRejected("'validationScore' is 2.0",
                () -> new RefinementResult(1, 1, 1, Map.of("validationScore", 2.0)));
        assertRejected("answers of round 1 must not be null", () -> new RefinementResult(1, 1, 1, Map.of(), null));
        assertRejected("answers of round 1: answer 1 is null",
                () -> new RefinementResult(1, 1, 1, Map.of(), Arrays.asList("a", null)));
    }

    @Test
    void resultsAreImmutableCopies() {
        Map<String, Double> metrics = new HashMap<>(Map.of("l0", 60.0));
        List<String> answers = new ArrayList<>(List.of("42"));
        RefinementResult r = new RefinementResult(1, 1, 1, metrics, answers);
        metrics.put("l0", 99.0);
        answers.add("7");
        assertEquals(60.0, r.metrics().get("l0"));
        assertEquals(List.of("42"), r.answers());
        assertThrows(UnsupportedOperationException.class, () -> r.metrics().put("x", 1.0));
        assertEquals(1.0, new RefinementResult(1, 1, 1, Map.of("loss", 1.0)).value("loss").getAsDouble());
        assertTrue(new RefinementResult(1, 1, 1).value("l0").isEmpty());
    }

    @Test
    void decisionMustAgreeWithItsReason() {
        assertRejected("contradicts", () -> new StopDecision(true, StopReason.CONTINUE, "x", 1, 1, 1));
        assertRejected("reasoning", () -> new StopDecision(false, StopReason.CONTINUE, " ", 1, 1, 1));
        assertRejected("reason must not be null", () -> new StopDecision(false, null, "x", 1, 1, 1));
        assertRejected("judge verdict reason", () -> new TerminationJudge.Verdict(true, null));
    }

    @Test
    void stopReasonsSplitIntoStopsAndContinues() {
        List<StopReason> continues = Arrays.stream(StopReason.values()).filter(r -> !r.isStop()).toList();
        assertEquals(List.of(StopReason.CONTINUE, StopReason.MIN_ROUNDS, StopReason.QUALITY_GATE_UNMET), continues);
    }
}

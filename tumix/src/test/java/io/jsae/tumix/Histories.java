package io.jsae.tumix;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Builds histories for tests. */
final class Histories {

    private Histories() {
    }

    /** Rounds 1..n with the given losses and no validation score. */
    static List<RefinementResult> losses(double... losses) {
        List<RefinementResult> h = new ArrayList<>();
        for (int i = 0; i < losses.length; i++) {
            h.add(new RefinementResult(i + 1, losses[i], Double.NaN));
        }
        return h;
    }

    /** Rounds 1..n with the given validation scores and no loss. */
    static List<RefinementResult> scores(double... scores) {
        List<RefinementResult> h = new ArrayList<>();
        for (int i = 0; i < scores.length; i++) {
            h.add(new RefinementResult(i + 1, Double.NaN, scores[i]));
        }
        return h;
    }

    /** Rounds 1..n with losses and one extra metric per round. */
    static List<RefinementResult> withMetric(String metric, double[] values, double... losses) {
        List<RefinementResult> h = new ArrayList<>();
        for (int i = 0; i < losses.length; i++) {
            h.add(new RefinementResult(i + 1, losses[i], Double.NaN, Map.of(metric, values[i])));
        }
        return h;
    }

    /** Every prefix decision of a history: what a run would have been told after each round. */
    static List<StopDecision> replay(TumixTermination t, List<RefinementResult> h) {
        List<StopDecision> out = new ArrayList<>();
        for (int i = 1; i <= h.size(); i++) {
            out.add(t.shouldStop(h.subList(0, i)));
        }
        return out;
    }

    /** The round at which a run following the decisions stops, or -1 if it never does. */
    static int stopRound(TumixTermination t, List<RefinementResult> h) {
        for (StopDecision d : replay(t, h)) {
            if (d.shouldStop()) {
                return d.round();
            }
        }
        return -1;
    }
}

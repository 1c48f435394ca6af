package io.jsae.tumix;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides after each round whether an iterative process (SAE training epochs, LLM refinement rounds) should stop.
 *
 * <p>{@link #shouldStop(List)} is a pure function of the history: it keeps no state between calls, so a run
 * resumed from a checkpoint that restores its history decides exactly as before. Instances are immutable and
 * safe to share between threads (as long as the optional judge is).
 *
 * <h2>Improvement</h2>
 * Each result is compared with the <em>best value of all earlier results</em> (not with the previous round).
 * Its gain is {@code best - value} when minimizing, {@code value - best} when maximizing. In
 * {@link ImprovementMode#RELATIVE RELATIVE} mode (the default) the improvement is {@code gain / |best|}; the
 * magnitude keeps a negative best meaningful (from -2.0 to -2.1 while minimizing is a 5% improvement), and when
 * the best is exactly zero the ratio is undefined, so the absolute gain is used instead. In
 * {@link ImprovementMode#ABSOLUTE ABSOLUTE} mode the improvement is the gain itself. A result <em>improves</em>
 * when its gain is positive and its improvement is at least the threshold (up to rounding: a relative slack of
 * 1e-9 keeps a change of exactly 5% from falling below a 5% threshold). The first result with a finite value
 * counts as improving; a non-finite earlier value counts as not improving and never becomes the best.
 *
 * <h2>Rules, in precedence order</h2>
 * <ol>
 *   <li>{@link StopReason#NON_FINITE}: the latest monitored value is NaN or infinite; at any round.</li>
 *   <li>{@link StopReason#DIVERGED}: the latest value is worse than {@link Builder#divergenceThreshold(double)};
 *       at any round.</li>
 *   <li>{@link StopReason#BUDGET}: the cumulative {@link RefinementResult#COST} metric reached
 *       {@link Builder#costBudget(double)}, or one more round costing as much as the last one would overrun it;
 *       at any round.</li>
 *   <li>{@link StopReason#MIN_ROUNDS} (continue): the latest round number is below {@code minRounds}.</li>
 *   <li>Early stops, only once {@code minRounds} is reached and only if every quality gate is met:
 *       {@link StopReason#CONVERGED} (the last {@code patience} results all failed to improve),
 *       {@link StopReason#CONSENSUS} (the majority answer was the same in the last {@code consensusRounds} rounds),
 *       {@link StopReason#JUDGE} (the judge asked to stop; consulted last, so that its cost is spent only when
 *       no cheaper rule stops, and never at {@code maxRounds}). If CONVERGED or CONSENSUS fires while a gate is
 *       unmet the decision is {@link StopReason#QUALITY_GATE_UNMET} (continue) naming the gate, or MAX_ROUNDS
 *       at the cap.</li>
 *   <li>{@link StopReason#MAX_ROUNDS}: the latest round number is {@code maxRounds} or more. If an early-stop rule
 *       also fires at that round its reason is reported instead, so MAX_ROUNDS means the cap cut the run short.</li>
 *   <li>{@link StopReason#CONTINUE}.</li>
 * </ol>
 * Round numbers decide MIN_ROUNDS and MAX_ROUNDS; patience counts results, so with an evaluation every second
 * epoch {@code patience(2)} spans four epochs.
 *
 * <p>The defaults ({@code minRounds} 2, {@code maxRounds} 5, a 5% relative threshold, {@code patience} 1,
 * loss minimized) are a practical choice for SAE training epochs, not the paper's rule; see the package
 * documentation.
 */
public final class TumixTermination {

    private static final Logger LOG = LoggerFactory.getLogger(TumixTermination.class);

    /** Relative slack on the threshold, so that floating-point rounding does not turn "exactly 5%" into "below". */
    private static final double ROUNDING = 1e-9;

    private final int minRounds;
    private final int maxRounds;
    private final double improvementThreshold;
    private final ImprovementMode improvementMode;
    private final Monitor monitor;
    private final int patience;
    private final List<QualityGate> qualityGates;
    private final double divergenceThreshold;
    private final double costBudget;
    private final TerminationJudge judge;
    private final boolean stopOnConvergence;
    private final boolean stopOnConsensus;
    private final int consensusRounds;

    private TumixTermination(Builder b) {
        this.minRounds = b.minRounds;
        this.maxRounds = b.maxRounds;
        this.improvementThreshold = b.improvementThreshold;
        this.improvementMode = b.improvementMode;
        this.monitor = b.monitor;
        this.patience = b.patience;
        this.qualityGates = List.copyOf(b.qualityGates);
        this.divergenceThreshold = b.divergenceThreshold;
        this.costBudget = b.costBudget;
        this.judge = b.judge;
        this.stopOnConvergence = b.stopOnConvergence;
        this.stopOnConsensus = b.stopOnConsensus;
        this.consensusRounds = b.consensusRounds;
    }

    /**
     * A builder with the defaults: minRounds 2, maxRounds 5, improvement threshold 0.05 relative, loss minimized,
     * patience 1, no gates, no divergence bound, no budget, no judge, convergence on, consensus off (2 rounds).
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A builder holding this configuration, to derive a changed copy.
     *
     * @return a new builder
     */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.minRounds = minRounds;
        b.maxRounds = maxRounds;
        b.improvementThreshold = improvementThreshold;
        b.improvementMode = improvementMode;
        b.monitor = monitor;
        b.patience = patience;
        b.qualityGates.addAll(qualityGates);
        b.divergenceThreshold = divergenceThreshold;
        b.costBudget = costBudget;
        b.judge = judge;
        b.stopOnConvergence = stopOnConvergence;
        b.stopOnConsensus = stopOnConsensus;
        b.consensusRounds = consensusRounds;
        return b;
    }

    /**
     * Decides whether to stop after the latest round of the history.
     *
     * @param history every round so far, oldest first, rounds strictly increasing; it must start at the run's
     *                first round, since the best value is the best of the whole history
     * @return the decision, with the rule that decided and a sentence carrying the numbers
     * @throws IllegalArgumentException if the history is null, empty, holds a null, does not strictly increase
     *                                  in round, lacks the monitored metric in a round, or (with a budget) lacks
     *                                  a finite cumulative {@code cost} in its last two rounds
     * @throws IllegalStateException    if the judge returns null
     */
    public StopDecision shouldStop(List<RefinementResult> history) {
        checkHistory(history);
        StopDecision d = decide(history, scan(history));
        LOG.debug("{}", d.reasoning());
        return d;
    }

    // ---- the decision ---------------------------------------------------------------------------------------

    private StopDecision decide(List<RefinementResult> h, Scan s) {
        RefinementResult last = h.get(h.size() - 1);
        int round = last.round();
        String name = monitor.name();
        int bestRound = s.bestIndex < 0 ? 0 : h.get(s.bestIndex).round();
        double bestValue = s.bestIndex < 0 ? Double.NaN : s.bestValue;
        String best = s.bestIndex < 0 ? "no finite value so far"
                : "best " + Numbers.format(bestValue) + " at round " + bestRound;

        if (!Double.isFinite(s.lastValue)) {
            return decision(StopReason.NON_FINITE, "stop at round " + round + ": " + name + " is "
                    + s.lastValue + "; " + best, round, bestRound, bestValue);
        }
        if (!Double.isNaN(divergenceThreshold) && monitor.gain(s.lastValue, divergenceThreshold) < 0) {
            return decision(StopReason.DIVERGED, "stop at round " + round + ": " + name + " "
                    + Numbers.format(s.lastValue) + " is worse than the divergence bound "
                    + Numbers.format(divergenceThreshold) + "; " + best, round, bestRound, bestValue);
        }
        String budget = budgetExceeded(h);
        if (budget != null) {
            return decision(StopReason.BUDGET, "stop at round " + round + ": " + budget, round, bestRound, bestValue);
        }

        boolean atMax = round >= maxRounds;
        String progress = progress(h, s);
        if (round < minRounds && !atMax) {
            return decision(StopReason.MIN_ROUNDS, "continue at round " + round + ": minRounds " + minRounds
                    + " not reached; " + progress, round, bestRound, bestValue);
        }

        StopReason fired = null;
        String firedText = null;
        if (stopOnConvergence && s.nonImproving >= patience) {
            fired = StopReason.CONVERGED;
            firedText = patience == 1 ? progress
                    : name + " improved less than the " + thresholdText() + " threshold in each of the last "
                    + s.nonImproving + " results (patience " + patience + "); latest: " + progress;
        } else if (stopOnConsensus) {
            firedText = consensus(h);
            fired = firedText == null ? null : StopReason.CONSENSUS;
        }
        List<String> unmet = unmetGates(last);
        if (fired != null) {
            if (unmet.isEmpty()) {
                return decision(fired, "stop at round " + round + ": " + firedText, round, bestRound, bestValue);
            }
            String blocked = firedText + ", but " + gateText(unmet);
            if (atMax) {
                return decision(StopReason.MAX_ROUNDS, "stop at round " + round + ": reached maxRounds " + maxRounds
                        + " (capped); " + blocked, round, bestRound, bestValue);
            }
            return decision(StopReason.QUALITY_GATE_UNMET, "continue at round " + round + ": " + blocked,
                    round, bestRound, bestValue);
        }
        String pending = stopOnConvergence && s.nonImproving > 0
                ? "; " + s.nonImproving + " of patience " + patience + " results without improvement" : "";
        if (atMax) {
            return decision(StopReason.MAX_ROUNDS, "stop at round " + round + ": reached maxRounds " + maxRounds
                    + " (capped) while " + progress + pending + (unmet.isEmpty() ? "" : "; " + gateText(unmet)),
                    round, bestRound, bestValue);
        }
        String judgeNote = "";
        if (judge != null && unmet.isEmpty()) {
            TerminationJudge.Verdict v = judge.judge(Collections.unmodifiableList(h));
            if (v == null) {
                throw new IllegalStateException("the termination judge returned null at round " + round
                        + "; return Verdict.stop(...) or Verdict.keepGoing(...)");
            }
            if (v.stop()) {
                return decision(StopReason.JUDGE, "stop at round " + round + ": the judge asked to stop ("
                        + v.reason() + ") while " + progress, round, bestRound, bestValue);
            }
            judgeNote = "; the judge said go on (" + v.reason() + ")";
        }
        return decision(StopReason.CONTINUE, "continue at round " + round + ": " + progress + pending + judgeNote
                + (unmet.isEmpty() ? "" : "; " + gateText(unmet)), round, bestRound, bestValue);
    }

    private static StopDecision decision(StopReason reason, String reasoning, int round, int bestRound,
                                         double bestValue) {
        return new StopDecision(reason.isStop(), reason, reasoning, round, bestRound, bestValue);
    }

    /** How the latest result compares with the best before it, e.g. "loss improved 2.1% over round 2, ...". */
    private String progress(List<RefinementResult> h, Scan s) {
        String name = monitor.name();
        if (s.referenceIndex < 0) {
            return name + " " + Numbers.format(s.lastValue) + " is the first finite value";
        }
        int refRound = h.get(s.referenceIndex).round();
        String values = " (" + Numbers.format(s.referenceValue) + " -> " + Numbers.format(s.lastValue) + ")";
        if (s.lastGain <= 0) {
            return name + " did not improve on round " + refRound + values;
        }
        boolean absolute = improvementMode == ImprovementMode.ABSOLUTE || s.referenceValue == 0;
        String amount = absolute ? "by " + Numbers.format(s.lastImprovement) : Numbers.percent(s.lastImprovement);
        String zeroNote = improvementMode == ImprovementMode.RELATIVE && s.referenceValue == 0
                ? " (absolute, as the best was 0)" : "";
        String threshold = improvementMode == ImprovementMode.RELATIVE && s.referenceValue == 0
                ? Numbers.format(improvementThreshold) : thresholdText();
        return name + " improved " + amount + " over round " + refRound + zeroNote
                + (s.lastImproving ? ", at or above the " : ", below the ") + threshold + " threshold" + values;
    }

    private String thresholdText() {
        return improvementMode == ImprovementMode.RELATIVE ? Numbers.percent(improvementThreshold)
                : Numbers.format(improvementThreshold);
    }

    /** The stop sentence for the budget, or null when the budget allows another round. */
    private String budgetExceeded(List<RefinementResult> h) {
        if (Double.isNaN(costBudget)) {
            return null;
        }
        RefinementResult last = h.get(h.size() - 1);
        double cost = costOf(last);
        double before = 0;
        if (h.size() > 1) {
            RefinementResult prev = h.get(h.size() - 2);
            before = costOf(prev);
            if (cost < before) {
                throw new IllegalArgumentException("metric 'cost' must be cumulative: round " + last.round()
                        + " reports " + cost + ", less than round " + prev.round() + "'s " + before);
            }
        }
        if (cost >= costBudget) {
            return "cost " + Numbers.format(cost) + " reached the budget of " + Numbers.format(costBudget);
        }
        double step = cost - before;
        if (cost + step > costBudget) {
            return "cost " + Numbers.format(cost) + " of the budget " + Numbers.format(costBudget)
                    + " is spent, and one more round costing as much as the last (" + Numbers.format(step)
                    + ") would bring it to " + Numbers.format(cost + step);
        }
        return null;
    }

    private static double costOf(RefinementResult r) {
        Double c = r.metrics().get(RefinementResult.COST);
        if (c == null || !Double.isFinite(c)) {
            throw new IllegalArgumentException("round " + r.round() + " has " + (c == null ? "no" : "a non-finite")
                    + " metric 'cost'; with a costBudget every round must report its cumulative cost");
        }
        return c;
    }

    /** The consensus sentence, or null when the majority answer changed (or was missing) in the window. */
    private String consensus(List<RefinementResult> h) {
        int n = h.size();
        if (n < consensusRounds) {
            return null;
        }
        String answer = null;
        for (int i = n - consensusRounds; i < n; i++) {
            Optional<String> m = majorityAnswer(h.get(i).answers());
            if (m.isEmpty() || (answer != null && !answer.equals(m.get()))) {
                return null;
            }
            answer = m.get();
        }
        List<String> lastAnswers = h.get(n - 1).answers();
        int votes = Collections.frequency(lastAnswers, answer);
        return "majority answer \"" + answer + "\" (" + votes + " of " + lastAnswers.size() + " in round "
                + h.get(n - 1).round() + ") unchanged for " + consensusRounds + " consecutive rounds (rounds "
                + h.get(n - consensusRounds).round() + " to " + h.get(n - 1).round() + ")";
    }

    private List<String> unmetGates(RefinementResult last) {
        List<String> unmet = new ArrayList<>(0);
        for (QualityGate g : qualityGates) {
            if (!g.isMet(last)) {
                String actual = last.value(g.metric()).isPresent()
                        ? "is " + Numbers.format(last.value(g.metric()).getAsDouble())
                        : "is not reported";
                unmet.add(g.describe() + " (" + actual + " at round " + last.round() + ")");
            }
        }
        return unmet;
    }

    private static String gateText(List<String> unmet) {
        return (unmet.size() == 1 ? "quality gate " : "quality gates ") + String.join(" and ", unmet)
                + (unmet.size() == 1 ? " is unmet" : " are unmet");
    }

    // ---- one pass over the history ---------------------------------------------------------------------------

    /** What one pass over the history learns; everything the decision needs. */
    private static final class Scan {
        int bestIndex = -1;
        double bestValue = Double.NaN;
        /** Consecutive non-improving results at the end of the history. */
        int nonImproving;
        double lastValue;
        /** The best result before the latest one, or -1 if the latest is the first finite value. */
        int referenceIndex = -1;
        double referenceValue = Double.NaN;
        double lastGain = Double.NaN;
        double lastImprovement = Double.NaN;
        boolean lastImproving;
    }

    private Scan scan(List<RefinementResult> h) {
        Scan s = new Scan();
        int n = h.size();
        double minImprovement = improvementThreshold * (1 - ROUNDING);
        for (int i = 0; i < n; i++) {
            double v = monitor.valueOf(h.get(i));
            boolean isLast = i == n - 1;
            if (isLast) {
                s.lastValue = v;
            }
            if (!Double.isFinite(v)) {
                s.nonImproving++;
                continue;
            }
            if (s.bestIndex < 0) {
                s.bestIndex = i;
                s.bestValue = v;
                s.nonImproving = 0;
                s.lastImproving = isLast;
                continue;
            }
            double gain = monitor.gain(v, s.bestValue);
            double improvement = improvementMode == ImprovementMode.ABSOLUTE || s.bestValue == 0
                    ? gain : gain / Math.abs(s.bestValue);
            boolean improving = gain > 0 && improvement >= minImprovement;
            if (isLast) {
                s.referenceIndex = s.bestIndex;
                s.referenceValue = s.bestValue;
                s.lastGain = gain;
                s.lastImprovement = improvement;
                s.lastImproving = improving;
            }
            if (gain > 0) {
                s.bestIndex = i;
                s.bestValue = v;
            }
            s.nonImproving = improving ? 0 : s.nonImproving + 1;
        }
        return s;
    }

    private static void checkHistory(List<RefinementResult> history) {
        if (history == null) {
            throw new IllegalArgumentException("history must not be null");
        }
        if (history.isEmpty()) {
            throw new IllegalArgumentException("history must not be empty: record at least one RefinementResult");
        }
        RefinementResult prev = null;
        for (int i = 0; i < history.size(); i++) {
            RefinementResult r = history.get(i);
            if (r == null) {
                throw new IllegalArgumentException("history[" + i + "] is null");
            }
            if (prev != null && r.round() <= prev.round()) {
                throw new IllegalArgumentException("history: round " + r.round() + " at index " + i
                        + " does not come after round " + prev.round() + " at index " + (i - 1)
                        + "; rounds must strictly increase");
            }
            prev = r;
        }
    }

    // ---- answers ---------------------------------------------------------------------------------------------

    /**
     * The majority answer of a round: the most frequent answer, compared verbatim, provided no other answer is
     * as frequent (a tie means there is no majority).
     *
     * @param answers the agents' answers
     * @return the majority answer, or empty for no answers or a tie
     */
    public static Optional<String> majorityAnswer(List<String> answers) {
        Map<String, Integer> counts = new HashMap<>();
        for (String a : answers) {
            counts.merge(a, 1, Integer::sum);
        }
        String top = null;
        int topCount = 0;
        boolean tie = false;
        for (Map.Entry<String, Integer> e : counts.entrySet()) {
            if (e.getValue() > topCount) {
                top = e.getKey();
                topCount = e.getValue();
                tie = false;
            } else if (e.getValue() == topCount) {
                tie = true;
            }
        }
        return top == null || tie ? Optional.empty() : Optional.of(top);
    }

    /**
     * The share of answers that agree with the most frequent one, a number an LLM refinement loop can record as
     * its validation score and monitor (maximized).
     *
     * @param answers the agents' answers
     * @return a share in [0, 1]; 0 for no answers
     */
    public static double agreement(List<String> answers) {
        if (answers.isEmpty()) {
            return 0;
        }
        Map<String, Integer> counts = new HashMap<>();
        int top = 0;
        for (String a : answers) {
            top = Math.max(top, counts.merge(a, 1, Integer::sum));
        }
        return (double) top / answers.size();
    }

    // ---- configuration accessors -----------------------------------------------------------------------------

    /**
     * The smallest round number at which an early stop is allowed.
     *
     * @return minRounds
     */
    public int minRounds() {
        return minRounds;
    }

    /**
     * The round number at which the run always stops.
     *
     * @return maxRounds
     */
    public int maxRounds() {
        return maxRounds;
    }

    /**
     * The smallest improvement that counts, relative or absolute per {@link #improvementMode()}.
     *
     * @return the threshold
     */
    public double improvementThreshold() {
        return improvementThreshold;
    }

    /**
     * How improvement is measured.
     *
     * @return the mode
     */
    public ImprovementMode improvementMode() {
        return improvementMode;
    }

    /**
     * The watched value and its direction.
     *
     * @return the monitor
     */
    public Monitor monitor() {
        return monitor;
    }

    /**
     * How many non-improving results in a row stop the run (CONVERGED).
     *
     * @return patience
     */
    public int patience() {
        return patience;
    }

    /**
     * The gates every early stop must pass.
     *
     * @return an unmodifiable list
     */
    public List<QualityGate> qualityGates() {
        return qualityGates;
    }

    /**
     * The divergence bound.
     *
     * @return the bound, or {@code NaN} when none is set
     */
    public double divergenceThreshold() {
        return divergenceThreshold;
    }

    /**
     * The budget on the cumulative {@code cost} metric.
     *
     * @return the budget, or {@code NaN} when none is set
     */
    public double costBudget() {
        return costBudget;
    }

    /**
     * The judge consulted once minRounds is reached.
     *
     * @return the judge, if any
     */
    public Optional<TerminationJudge> judge() {
        return Optional.ofNullable(judge);
    }

    /**
     * Whether the convergence rule (CONVERGED) is on.
     *
     * @return true if on
     */
    public boolean stopOnConvergence() {
        return stopOnConvergence;
    }

    /**
     * Whether the consensus rule (CONSENSUS) is on.
     *
     * @return true if on
     */
    public boolean stopOnConsensus() {
        return stopOnConsensus;
    }

    /**
     * How many consecutive rounds must share the majority answer for CONSENSUS.
     *
     * @return the number of rounds
     */
    public int consensusRounds() {
        return consensusRounds;
    }

    /**
     * The configuration in one line.
     *
     * @return a description of every setting
     */
    @Override
    public String toString() {
        return "TumixTermination[monitor=" + monitor.name() + " " + monitor.direction()
                + ", minRounds=" + minRounds + ", maxRounds=" + maxRounds
                + ", improvementThreshold=" + Numbers.format(improvementThreshold) + " " + improvementMode
                + ", patience=" + patience + ", qualityGates=" + qualityGates.stream().map(QualityGate::describe).toList()
                + ", divergenceThreshold=" + Numbers.format(divergenceThreshold)
                + ", costBudget=" + Numbers.format(costBudget)
                + ", judge=" + (judge != null) + ", stopOnConvergence=" + stopOnConvergence
                + ", stopOnConsensus=" + stopOnConsensus + ", consensusRounds=" + consensusRounds + "]";
    }

    /**
     * Collects a {@link TumixTermination} configuration. Each setter checks its own argument and throws
     * {@link IllegalArgumentException} naming the field; {@link #build()} checks the settings against each other.
     */
    public static final class Builder {
        private int minRounds = 2;
        private int maxRounds = 5;
        private double improvementThreshold = 0.05;
        private ImprovementMode improvementMode = ImprovementMode.RELATIVE;
        private Monitor monitor = Monitor.loss();
        private int patience = 1;
        private final List<QualityGate> qualityGates = new ArrayList<>();
        private double divergenceThreshold = Double.NaN;
        private double costBudget = Double.NaN;
        private TerminationJudge judge;
        private boolean stopOnConvergence = true;
        private boolean stopOnConsensus;
        private int consensusRounds = 2;

        private Builder() {
        }

        /**
         * The smallest round number at which an early stop (CONVERGED, CONSENSUS, JUDGE) is allowed. Default 2,
         * the paper's minimum.
         *
         * @param minRounds 1 or more
         * @return this builder
         */
        public Builder minRounds(int minRounds) {
            if (minRounds < 1) {
                throw new IllegalArgumentException("minRounds must be 1 or more, got " + minRounds);
            }
            this.minRounds = minRounds;
            return this;
        }

        /**
         * The round number at which the run always stops. Default 5.
         *
         * @param maxRounds 1 or more, and not below minRounds
         * @return this builder
         */
        public Builder maxRounds(int maxRounds) {
            if (maxRounds < 1) {
                throw new IllegalArgumentException("maxRounds must be 1 or more, got " + maxRounds);
            }
            this.maxRounds = maxRounds;
            return this;
        }

        /**
         * The smallest improvement over the best earlier value that counts. Default 0.05 (5%, relative). With 0 any
         * strict improvement counts.
         *
         * @param improvementThreshold finite and not negative
         * @return this builder
         */
        public Builder improvementThreshold(double improvementThreshold) {
            if (!(improvementThreshold >= 0) || Double.isInfinite(improvementThreshold)) {
                throw new IllegalArgumentException("improvementThreshold must be finite and not negative, got "
                        + improvementThreshold);
            }
            this.improvementThreshold = improvementThreshold;
            return this;
        }

        /**
         * Whether the threshold is relative to the best value (default) or absolute in the monitored unit.
         *
         * @param improvementMode the mode
         * @return this builder
         */
        public Builder improvementMode(ImprovementMode improvementMode) {
            if (improvementMode == null) {
                throw new IllegalArgumentException("improvementMode must not be null (RELATIVE or ABSOLUTE)");
            }
            this.improvementMode = improvementMode;
            return this;
        }

        /**
         * The watched value. Default {@link Monitor#loss()}.
         *
         * @param monitor the monitor
         * @return this builder
         */
        public Builder monitor(Monitor monitor) {
            if (monitor == null) {
                throw new IllegalArgumentException("monitor must not be null");
            }
            this.monitor = monitor;
            return this;
        }

        /**
         * How many results in a row must fail to improve before a CONVERGED stop. Default 1.
         *
         * @param patience 1 or more
         * @return this builder
         */
        public Builder patience(int patience) {
            if (patience < 1) {
                throw new IllegalArgumentException("patience must be 1 or more, got " + patience);
            }
            this.patience = patience;
            return this;
        }

        /**
         * Adds a gate every early stop must pass.
         *
         * @param gate the gate
         * @return this builder
         */
        public Builder qualityGate(QualityGate gate) {
            if (gate == null) {
                throw new IllegalArgumentException("qualityGate must not be null");
            }
            qualityGates.add(gate);
            return this;
        }

        /**
         * Adds the gate {@code metric >= bound}, e.g. {@code explained_variance >= 0.8}.
         *
         * @param metric a field or metric name
         * @param bound  the smallest acceptable value
         * @return this builder
         */
        public Builder requireAtLeast(String metric, double bound) {
            return qualityGate(QualityGate.atLeast(metric, bound));
        }

        /**
         * Adds the gate {@code metric <= bound}, e.g. {@code l0 <= 64}.
         *
         * @param metric a field or metric name
         * @param bound  the largest acceptable value
         * @return this builder
         */
        public Builder requireAtMost(String metric, double bound) {
            return qualityGate(QualityGate.atMost(metric, bound));
        }

        /**
         * Stops at once when the monitored value is worse than this bound (greater when minimizing, smaller when
         * maximizing), like Lightning's {@code divergence_threshold}. Default none.
         *
         * @param divergenceThreshold a finite bound
         * @return this builder
         */
        public Builder divergenceThreshold(double divergenceThreshold) {
            if (!Double.isFinite(divergenceThreshold)) {
                throw new IllegalArgumentException("divergenceThreshold must be finite, got " + divergenceThreshold);
            }
            this.divergenceThreshold = divergenceThreshold;
            return this;
        }

        /**
         * A budget on the cumulative {@link RefinementResult#COST} metric, which every round must then report.
         * The run stops when the cost reached the budget, or when one more round costing as much as the last one
         * would overrun it. Default none.
         *
         * @param costBudget finite and positive, in the unit of the cost metric
         * @return this builder
         */
        public Builder costBudget(double costBudget) {
            if (!(costBudget > 0) || Double.isInfinite(costBudget)) {
                throw new IllegalArgumentException("costBudget must be finite and positive, got " + costBudget);
            }
            this.costBudget = costBudget;
            return this;
        }

        /**
         * A judge consulted once minRounds is reached (the paper's LLM-judge stop). Default none; null removes it.
         *
         * @param judge the judge, or null
         * @return this builder
         */
        public Builder judge(TerminationJudge judge) {
            this.judge = judge;
            return this;
        }

        /**
         * Whether the convergence rule is on. Default true; turn it off to stop only by judge, consensus or cap,
         * as the paper does.
         *
         * @param stopOnConvergence true to stop when improvement stalls
         * @return this builder
         */
        public Builder stopOnConvergence(boolean stopOnConvergence) {
            this.stopOnConvergence = stopOnConvergence;
            return this;
        }

        /**
         * Whether to stop when the majority answer stays the same for {@link #consensusRounds(int)} consecutive
         * rounds (the paper's rule-based variant). Default false.
         *
         * @param stopOnConsensus true to turn the rule on
         * @return this builder
         */
        public Builder stopOnConsensus(boolean stopOnConsensus) {
            this.stopOnConsensus = stopOnConsensus;
            return this;
        }

        /**
         * How many consecutive rounds must share the majority answer for CONSENSUS. Default 2: the latest round and
         * the one before agree.
         *
         * @param consensusRounds 2 or more
         * @return this builder
         */
        public Builder consensusRounds(int consensusRounds) {
            if (consensusRounds < 2) {
                throw new IllegalArgumentException("consensusRounds must be 2 or more, got " + consensusRounds);
            }
            this.consensusRounds = consensusRounds;
            return this;
        }

        /**
         * Builds the immutable configuration.
         *
         * @return the termination rule
         * @throws IllegalArgumentException if minRounds exceeds maxRounds
         */
        public TumixTermination build() {
            if (minRounds > maxRounds) {
                throw new IllegalArgumentException("minRounds (" + minRounds + ") must not exceed maxRounds ("
                        + maxRounds + ")");
            }
            return new TumixTermination(this);
        }
    }
}

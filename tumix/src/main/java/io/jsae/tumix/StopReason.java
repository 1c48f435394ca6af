package io.jsae.tumix;

/**
 * Why {@link TumixTermination} decided as it did. Three reasons continue ({@link #isStop()} false), the others
 * stop. When several rules fire at once the precedence is, from strongest:
 * NON_FINITE, DIVERGED, BUDGET, then (once {@code minRounds} is reached and every quality gate is met)
 * CONVERGED, CONSENSUS, JUDGE, then MAX_ROUNDS, then the continue reasons.
 */
public enum StopReason {
    /** Continue: no rule stops (the monitored value still improves, or patience is not used up). */
    CONTINUE(false),
    /** Continue: fewer than {@code minRounds} rounds are complete, so no early stop is allowed yet. */
    MIN_ROUNDS(false),
    /** Continue: an early-stop rule fired but a quality gate is unmet; the reasoning names the gate. */
    QUALITY_GATE_UNMET(false),
    /** Stop: {@code maxRounds} is reached and no early-stop rule would have stopped here (the run was capped). */
    MAX_ROUNDS(true),
    /** Stop: the monitored value improved by less than the threshold for {@code patience} results in a row. */
    CONVERGED(true),
    /** Stop: the monitored value is worse than the divergence bound. */
    DIVERGED(true),
    /** Stop: the monitored value of the latest round is NaN or infinite. */
    NON_FINITE(true),
    /** Stop: the cumulative cost reached the budget, or one more round like the last would overrun it. */
    BUDGET(true),
    /** Stop: the {@link TerminationJudge} asked to stop. */
    JUDGE(true),
    /** Stop: the majority answer stayed the same for the configured number of consecutive rounds. */
    CONSENSUS(true);

    private final boolean stop;

    StopReason(boolean stop) {
        this.stop = stop;
    }

    /**
     * Whether this reason stops the run.
     *
     * @return true for a stop reason, false for CONTINUE, MIN_ROUNDS and QUALITY_GATE_UNMET
     */
    public boolean isStop() {
        return stop;
    }
}

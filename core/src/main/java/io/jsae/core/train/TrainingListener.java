package io.jsae.core.train;

/**
 * Receives a trainer's per-step and per-epoch reports and may ask it to stop (e.g. a TUMIX rule, a cost
 * budget, a progress line). A stop takes effect after the current step; nothing already trained is lost.
 */
public interface TrainingListener {

    /** What the trainer should do next. */
    enum Action {
        /** Go on. */
        CONTINUE,
        /** Stop after this step (or epoch). */
        STOP
    }

    /**
     * @param report the step just taken
     * @return whether to go on
     */
    default Action onStep(StepReport report) {
        return Action.CONTINUE;
    }

    /**
     * @param summary the epoch (or token-budget round) just finished
     * @return whether to go on to another round (advisory for callers that loop over rounds)
     */
    default Action onEpoch(EpochSummary summary) {
        return Action.CONTINUE;
    }
}

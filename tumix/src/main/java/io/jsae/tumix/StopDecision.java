package io.jsae.tumix;

/**
 * What {@link TumixTermination#shouldStop(java.util.List)} decided after the latest round.
 *
 * @param shouldStop whether to stop now; always equal to {@code reason.isStop()}
 * @param reason     the rule that decided
 * @param reasoning  one sentence with the numbers that decided, e.g.
 *                   {@code stop at round 3: loss improved 2.1% over round 2, below the 5.0% threshold}
 * @param round      the latest round of the history
 * @param bestRound  the round with the best finite monitored value (the earliest on ties); 0 if none is finite
 * @param bestValue  that value; {@code NaN} if none is finite
 */
public record StopDecision(boolean shouldStop, StopReason reason, String reasoning, int round, int bestRound,
                           double bestValue) {

    /**
     * Validates the decision.
     *
     * @param shouldStop whether to stop now
     * @param reason the rule that decided
     * @param reasoning the sentence with the numbers
     * @param round the latest round
     * @param bestRound the round with the best value, 0 if none
     * @param bestValue the best value, NaN if none
     * @throws IllegalArgumentException if the reason is missing, the reasoning blank, or
     *                                  {@code shouldStop} disagrees with the reason
     */
    public StopDecision {
        if (reason == null) {
            throw new IllegalArgumentException("reason must not be null");
        }
        if (reasoning == null || reasoning.isBlank()) {
            throw new IllegalArgumentException("reasoning must not be blank");
        }
        if (shouldStop != reason.isStop()) {
            throw new IllegalArgumentException("shouldStop " + shouldStop + " contradicts reason " + reason);
        }
    }
}

package io.jsae.tumix;

import java.util.List;

/**
 * An outside opinion on whether to stop, consulted by {@link TumixTermination} once {@code minRounds} is reached:
 * the stop rule of the TUMIX paper, where an LLM reads the rounds so far and judges whether further refinement
 * is worth it.
 *
 * <p>It is consulted only when it can change the outcome: not before {@code minRounds}, not at or after
 * {@code maxRounds} (the stop is certain there), not when a cheaper rule already stops, and not while a quality
 * gate is unmet. {@link TumixTermination#shouldStop(List)} is a pure function of the history only if the judge
 * is; an LLM judge should therefore run at temperature 0 or have its verdicts recorded and replayed.
 */
@FunctionalInterface
public interface TerminationJudge {

    /**
     * Judges the history.
     *
     * @param history the rounds so far, oldest first, never empty, unmodifiable
     * @return the verdict, never null
     */
    Verdict judge(List<RefinementResult> history);

    /**
     * A judge's answer.
     *
     * @param stop   whether the judge asks to stop
     * @param reason the judge's reason, quoted in the decision's reasoning
     */
    record Verdict(boolean stop, String reason) {

        /**
         * Validates the reason.
         *
         * @param stop whether the judge asks to stop
         * @param reason the judge's reason
         * @throws IllegalArgumentException if the reason is null
         */
        public Verdict {
            if (reason == null) {
                throw new IllegalArgumentException("judge verdict reason must not be null (use \"\")");
            }
        }

        /**
         * A verdict asking to stop.
         *
         * @param reason why
         * @return the verdict
         */
        public static Verdict stop(String reason) {
            return new Verdict(true, reason);
        }

        /**
         * A verdict asking to go on.
         *
         * @param reason why
         * @return the verdict
         */
        public static Verdict keepGoing(String reason) {
            return new Verdict(false, reason);
        }
    }
}

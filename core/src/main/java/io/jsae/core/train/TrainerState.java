package io.jsae.core.train;

import java.util.List;
import java.util.Map;

/**
 * The trainer's own state in a checkpoint ({@code trainer.json}): everything besides the tensors that a
 * resumed run needs to continue exactly where the interrupted one stopped. The data stream's position
 * (epoch and rows read) is all the stream needs, since a shuffling source derives its order from its seed and
 * the epoch; the run has no other random state after initialization.
 *
 * @param formatVersion    checkpoint format version ({@link #FORMAT_VERSION})
 * @param dIn              model width, checked on resume
 * @param dSae             latents, checked on resume
 * @param architecture     activation kind, checked on resume
 * @param k                k of the top-k kinds (0 otherwise), checked on resume
 * @param seed             config seed, checked on resume
 * @param step             steps taken (the learning-rate schedule position)
 * @param tokensSeen       tokens trained on
 * @param rounds           training rounds (epochs or token budgets) finished
 * @param sourceEpoch      epoch of the activation stream
 * @param sourceRow        rows already read in that epoch
 * @param adamStep         Adam steps taken
 * @param inputScale       input normalization factor
 * @param threshold        batchtopk inference threshold, null when none
 * @param tokensSinceFired per-latent dead-latent counters
 * @param history          per-round metrics the caller recorded (e.g. for TUMIX), oldest first
 * @param round            sums of the round in progress (null between rounds), so that a round interrupted
 *                         and resumed reports the same summary as an uninterrupted one
 * @param score            value that ranks checkpoints for "keep the best" (lower is better), null if none
 * @param savedAt          ISO-8601 instant of the save
 */
public record TrainerState(int formatVersion, int dIn, int dSae, String architecture, int k, long seed, long step,
                           long tokensSeen, long rounds, long sourceEpoch, long sourceRow, long adamStep,
                           double inputScale, Double threshold, long[] tokensSinceFired,
                           List<Map<String, Double>> history, RoundProgress round, Double score, String savedAt) {
    /** Current checkpoint format version. */
    public static final int FORMAT_VERSION = 1;

    /**
     * Running sums of a training round.
     *
     * @param steps       steps so far
     * @param tokens      tokens so far
     * @param lossSum     Σ loss · rows
     * @param mseSum      Σ mse · rows
     * @param l0Sum       Σ l0 · rows
     * @param sse         Σ squared errors
     * @param variance    Σ batch variances
     * @param deadLatents dead latents after the last step
     * @param seconds     wall time spent training in the round
     */
    public record RoundProgress(long steps, long tokens, double lossSum, double mseSum, double l0Sum, double sse,
                                double variance, long deadLatents, double seconds) {

        /** @return these sums with one more step of {@code rows} rows */
        RoundProgress plus(int rows, io.jsae.core.backend.StepMetrics m, double secondsNow) {
            return new RoundProgress(steps + 1, tokens + rows, lossSum + m.loss() * rows, mseSum + m.mse() * rows,
                    l0Sum + m.l0() * rows, sse + m.sse(), variance + m.totalVariance(), m.deadLatents(), secondsNow);
        }

        /** @return the round's summary */
        EpochSummary summary(long roundIndex, int dSae, boolean stopRequested) {
            double n = Math.max(1, tokens);
            return new EpochSummary(roundIndex, steps, tokens, lossSum / n, mseSum / n, l0Sum / n,
                    variance > 0 ? 1 - sse / variance : Double.NaN, deadLatents / (double) dSae, seconds, stopRequested);
        }
    }
}

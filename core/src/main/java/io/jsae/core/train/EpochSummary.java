package io.jsae.core.train;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One epoch (or token-budget round) of training.
 *
 * @param epoch             zero-based round index
 * @param steps             steps taken in the round
 * @param tokens            tokens trained on in the round
 * @param meanLoss          token-weighted mean total loss
 * @param meanMse           token-weighted mean mse
 * @param l0                token-weighted mean active latents per token
 * @param explainedVariance 1 - Σsse / Σvariance over the round's batches (training batches, before each update)
 * @param deadFraction      fraction of latents dead at the end of the round
 * @param seconds           wall time of the round
 * @param stopRequested     whether a listener asked to stop during the round
 */
public record EpochSummary(long epoch, long steps, long tokens, double meanLoss, double meanMse, double l0,
                           double explainedVariance, double deadFraction, double seconds, boolean stopRequested) {

    /** @return tokens per second of the round */
    public double tokensPerSecond() {
        return seconds > 0 ? tokens / seconds : Double.NaN;
    }

    /** @return the scalars under SAELens-style names, e.g. for a TUMIX refinement result */
    public Map<String, Double> asMap() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("loss", meanLoss);
        m.put("mse", meanMse);
        m.put("l0", l0);
        m.put("explained_variance", explainedVariance);
        m.put("dead_features", deadFraction);
        m.put("tokens_per_second", tokensPerSecond());
        return m;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT,
                "epoch %d: %d steps, %d tokens, loss %.6g, mse %.6g, l0 %.2f, explained_variance %.4f, dead %.2f%%, %.0f tokens/s",
                epoch, steps, tokens, meanLoss, meanMse, l0, explainedVariance, 100 * deadFraction, tokensPerSecond());
    }
}

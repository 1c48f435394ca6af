package io.jsae.core.eval;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reconstruction and sparsity metrics of an SAE over an evaluation set, named as SAELens users know them
 * ({@link #asMap()}): {@code mse}, {@code fvu}, {@code explained_variance}, {@code l0},
 * {@code dead_features}, {@code dense_features}.
 *
 * <p>FVU is Σ‖x̂ - x‖² / Σ‖x - mean(x)‖² with the mean taken per evaluation batch; explained variance is
 * 1 - FVU. A latent is dead when it never fired on the evaluation tokens; dense when it fired on more than
 * {@link #DENSE_DENSITY} of them. The density histogram counts latents by log10 of their firing frequency in
 * bins of width {@link #HISTOGRAM_BIN_WIDTH} from {@link #HISTOGRAM_MIN} up to 0; dead latents are counted in
 * {@link #deadFeatures()} and not in the histogram.
 *
 * @param tokens            evaluation tokens
 * @param mse               mean over tokens of the squared error summed over dIn
 * @param fvu               fraction of variance unexplained
 * @param explainedVariance 1 - fvu
 * @param l0                mean active latents per token
 * @param deadFraction      fraction of latents that never fired
 * @param denseFraction     fraction of latents firing on more than 10% of tokens
 * @param deadFeatures      count of dead latents
 * @param log10DensityHistogram counts of latents per log10-density bin
 */
public record EvalMetrics(long tokens, double mse, double fvu, double explainedVariance, double l0, double deadFraction,
                          double denseFraction, long deadFeatures, long[] log10DensityHistogram) {

    /** Firing frequency above which a latent counts as dense. */
    public static final double DENSE_DENSITY = 0.1;
    /** Lower edge of the density histogram (log10). */
    public static final double HISTOGRAM_MIN = -8;
    /** Width of a density histogram bin (log10). */
    public static final double HISTOGRAM_BIN_WIDTH = 0.5;

    /**
     * Builds the metrics from accumulated sums.
     *
     * @param tokens        evaluation tokens
     * @param sse           sum of squared errors
     * @param totalVariance sum of per-batch squared deviations
     * @param activeEntries sum over tokens of active latents
     * @param fireCounts    per-latent count of tokens on which the latent fired
     * @return the metrics
     */
    public static EvalMetrics of(long tokens, double sse, double totalVariance, double activeEntries, long[] fireCounts) {
        if (tokens < 1) {
            throw new IllegalArgumentException("evaluation saw no tokens; give it a source with at least one row");
        }
        long dead = 0;
        long dense = 0;
        int bins = (int) Math.round(-HISTOGRAM_MIN / HISTOGRAM_BIN_WIDTH);
        long[] hist = new long[bins];
        for (long c : fireCounts) {
            if (c == 0) {
                dead++;
                continue;
            }
            double density = c / (double) tokens;
            if (density > DENSE_DENSITY) {
                dense++;
            }
            int bin = (int) Math.floor((Math.log10(density) - HISTOGRAM_MIN) / HISTOGRAM_BIN_WIDTH);
            hist[Math.max(0, Math.min(bins - 1, bin))]++;
        }
        double fvu = totalVariance > 0 ? sse / totalVariance : Double.NaN;
        int n = fireCounts.length;
        return new EvalMetrics(tokens, sse / tokens, fvu, 1 - fvu, activeEntries / tokens, dead / (double) n,
                dense / (double) n, dead, hist);
    }

    /** @return the metrics under their SAELens names */
    public Map<String, Double> asMap() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("mse", mse);
        m.put("fvu", fvu);
        m.put("explained_variance", explainedVariance);
        m.put("l0", l0);
        m.put("dead_features", deadFraction);
        m.put("dense_features", denseFraction);
        return m;
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT,
                "tokens=%d mse=%.6g fvu=%.4f explained_variance=%.4f l0=%.2f dead_features=%.4f dense_features=%.4f",
                tokens, mse, fvu, explainedVariance, l0, deadFraction, denseFraction);
    }
}

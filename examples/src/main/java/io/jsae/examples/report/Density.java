package io.jsae.examples.report;

import io.jsae.core.eval.EvalMetrics;

import java.util.Objects;

/**
 * How often each latent fired over an evaluation pass. A latent is dead when it fired on no token, and dense when its
 * density (fires / tokens) is above {@link EvalMetrics#DENSE_DENSITY}.
 *
 * @param tokens     evaluation tokens
 * @param fireCounts fireCounts[i]: tokens on which latent i fired, out of {@code tokens}
 */
public record Density(long tokens, long[] fireCounts) {

    /**
     * Checks that every count fits in {@code tokens}, so no density exceeds 1.
     *
     * @param tokens     evaluation tokens
     * @param fireCounts fireCounts[i]: tokens on which latent i fired, out of {@code tokens}
     * @throws IllegalArgumentException when tokens is negative or a count is negative or above tokens
     */
    public Density {
        Objects.requireNonNull(fireCounts, "fireCounts");
        if (tokens < 0) {
            throw new IllegalArgumentException("tokens must be at least 0, got " + tokens);
        }
        for (int i = 0; i < fireCounts.length; i++) {
            if (fireCounts[i] < 0 || fireCounts[i] > tokens) {
                throw new IllegalArgumentException("latent " + i + " fired " + fireCounts[i] + " times on "
                        + tokens + " tokens");
            }
        }
    }

    /** @return latents that never fired */
    public long deadCount() {
        long dead = 0;
        for (long c : fireCounts) {
            if (c == 0) {
                dead++;
            }
        }
        return dead;
    }

    /** @return latents whose density is above {@link EvalMetrics#DENSE_DENSITY} */
    public long denseCount() {
        long dense = 0;
        for (long c : fireCounts) {
            if (tokens > 0 && c / (double) tokens > EvalMetrics.DENSE_DENSITY) {
                dense++;
            }
        }
        return dense;
    }

    /**
     * Counts the live latents by log10 of their density, in {@link EvalMetrics}'s bins: bin b covers
     * [{@link EvalMetrics#HISTOGRAM_MIN} + b·{@link EvalMetrics#HISTOGRAM_BIN_WIDTH}, the next edge), up to 0.
     * Dead latents are not in it (see {@link #deadCount()}).
     *
     * @return counts per bin
     */
    public long[] log10Histogram() {
        if (tokens < 1) {
            // No tokens means every latent is dead (the constructor saw to it), so every bin is empty.
            return new long[binCount()];
        }
        // EvalMetrics.of bins exactly as the evaluation pass does; the sums it also takes are not used here.
        return EvalMetrics.of(tokens, 0, 1, 0, fireCounts).log10DensityHistogram();
    }

    /** @return the number of histogram bins */
    public static int binCount() {
        return (int) Math.round(-EvalMetrics.HISTOGRAM_MIN / EvalMetrics.HISTOGRAM_BIN_WIDTH);
    }

    /**
     * @param bin a bin index
     * @return the bin's lower edge, as log10 of density
     */
    public static double binLowerEdge(int bin) {
        return EvalMetrics.HISTOGRAM_MIN + bin * EvalMetrics.HISTOGRAM_BIN_WIDTH;
    }
}

package io.jsae.core.train;

import io.jsae.core.backend.StepMetrics;

/**
 * One training step as listeners see it.
 *
 * @param step         zero-based index of the step just taken
 * @param tokensSeen   tokens trained on so far, this step included
 * @param learningRate rate used by the step
 * @param metrics      the step's scalars
 * @param dSae         latent count (for dead fractions)
 */
public record StepReport(long step, long tokensSeen, double learningRate, StepMetrics metrics, int dSae) {
    /** @return fraction of latents dead after the step */
    public double deadFraction() {
        return metrics.deadLatents() / (double) dSae;
    }
}

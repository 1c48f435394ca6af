package io.jsae.examples.report;

/**
 * One sampled training step. Any of the doubles may be NaN when it was not measured at that step.
 *
 * @param step              optimizer step
 * @param tokens            tokens trained on so far
 * @param loss              training loss
 * @param explainedVariance 1 - fraction of variance unexplained
 * @param l0                mean active latents per token
 * @param deadFraction      fraction of latents counted dead
 * @param learningRate      learning rate used at this step
 * @param dollars           cost of the run so far, in US dollars
 */
public record StepPoint(long step, long tokens, double loss, double explainedVariance, double l0,
                        double deadFraction, double learningRate, double dollars) {
}

package io.jsae.core.backend;

/**
 * What a forward-only pass needs besides the batch.
 *
 * @param inputScale factor the backend multiplies the batch by first (1 when off)
 * @param threshold  batchtopk inference threshold: latents with {@code pre > threshold} are kept; NaN selects
 *                   the k·B largest of the batch as in training. Ignored by the other activations.
 */
public record EvalParameters(double inputScale, double threshold) {
}

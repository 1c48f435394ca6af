package io.jsae.core.backend;

import io.jsae.core.ParameterTensors;

/**
 * Everything a device SAE holds besides scratch space: weights, Adam moments and step count, tokens since
 * each latent last fired, and the batchtopk inference threshold (NaN when none).
 *
 * @param weights          weights
 * @param adamM            Adam first moments
 * @param adamV            Adam second moments
 * @param adamStep         Adam steps taken
 * @param tokensSinceFired per-latent tokens since the latent last fired
 * @param threshold        batchtopk inference threshold, NaN when none
 */
public record TrainingState(ParameterTensors weights, ParameterTensors adamM, ParameterTensors adamV, long adamStep,
                            long[] tokensSinceFired, double threshold) {

    /**
     * @param weights initial weights
     * @return the state of a fresh run: zero moments and counters, no threshold
     */
    public static TrainingState fresh(ParameterTensors weights) {
        return new TrainingState(weights, ParameterTensors.zeros(weights.dIn(), weights.dSae()),
                ParameterTensors.zeros(weights.dIn(), weights.dSae()), 0, new long[weights.dSae()], Double.NaN);
    }
}

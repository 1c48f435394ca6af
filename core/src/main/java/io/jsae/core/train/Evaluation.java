package io.jsae.core.train;

import io.jsae.core.backend.DeviceSae;
import io.jsae.core.backend.EvalParameters;
import io.jsae.core.backend.StepMetrics;
import io.jsae.core.data.ActivationSource;
import io.jsae.core.eval.EvalMetrics;

/** A forward-only pass of a device SAE over a source: reconstruction, L0 and per-latent firing counts. */
final class Evaluation {
    private Evaluation() {
    }

    /**
     * Evaluates on up to {@code maxTokens} tokens from the source's position (the source is left where the
     * reading stopped). The SAE's fire counts are reset first.
     *
     * @param sae       the device SAE
     * @param policy    input scale and batchtopk threshold
     * @param source    evaluation activations
     * @param maxTokens most tokens to read
     * @return the metrics
     */
    static EvalMetrics run(DeviceSae sae, TrainingPolicy policy, ActivationSource source, long maxTokens) {
        EvalParameters params = policy.evalParameters();
        sae.resetFireCounts();
        long tokens = 0;
        double sse = 0;
        double variance = 0;
        double active = 0;
        // While a batch is evaluated, the source may read the next into the SAE's following input buffer; every
        // read-ahead is taken by the next read, unless an error ends the loop first (then it is stopped).
        BatchReader batches = new BatchReader(sae, source);
        try {
            while (tokens < maxTokens) {
                int rows = batches.read((int) Math.min(sae.maxRows(), maxTokens - tokens));
                if (rows == 0) {
                    break;
                }
                long after = tokens + rows;
                if (after < maxTokens && !BatchReader.epochExhausted(source)) {
                    batches.readAhead((int) Math.min(sae.maxRows(), maxTokens - after));
                }
                StepMetrics m = sae.evaluate(rows, batches.inputType(), params);
                TrainingPolicy.checkFinite(m, "evaluation batch ending at " + source.position());
                tokens += rows;
                sse += m.sse();
                variance += m.totalVariance();
                active += m.l0() * rows;
            }
        } catch (RuntimeException | Error e) {
            batches.cancelReadAhead(e);
            throw e;
        }
        return EvalMetrics.of(tokens, sse, variance, active, sae.fireCounts());
    }
}

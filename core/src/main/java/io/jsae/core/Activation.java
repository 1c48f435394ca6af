package io.jsae.core;

/**
 * The sparsifying nonlinearity of an SAE, as in the project's design:
 * <ul>
 *   <li>{@link TopK}: per row keep the k largest of {@code relu(pre)}.</li>
 *   <li>{@link BatchTopK}: keep the {@code k·B} largest of {@code relu(pre)} over the batch; at inference a
 *       learned threshold (EMA of the smallest kept value) replaces the batch selection.</li>
 *   <li>{@link Relu}: {@code relu(pre)}, trained with the penalty {@code λ · Σ_j z_j · ‖W_dec[j]‖}.</li>
 *   <li>{@link JumpRelu}: {@code pre · [pre > θ_j]} with per-latent thresholds held by the model; for loading
 *       and running trained models (training it is not supported).</li>
 * </ul>
 */
public sealed interface Activation permits Activation.TopK, Activation.BatchTopK, Activation.Relu, Activation.JumpRelu {

    /** @return TopK with k kept latents per row */
    static Activation topK(int k) {
        return new TopK(k);
    }

    /** @return BatchTopK keeping k·B latents over a batch of B rows */
    static Activation batchTopK(int k) {
        return new BatchTopK(k);
    }

    /** @return ReLU with the given L1 coefficient λ */
    static Activation relu(double l1Coefficient) {
        return new Relu(l1Coefficient);
    }

    /** @return JumpReLU; the thresholds are part of the loaded model's weights */
    static Activation jumpRelu() {
        return new JumpRelu();
    }

    /** The SAELens architecture name ("topk", "batchtopk", "standard", "jumprelu"). */
    String architecture();

    /** Latents kept per row (k) for the top-k kinds; 0 for the others. */
    default int k() {
        return 0;
    }

    /**
     * Per-row top-k.
     *
     * @param k kept latents per row, at least 1
     */
    record TopK(int k) implements Activation {
        /** Validates k. */
        public TopK {
            if (k < 1) {
                throw new IllegalArgumentException("activation.k must be >= 1, was " + k);
            }
        }

        @Override
        public String architecture() {
            return "topk";
        }
    }

    /**
     * Batch top-k: k·B kept over a batch of B rows (k on average per row).
     *
     * @param k average kept latents per row, at least 1
     */
    record BatchTopK(int k) implements Activation {
        /** Validates k. */
        public BatchTopK {
            if (k < 1) {
                throw new IllegalArgumentException("activation.k must be >= 1, was " + k);
            }
        }

        @Override
        public String architecture() {
            return "batchtopk";
        }
    }

    /**
     * ReLU with an L1 penalty weighted by the decoder row norms.
     *
     * @param l1Coefficient λ, finite and non-negative
     */
    record Relu(double l1Coefficient) implements Activation {
        /** Validates λ. */
        public Relu {
            if (!Double.isFinite(l1Coefficient) || l1Coefficient < 0) {
                throw new IllegalArgumentException("activation.l1Coefficient must be finite and >= 0, was " + l1Coefficient);
            }
        }

        @Override
        public String architecture() {
            return "standard";
        }
    }

    /** JumpReLU with per-latent thresholds stored in the model. */
    record JumpRelu() implements Activation {
        @Override
        public String architecture() {
            return "jumprelu";
        }
    }
}

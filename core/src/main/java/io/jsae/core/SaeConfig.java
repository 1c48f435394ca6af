package io.jsae.core;

import java.util.Objects;

/**
 * Immutable configuration of an SAE and its training. Build with {@link #builder(int, int)}; every setter
 * validates, and {@link Builder#build()} checks the fields against each other, naming the field at fault.
 *
 * @param dIn             input width (the model's hidden size, e.g. 4096)
 * @param dSae            number of latents
 * @param activation      sparsifying nonlinearity
 * @param learningRate    peak Adam learning rate
 * @param adamBeta1       Adam β1 (default 0.9)
 * @param adamBeta2       Adam β2 (default 0.999)
 * @param adamEps         Adam ε (default 6.25e-10)
 * @param batchSize       tokens per training step
 * @param warmupSteps     steps of linear learning-rate warm-up from 0
 * @param decayFraction   fraction of {@code totalSteps} at the end over which the rate decays linearly to 0
 * @param totalSteps      planned training steps (for the decay); 0 means no decay
 * @param kAux            AuxK: dead pre-activations used to reconstruct the residual (default dIn/2)
 * @param deadTokens      AuxK: a latent is dead after this many tokens without firing (default 10M)
 * @param auxCoefficient  AuxK: weight of the auxiliary loss (default 1/32; 0 disables AuxK)
 * @param normalizeInput  scale inputs so that E‖x‖² = dIn (factor saved with the model, folded out at export)
 * @param bDecInit        how {@code b_dec} is initialised from a sample of inputs
 * @param seed            seed of every random choice (initial weights)
 * @param precision       operand precision of the encoder GEMM (default FP32)
 */
public record SaeConfig(int dIn, int dSae, Activation activation, double learningRate, double adamBeta1,
                        double adamBeta2, double adamEps, int batchSize, long warmupSteps, double decayFraction,
                        long totalSteps, int kAux, long deadTokens, double auxCoefficient, boolean normalizeInput,
                        BDecInit bDecInit, long seed, Precision precision) {

    /** How the decoder bias is initialised. */
    public enum BDecInit {
        /** Geometric median of a sample of inputs (Weiszfeld iterations). */
        GEOMETRIC_MEDIAN,
        /** Mean of a sample of inputs. */
        MEAN,
        /** Zero. */
        ZERO
    }

    /** Checks every field and their relations. */
    public SaeConfig {
        Objects.requireNonNull(activation, "activation");
        Objects.requireNonNull(bDecInit, "bDecInit");
        Objects.requireNonNull(precision, "precision");
        positive("dIn", dIn);
        positive("dSae", dSae);
        positive("batchSize", batchSize);
        if (activation.k() > dSae) {
            throw new IllegalArgumentException("activation.k (" + activation.k() + ") must be <= dSae (" + dSae + ")");
        }
        if (!(learningRate > 0) || !Double.isFinite(learningRate)) {
            throw new IllegalArgumentException("learningRate must be finite and > 0, was " + learningRate);
        }
        unitOpen("adamBeta1", adamBeta1);
        unitOpen("adamBeta2", adamBeta2);
        if (!(adamEps > 0) || !Double.isFinite(adamEps)) {
            throw new IllegalArgumentException("adamEps must be finite and > 0, was " + adamEps);
        }
        if (warmupSteps < 0) {
            throw new IllegalArgumentException("warmupSteps must be >= 0, was " + warmupSteps);
        }
        if (!(decayFraction >= 0 && decayFraction <= 1)) {
            throw new IllegalArgumentException("decayFraction must be in [0, 1], was " + decayFraction);
        }
        if (totalSteps < 0) {
            throw new IllegalArgumentException("totalSteps must be >= 0 (0: no decay), was " + totalSteps);
        }
        if (kAux < 1 || kAux > dSae) {
            throw new IllegalArgumentException("kAux must be in [1, dSae=" + dSae + "], was " + kAux);
        }
        if (deadTokens < 1) {
            throw new IllegalArgumentException("deadTokens must be >= 1, was " + deadTokens);
        }
        if (!(auxCoefficient >= 0) || !Double.isFinite(auxCoefficient)) {
            throw new IllegalArgumentException("auxCoefficient must be finite and >= 0, was " + auxCoefficient);
        }
    }

    private static void positive(String field, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(field + " must be > 0, was " + value);
        }
    }

    private static void unitOpen(String field, double value) {
        if (!(value >= 0 && value < 1)) {
            throw new IllegalArgumentException(field + " must be in [0, 1), was " + value);
        }
    }

    /** Whether the activation uses the AuxK dead-latent loss (top-k kinds with a non-zero coefficient). */
    public boolean usesAuxK() {
        return auxCoefficient > 0 && (activation instanceof Activation.TopK || activation instanceof Activation.BatchTopK);
    }

    /**
     * The learning rate at a step: linear warm-up over {@code warmupSteps} (step 0 gets {@code lr/warmup}),
     * constant, then linear decay to 0 over the last {@code decayFraction · totalSteps} steps.
     *
     * @param step zero-based step index
     * @return the rate for that step
     */
    public double learningRateAt(long step) {
        double factor = 1.0;
        if (warmupSteps > 0 && step < warmupSteps) {
            factor = (step + 1) / (double) warmupSteps;
        }
        if (totalSteps > 0 && decayFraction > 0) {
            long decaySteps = Math.max(1, Math.round(decayFraction * totalSteps));
            long decayStart = totalSteps - decaySteps;
            if (step >= decayStart) {
                factor = Math.min(factor, Math.max(0.0, (totalSteps - step) / (double) decaySteps));
            }
        }
        return learningRate * factor;
    }

    /** @return a builder with the required widths and the design's defaults */
    public static Builder builder(int dIn, int dSae) {
        return new Builder(dIn, dSae);
    }

    /** @return a builder holding this configuration's values */
    public Builder toBuilder() {
        Builder b = new Builder(dIn, dSae);
        b.activation = activation;
        b.learningRate = learningRate;
        b.adamBeta1 = adamBeta1;
        b.adamBeta2 = adamBeta2;
        b.adamEps = adamEps;
        b.batchSize = batchSize;
        b.warmupSteps = warmupSteps;
        b.decayFraction = decayFraction;
        b.totalSteps = totalSteps;
        b.kAux = kAux;
        b.deadTokens = deadTokens;
        b.auxCoefficient = auxCoefficient;
        b.normalizeInput = normalizeInput;
        b.bDecInit = bDecInit;
        b.seed = seed;
        b.precision = precision;
        return b;
    }

    /** Builder of {@link SaeConfig}; defaults follow the design document. */
    public static final class Builder {
        private final int dIn;
        private final int dSae;
        private Activation activation = Activation.topK(32);
        private double learningRate = 2e-4;
        private double adamBeta1 = 0.9;
        private double adamBeta2 = 0.999;
        private double adamEps = 6.25e-10;
        private int batchSize = 4096;
        private long warmupSteps = 0;
        private double decayFraction = 0.2;
        private long totalSteps = 0;
        private Integer kAux;
        private long deadTokens = 10_000_000L;
        private double auxCoefficient = 1.0 / 32;
        private boolean normalizeInput = false;
        private BDecInit bDecInit = BDecInit.GEOMETRIC_MEDIAN;
        private long seed = 0;
        private Precision precision = Precision.FP32;

        private Builder(int dIn, int dSae) {
            this.dIn = dIn;
            this.dSae = dSae;
        }

        /** @param v the activation @return this */
        public Builder activation(Activation v) { activation = v; return this; }
        /** @param v peak learning rate @return this */
        public Builder learningRate(double v) { learningRate = v; return this; }
        /** @param beta1 Adam β1 @param beta2 Adam β2 @return this */
        public Builder adamBetas(double beta1, double beta2) { adamBeta1 = beta1; adamBeta2 = beta2; return this; }
        /** @param v Adam ε @return this */
        public Builder adamEps(double v) { adamEps = v; return this; }
        /** @param v tokens per step @return this */
        public Builder batchSize(int v) { batchSize = v; return this; }
        /** @param v warm-up steps @return this */
        public Builder warmupSteps(long v) { warmupSteps = v; return this; }
        /** @param v decay fraction of the total steps @return this */
        public Builder decayFraction(double v) { decayFraction = v; return this; }
        /** @param v planned total steps (0: no decay) @return this */
        public Builder totalSteps(long v) { totalSteps = v; return this; }
        /** @param v AuxK latents per row @return this */
        public Builder kAux(int v) { kAux = v; return this; }
        /** @param v tokens without firing before a latent counts as dead @return this */
        public Builder deadTokens(long v) { deadTokens = v; return this; }
        /** @param v AuxK coefficient (0 disables) @return this */
        public Builder auxCoefficient(double v) { auxCoefficient = v; return this; }
        /** @param v whether to normalize inputs to E‖x‖² = dIn @return this */
        public Builder normalizeInput(boolean v) { normalizeInput = v; return this; }
        /** @param v decoder-bias initialisation @return this */
        public Builder bDecInit(BDecInit v) { bDecInit = v; return this; }
        /** @param v seed @return this */
        public Builder seed(long v) { seed = v; return this; }
        /** @param v operand precision of the encoder GEMM @return this */
        public Builder precision(Precision v) { precision = v; return this; }

        /** @return the validated configuration */
        public SaeConfig build() {
            int aux = kAux != null ? kAux : Math.max(1, Math.min(dSae, dIn / 2));
            return new SaeConfig(dIn, dSae, activation, learningRate, adamBeta1, adamBeta2, adamEps, batchSize,
                    warmupSteps, decayFraction, totalSteps, aux, deadTokens, auxCoefficient, normalizeInput,
                    bDecInit, seed, precision);
        }
    }
}

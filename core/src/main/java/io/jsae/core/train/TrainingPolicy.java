package io.jsae.core.train;

import io.jsae.core.Activation;
import io.jsae.core.SaeConfig;
import io.jsae.core.backend.EvalParameters;
import io.jsae.core.backend.InvalidBatchException;
import io.jsae.core.backend.StepMetrics;
import io.jsae.core.backend.StepParameters;

/**
 * The training policy, decided once for every backend: the learning-rate schedule, Adam's step count and bias
 * corrections, the AuxK weighting from the dead-latent count, the L1 coefficient, the input scale, the batchtopk
 * inference threshold and the rule that a batch holding NaN or Inf is rejected. A backend receives the outcome
 * as {@link StepParameters} and reports {@link StepMetrics}; {@link #after} folds those back in.
 *
 * <p>Its state (Adam steps, dead latents, threshold) is part of every checkpoint, so a resumed run decides
 * exactly as an uninterrupted one.
 */
public final class TrainingPolicy {
    /**
     * Rate of the batchtopk threshold's moving average: the first batch's smallest kept value starts it, and each
     * later step moves it this far toward that step's value. The statistic is unbiased (thresholding at the mean
     * of the per-batch minima gives held-out L0 within 0.3% of k) but drifts while the weights move; at 0.1 the
     * average lags about 10 steps and holds held-out L0 within 5% of k from about step 100, where 0.01 lagged 100
     * steps and gave 0.65 k at step 200 (docs/design.md, the training policy).
     */
    public static final double THRESHOLD_EMA_RATE = 0.1;

    private final SaeConfig config;
    private double inputScale = 1.0;
    private long adamStep;
    private long deadLatents;
    private double threshold = Double.NaN;

    /** @param config the configuration whose policy this is */
    public TrainingPolicy(SaeConfig config) {
        this.config = config;
    }

    /**
     * The parameters of the next step.
     *
     * @param step zero-based global step (the learning-rate schedule position)
     * @return what the backend applies
     */
    public StepParameters next(long step) {
        long t = adamStep + 1;
        double lr = config.learningRateAt(step);
        int auxLatents = 0;
        double auxScale = 0;
        if (config.usesAuxK() && deadLatents > 0) {
            auxLatents = (int) Math.min(config.kAux(), deadLatents);
            auxScale = config.auxCoefficient() * Math.min(deadLatents / (double) config.kAux(), 1.0);
        }
        double l1 = config.activation() instanceof Activation.Relu relu ? relu.l1Coefficient() : 0;
        return new StepParameters(t, lr, lr / (1 - Math.pow(config.adamBeta1(), t)),
                Math.sqrt(1 - Math.pow(config.adamBeta2(), t)), config.adamBeta1(), config.adamBeta2(),
                config.adamEps(), auxLatents, auxScale, l1, inputScale, config.deadTokens());
    }

    /**
     * Folds a step's metrics in: throws for a rejected batch, else counts the Adam step, takes the dead-latent
     * count and moves the batchtopk threshold.
     *
     * @param m     the step's metrics
     * @param where where the batch came from, for the error message (step, tokens, source position)
     * @throws InvalidBatchException if the backend found a non-finite value (nothing changed)
     */
    public void after(StepMetrics m, String where) {
        checkFinite(m, where);
        adamStep++;
        deadLatents = m.deadLatents();
        if (config.activation() instanceof Activation.BatchTopK && m.minPositiveKept() < Double.POSITIVE_INFINITY) {
            threshold = Double.isNaN(threshold) ? m.minPositiveKept()
                    : threshold + THRESHOLD_EMA_RATE * (m.minPositiveKept() - threshold);
        }
    }

    /**
     * The NaN/Inf rule: a batch with a non-finite value is an error naming the row, never skipped silently.
     *
     * @param m     metrics of a step or evaluation
     * @param where where the batch came from
     * @throws InvalidBatchException if the batch was rejected
     */
    public static void checkFinite(StepMetrics m, String where) {
        if (m.rejected()) {
            throw new InvalidBatchException(where + ": row " + m.nonFiniteRow() + " of the batch holds NaN or Inf"
                    + " (after input scaling); the batch was rejected and the model left unchanged. Clean the"
                    + " activations, or let the source skip non-finite rows (LoaderOptions.skipNonFinite)");
        }
    }

    /** @return the parameters of an evaluation pass (input scale, batchtopk threshold) */
    public EvalParameters evalParameters() {
        return new EvalParameters(inputScale, threshold);
    }

    /** @param scale the input normalization factor (1 when off) */
    public void setInputScale(double scale) {
        if (!(scale > 0) || !Double.isFinite(scale)) {
            throw new IllegalArgumentException("input scale must be finite and > 0, was " + scale);
        }
        inputScale = scale;
    }

    /**
     * Restores the policy's state from a checkpoint.
     *
     * @param adamStep         Adam steps taken
     * @param threshold        batchtopk threshold, NaN when none
     * @param tokensSinceFired the device SAE's counters, from which the dead count follows
     */
    public void restore(long adamStep, double threshold, long[] tokensSinceFired) {
        if (adamStep < 0) {
            throw new IllegalArgumentException("adamStep must be >= 0, was " + adamStep);
        }
        this.adamStep = adamStep;
        this.threshold = threshold;
        long dead = 0;
        for (long c : tokensSinceFired) {
            if (c >= config.deadTokens()) {
                dead++;
            }
        }
        this.deadLatents = dead;
    }

    /** @return the input normalization factor */
    public double inputScale() {
        return inputScale;
    }

    /** @return Adam steps taken */
    public long adamStep() {
        return adamStep;
    }

    /** @return dead latents after the last step */
    public long deadLatents() {
        return deadLatents;
    }

    /** @return the batchtopk inference threshold, NaN before the first batchtopk step */
    public double threshold() {
        return threshold;
    }
}

package io.jsae.core.backend;

import io.jsae.core.ParameterTensors;
import io.jsae.core.SaeConfig;

import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;

/**
 * An SAE whose weights, gradients and Adam state live on a backend's device. Batches arrive as direct
 * float buffers of {@code rows × dIn} row-major floats; only scalars come back per step. The copies to and
 * from the heap ({@link #weights()}, {@link #setState}) are for checkpoints, export and tests.
 *
 * <p>Not thread-safe: one caller drives it.
 */
public interface DeviceSae extends AutoCloseable {

    /** @return the configuration */
    SaeConfig config();

    /** @return the most rows one call takes (the configured batch size) */
    int maxRows();

    /**
     * Forward and backward pass; the gradients stay on the device for {@link #applyOptimizerStep}.
     *
     * @param x    direct buffer with {@code rows × dIn} floats from its position
     * @param rows rows in the batch, 1..maxRows
     * @return the batch's loss parts and statistics
     * @throws InvalidBatchException if a row holds NaN or Inf (nothing of the model is changed)
     */
    StepMetrics computeGradients(FloatBuffer x, int rows);

    /**
     * Applies the decoder-gradient projection, one Adam step at the given rate and the decoder
     * renormalization; then updates the dead-latent counters (and the batchtopk threshold) from the batch
     * of the last {@link #computeGradients} call.
     *
     * @param learningRate rate of this step
     */
    void applyOptimizerStep(double learningRate);

    /**
     * {@link #computeGradients} then {@link #applyOptimizerStep}.
     *
     * @param x            batch
     * @param rows         rows in the batch
     * @param learningRate rate of this step
     * @return the batch's metrics (computed before the update)
     */
    default StepMetrics trainStep(FloatBuffer x, int rows, double learningRate) {
        StepMetrics m = computeGradients(x, rows);
        applyOptimizerStep(learningRate);
        return m;
    }

    /**
     * Forward pass only: reconstruction statistics, and per-latent firing counts added to
     * {@link #fireCounts()}. BatchTopK uses its learned threshold once it has one.
     *
     * @param x    batch
     * @param rows rows in the batch
     * @return metrics without losses that need gradients (auxLoss 0)
     */
    StepMetrics evaluate(FloatBuffer x, int rows);

    /** @return per-latent counts of rows with z > 0 accumulated by {@link #evaluate} since the last reset */
    long[] fireCounts();

    /** Resets {@link #fireCounts()} to zero. */
    void resetFireCounts();

    /** @return the current weights, copied to the heap */
    ParameterTensors weights();

    /** @return the gradients of the last {@link #computeGradients}, copied to the heap */
    ParameterTensors gradients();

    /** @return a copy of the whole training state (weights, Adam moments and step, counters, threshold) */
    TrainingState state();

    /**
     * Replaces the whole training state (resume from a checkpoint, or tests).
     *
     * @param state state to load; shapes must match the configuration
     */
    void setState(TrainingState state);

    /** Names of the state tensors, in checkpoint order: parameters first, then Adam moments. */
    List<String> STATE_TENSORS = List.of("encoder_rows", "b_enc", "decoder_rows", "b_dec",
            "adam_m.encoder_rows", "adam_m.b_enc", "adam_m.decoder_rows", "adam_m.b_dec",
            "adam_v.encoder_rows", "adam_v.b_enc", "adam_v.decoder_rows", "adam_v.b_dec");

    /**
     * The state tensors by the names of {@link #STATE_TENSORS} ({@code encoder_rows} and {@code decoder_rows}
     * are {@code [dSae, dIn]}), as float buffers for checkpoints: on the CPU backend, writable views of the
     * live tensors (no copy through the heap); on a device backend, host copies whose changes take effect at
     * {@link #commitStateTensors()}. Valid until the next step.
     *
     * @return name → buffer, in {@link #STATE_TENSORS} order
     */
    Map<String, FloatBuffer> stateTensors();

    /** Applies changes made to the buffers of {@link #stateTensors()} (a no-op where they are live views). */
    default void commitStateTensors() {
    }

    /** @return Adam steps taken */
    long adamStep();

    /** @return per-latent tokens since each latent last fired (a copy) */
    long[] tokensSinceFired();

    /** @return the batchtopk inference threshold, NaN when none */
    double threshold();

    /**
     * Sets the non-tensor state: Adam step count, per-latent tokens since firing, batchtopk threshold.
     *
     * @param adamStep         Adam steps taken
     * @param tokensSinceFired one counter per latent
     * @param threshold        batchtopk inference threshold, NaN when none
     */
    void setCounters(long adamStep, long[] tokensSinceFired, double threshold);

    /** Releases device memory. */
    @Override
    void close();
}

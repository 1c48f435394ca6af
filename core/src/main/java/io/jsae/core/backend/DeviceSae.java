package io.jsae.core.backend;

import io.jsae.core.SaeConfig;
import io.jsae.core.io.DType;

import java.nio.FloatBuffer;
import java.util.List;
import java.util.Set;

/**
 * An SAE whose weights, Adam moments, counters and scratch live on a backend's device. The backend hands out
 * the buffer a batch goes into ({@link #inputBuffer()}: pinned host memory on a GPU); a step returns only
 * scalars. State enters and leaves in chunks through {@link #stateTensors()}.
 *
 * <p>Every implementation owns two input buffers and alternates them: each {@link #trainStep} or
 * {@link #evaluate} reads the current one ({@link #inputBuffer()}), and the other
 * ({@link #followingInputBuffer()}) becomes the current one for the call after it. So the batch after this one
 * can be read into the following buffer while this step runs (see
 * {@link io.jsae.core.data.ActivationSource#readAhead}).
 *
 * <p>Kernels and memory only: every number of the training policy arrives in {@link StepParameters}. A batch
 * holding NaN or Inf is reported in {@link StepMetrics#nonFiniteRow()} and leaves the model unchanged; the
 * trainer turns it into an {@link InvalidBatchException}.
 *
 * <p>Not thread-safe: one caller drives it. Closed by its own {@link #close()} or by its backend's.
 */
public interface DeviceSae extends AutoCloseable {

    /** Names of the state tensors, in checkpoint order: parameters first, then Adam moments. */
    List<String> STATE_TENSORS = List.of("encoder_rows", "b_enc", "decoder_rows", "b_dec",
            "adam_m.encoder_rows", "adam_m.b_enc", "adam_m.decoder_rows", "adam_m.b_dec",
            "adam_v.encoder_rows", "adam_v.b_enc", "adam_v.decoder_rows", "adam_v.b_dec");

    /** @return the configuration */
    SaeConfig config();

    /** @return the most rows one call takes (the configured batch size) */
    int maxRows();

    /**
     * The buffer the next {@link #trainStep} or {@link #evaluate} reads (the current one of the two input
     * buffers): {@code maxRows × dIn} floats, row-major, rows from index 0 (position and limit are ignored; the
     * buffer is returned cleared). The call reads it and then switches buffers: afterwards this method returns
     * what {@link #followingInputBuffer()} returned before the call, so ask again before each batch. The step may
     * overwrite it (the input scaling is applied in place).
     *
     * @return a direct buffer owned by this SAE (its memory lives until close)
     * @throws IllegalStateException if this SAE is closed
     */
    FloatBuffer inputBuffer();

    /**
     * The buffer the call after the next {@link #trainStep} or {@link #evaluate} reads: the other of the two input
     * buffers, never the memory {@link #inputBuffer()} returns, of the same size and layout. Rows written into it
     * (from index 0; position and limit are ignored, the buffer is returned cleared) are kept untouched by the
     * next call, which reads only {@link #inputBuffer()}; after that call returns (a rejected batch included),
     * {@link #inputBuffer()} returns this buffer with those rows, and the call after reads them. So the batch
     * after this one can be read into it, by another thread, while this step runs (the caller must let that
     * writing finish before the call after the next one, and before close).
     *
     * <p>Each {@link #trainStep}, {@link #evaluate} or {@link ConformanceProbe#computeGradients} that returns
     * switches the two buffers once; one that throws switches nothing. Nothing else switches them.
     *
     * @return a direct buffer owned by this SAE (its memory lives until close)
     * @throws IllegalStateException if this SAE is closed
     */
    FloatBuffer followingInputBuffer();

    /**
     * One training step on the first {@code rows} rows of the input buffer: scale, reject a non-finite batch,
     * forward, AuxK, backward, decoder-gradient projection, Adam, decoder renormalization, dead-latent counters.
     *
     * @param rows   rows in the batch, 1..maxRows
     * @param params the step's parameters from the training policy
     * @return the batch's metrics (losses before the update); {@link StepMetrics#rejected()} when a value was not finite
     * @throws IllegalArgumentException if rows is out of range
     */
    StepMetrics trainStep(int rows, StepParameters params);

    /**
     * Forward pass only: reconstruction statistics, and per-latent firing counts added to {@link #fireCounts()}.
     *
     * @param rows   rows in the batch, 1..maxRows
     * @param params input scale and batchtopk threshold
     * @return metrics without losses that need gradients (auxLoss 0)
     */
    StepMetrics evaluate(int rows, EvalParameters params);

    /**
     * The element types {@link #trainStep(int, DType, StepParameters)} and {@link #evaluate(int, DType, EvalParameters)}
     * take in the input buffer. Always holds F32; the CPU and CUDA backends add F16 and BF16, widening the rows
     * themselves at the start of a step (a GPU on the device), so that half-precision activations cross the host's
     * memory (and the bus) undecoded, at half the bytes.
     *
     * @return the input types, F32 among them
     */
    default Set<DType> inputTypes() {
        return Set.of(DType.F32);
    }

    /**
     * {@link #trainStep(int, StepParameters)} on rows of {@code inputType}: {@code rows × dIn} little-endian values
     * of that type in the input buffer's memory from byte 0 (the memory {@link #inputBuffer()} shows as floats).
     * The rows are converted to float32 first, exactly ({@code F16}/{@code BF16} to float32 is exact), so the step
     * is bitwise the one on the same rows given as float32.
     *
     * @param rows      rows in the batch, 1..maxRows
     * @param inputType one of {@link #inputTypes()}
     * @param params    the step's parameters
     * @return the batch's metrics
     * @throws IllegalArgumentException if rows is out of range or the type is not one of {@link #inputTypes()}
     */
    default StepMetrics trainStep(int rows, DType inputType, StepParameters params) {
        checkInputType(inputType, inputTypes());
        return trainStep(rows, params);
    }

    /**
     * {@link #evaluate(int, EvalParameters)} on rows of {@code inputType}, laid out as for
     * {@link #trainStep(int, DType, StepParameters)}.
     *
     * @param rows      rows in the batch, 1..maxRows
     * @param inputType one of {@link #inputTypes()}
     * @param params    input scale and batchtopk threshold
     * @return metrics without losses that need gradients
     * @throws IllegalArgumentException if rows is out of range or the type is not one of {@link #inputTypes()}
     */
    default StepMetrics evaluate(int rows, DType inputType, EvalParameters params) {
        checkInputType(inputType, inputTypes());
        return evaluate(rows, params);
    }

    /**
     * The check every implementation makes on the input type of a step.
     *
     * @param inputType the type asked for
     * @param accepted  the implementation's {@link #inputTypes()}
     * @throws IllegalArgumentException if the type is not accepted
     */
    static void checkInputType(DType inputType, Set<DType> accepted) {
        if (!accepted.contains(inputType)) {
            throw new IllegalArgumentException("this backend takes input rows as " + accepted + ", not " + inputType);
        }
    }

    /** @return per-latent counts of rows with z > 0 accumulated by {@link #evaluate} since the last reset */
    long[] fireCounts();

    /** Resets {@link #fireCounts()} to zero. */
    void resetFireCounts();

    /**
     * The state tensors, in {@link #STATE_TENSORS} order, with the shapes this SAE publishes
     * ({@code encoder_rows}, {@code decoder_rows}: {@code [dSae, dIn]}; {@code b_enc}: {@code [dSae]};
     * {@code b_dec}: {@code [dIn]}; moments like their parameter), and for a jumprelu SAE a last one,
     * {@code threshold} {@code [dSae]}. The list and its tensors stay valid until close.
     *
     * @return the state tensors
     */
    List<StateTensor> stateTensors();

    /**
     * @param name a name of {@link #STATE_TENSORS}
     * @return that state tensor
     * @throws IllegalArgumentException if there is none of that name
     */
    default StateTensor stateTensor(String name) {
        for (StateTensor t : stateTensors()) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("no state tensor '" + name + "'; the names are " + STATE_TENSORS);
    }

    /** @return per-latent tokens since each latent last fired (a copy; dSae longs) */
    long[] tokensSinceFired();

    /**
     * Replaces the per-latent tokens-since-fired counters (resume, tests).
     *
     * @param counters one counter per latent, each ≥ 0
     */
    void setTokensSinceFired(long[] counters);

    /**
     * The row check every implementation makes on {@link #trainStep} and {@link #evaluate}.
     *
     * @param rows    rows of the call
     * @param maxRows the SAE's batch size
     * @throws IllegalArgumentException if rows is not in 1..maxRows
     */
    static void checkRows(int rows, int maxRows) {
        if (rows < 1 || rows > maxRows) {
            throw new IllegalArgumentException("batch of " + rows + " rows; this SAE takes 1.." + maxRows
                    + " rows per call (the configured batchSize)");
        }
    }

    /**
     * The check every implementation makes on {@link #setTokensSinceFired}.
     *
     * @param counters the replacement counters
     * @param dSae     the SAE's latents
     * @throws IllegalArgumentException if there is not one counter per latent or one is negative
     */
    static void checkCounters(long[] counters, int dSae) {
        if (counters.length != dSae) {
            throw new IllegalArgumentException("tokensSinceFired has " + counters.length
                    + " counters, the model has dSae=" + dSae);
        }
        for (long c : counters) {
            if (c < 0) {
                throw new IllegalArgumentException("tokensSinceFired counters must be >= 0, found " + c);
            }
        }
    }

    /** @return the test probe of this SAE (conformance kit only) */
    ConformanceProbe conformanceProbe();

    /** @return whether {@link #close()} was called, directly or by the backend */
    boolean isClosed();

    /** Releases the device memory; idempotent. */
    @Override
    void close();
}

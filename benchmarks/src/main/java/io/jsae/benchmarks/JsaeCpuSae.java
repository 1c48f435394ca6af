package io.jsae.benchmarks;

import io.jsae.core.Activation;
import io.jsae.core.SaeConfig;
import io.jsae.core.backend.DeviceSae;
import io.jsae.core.backend.EvalParameters;
import io.jsae.core.backend.ParameterCopies;
import io.jsae.core.backend.StepMetrics;
import io.jsae.core.backend.cpu.CpuBackend;
import io.jsae.core.data.DirectBuffers;
import io.jsae.core.io.DType;
import io.jsae.core.train.TrainingPolicy;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;

/**
 * A topk SAE on jsae's CPU backend, driven as the trainer drives it: each call copies its batch into the SAE's
 * input buffer first (as the loader does), and a training step takes its parameters from the
 * {@link TrainingPolicy}. Starts from {@link InitialWeights#of}, as {@link TorchBaselineSae} does.
 *
 * <p>Not thread-safe. Closing closes the SAE and the backend's threads.
 */
public final class JsaeCpuSae implements AutoCloseable {
    private final CpuBackend backend;
    private final DeviceSae sae;
    private final TrainingPolicy policy;
    private long step;

    /**
     * @param dIn     input width
     * @param dSae    latents
     * @param k       latents kept per row
     * @param batch   rows per call
     * @param threads the backend's threads
     */
    public JsaeCpuSae(int dIn, int dSae, int k, int batch, int threads) {
        SaeConfig config = SaeConfig.builder(dIn, dSae).activation(Activation.topK(k)).batchSize(batch)
                .learningRate(1e-4).build();
        backend = new CpuBackend(threads);
        try {
            sae = backend.create(config);
            ParameterCopies.write(sae.stateTensors(), "", InitialWeights.of(dIn, dSae));
        } catch (RuntimeException e) {
            backend.close();
            throw e;
        }
        policy = new TrainingPolicy(config);
    }

    /**
     * One training step on a batch of the configured size.
     *
     * @param x the batch, {@code batch × dIn} floats from index 0
     */
    public void trainStep(FloatBuffer x) {
        sae.inputBuffer().put(x.duplicate().rewind());
        long s = step++;
        policy.after(sae.trainStep(sae.maxRows(), policy.next(s)), "benchmark step " + s);
    }

    /**
     * One training step on a batch of bfloat16 rows, which the backend widens to float32 at the start of the step,
     * as it does with half-precision shards that the loader hands over undecoded.
     *
     * @param halves the batch, {@code batch × dIn} little-endian bfloat16 values from index 0
     */
    public void trainStepBf16(ByteBuffer halves) {
        DirectBuffers.bytesOf(sae.inputBuffer()).clear().put(halves.duplicate().rewind());
        long s = step++;
        policy.after(sae.trainStep(sae.maxRows(), DType.BF16, policy.next(s)), "benchmark step " + s);
    }

    /**
     * The backend's forward-only pass (the narrowest public entry that encodes: centering, encoder GEMM, top-k
     * selection, sparse decode, reconstruction error and firing counts).
     *
     * @param x the batch, {@code batch × dIn} floats from index 0
     * @return the summed squared reconstruction error
     */
    public double evaluate(FloatBuffer x) {
        sae.inputBuffer().put(x.duplicate().rewind());
        StepMetrics m = sae.evaluate(sae.maxRows(), new EvalParameters(1, Double.NaN));
        if (m.rejected()) {
            throw new IllegalStateException("the benchmark batch was rejected as non-finite");
        }
        return m.sse();
    }

    @Override
    public void close() {
        try {
            sae.close();
        } finally {
            backend.close();
        }
    }
}

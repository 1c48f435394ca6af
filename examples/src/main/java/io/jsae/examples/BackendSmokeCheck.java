package io.jsae.examples;

import io.jsae.core.Activation;
import io.jsae.core.ParameterTensors;
import io.jsae.core.SaeConfig;
import io.jsae.core.backend.Backend;
import io.jsae.core.backend.BackendUnavailableException;
import io.jsae.core.backend.Backends;
import io.jsae.core.backend.ParameterCopies;
import io.jsae.core.data.SyntheticActivations;
import io.jsae.core.train.SaeTrainer;
import io.jsae.provisioning.CheckResult;
import io.jsae.provisioning.PreflightCheck;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The chosen backend's smoke test: a few training steps of a small topk SAE on it and on the CPU backend from
 * identical weights (the project's own initialization, read back from the chosen backend), on one fixed batch of
 * synthetic activations. It passes when every loss is finite and falls from step to step, and the chosen
 * backend's losses and updated weights agree with the CPU backend's within {@link #TOLERANCE}, measured as
 * {@code max |Δ| / max |cpu|} per tensor. When the chosen backend is the CPU backend the comparison would be
 * against itself, so it is not made (the message says so) and the step is still run and checked.
 */
final class BackendSmokeCheck implements PreflightCheck {

    /** The relative agreement required: max |chosen − cpu| / max |cpu|, for each step's loss and each tensor. */
    static final double TOLERANCE = 1e-4;

    static final int D_IN = 32;
    static final int D_SAE = 128;
    static final int K = 8;
    static final int BATCH = 64;

    private static final String CPU = "cpu";
    private static final String[] TENSORS = {"W_enc", "b_enc", "W_dec", "b_dec"};

    private final Backend backend;
    private final Supplier<Backend> cpu;
    private final int steps;
    private final long seed;

    /**
     * @param backend the chosen backend, open (not closed by the check)
     * @param cpu     opens the CPU backend for the comparison (closed by the check)
     * @param steps   training steps, at least 2
     * @param seed    seed of the weights and the batch
     */
    BackendSmokeCheck(Backend backend, Supplier<Backend> cpu, int steps, long seed) {
        if (steps < 2) {
            throw new IllegalArgumentException("the smoke test needs at least 2 steps to see the loss fall; got "
                    + steps);
        }
        this.backend = backend;
        this.cpu = cpu;
        this.steps = steps;
        this.seed = seed;
    }

    /** A check that reports why the chosen backend could not be opened. */
    static PreflightCheck unavailable(String backendName, RuntimeException why) {
        String name = "backend smoke test (" + backendName + ")";
        return PreflightCheck.named(name, () -> CheckResult.fail(name, why.getMessage(), "pick a backend that runs"
                + " here with --backend (cpu always exists), or fix what the message names (README.md: what each"
                + " backend needs)"));
    }

    @Override
    public String name() {
        return "backend smoke test (" + backend.name() + ")";
    }

    /** The losses of each step and the weights after the last. */
    private record Trace(double[] losses, ParameterTensors weights) {
    }

    private SaeConfig config() {
        return SaeConfig.builder(D_IN, D_SAE).activation(Activation.topK(K)).batchSize(BATCH).learningRate(1e-3)
                .seed(seed).build();
    }

    private String setup() {
        return String.format(Locale.ROOT, "d_in %d, d_sae %d, topk %d, batch %d, seed %d, %d Adam steps on one batch",
                D_IN, D_SAE, K, BATCH, seed, steps);
    }

    @Override
    public CheckResult run() {
        SaeConfig config = config();
        float[][] batch = batch();
        ParameterTensors start;
        double scale;
        Trace chosen;
        try (SaeTrainer init = new SaeTrainer(config, backend); SyntheticActivations sample = source()) {
            init.evaluate(sample, BATCH);   // initializes the weights from a sample, as a training run does
            start = ParameterCopies.read(init.deviceSae().stateTensors(), "", D_IN, D_SAE);
            scale = init.inputScale();
        } catch (RuntimeException e) {
            return fail("initializing an SAE on " + backend.name() + " failed: " + e);
        }
        try {
            chosen = train(backend, config, start, scale, batch);
        } catch (RuntimeException e) {
            return fail("a training step on " + backend.name() + " failed: " + e);
        }
        String losses = losses(chosen.losses());
        String trend = trend(chosen.losses());
        if (trend != null) {
            return fail(backend.name() + " (" + setup() + "): " + trend + "; losses " + losses);
        }
        if (backend.name().equals(CPU)) {
            return CheckResult.pass(name(), "cpu is the chosen backend, so there is no other backend to compare it"
                    + " with (the comparison would be against itself); " + setup() + ": losses " + losses
                    + ", finite and falling");
        }
        Trace reference;
        try (Backend b = cpu.get()) {
            reference = train(b, config, start, scale, batch);
        } catch (BackendUnavailableException e) {
            return CheckResult.warn(name(), backend.name() + " trains (" + setup() + ": losses " + losses + ", finite"
                            + " and falling) but cannot be compared: the CPU backend is unavailable: " + e.getMessage(),
                    "install what the CPU backend needs (README.md) to compare the two before paying for the run");
        } catch (RuntimeException e) {
            return fail("the same steps on the CPU backend failed: " + e);
        }
        double lossError = 0;
        for (int i = 0; i < steps; i++) {
            lossError = Math.max(lossError, Math.abs(chosen.losses()[i] - reference.losses()[i])
                    / Math.max(Math.abs(reference.losses()[i]), Double.MIN_NORMAL));
        }
        float[][] a = arrays(chosen.weights());
        float[][] b = arrays(reference.weights());
        double weightError = 0;
        String worst = TENSORS[0];
        for (int t = 0; t < TENSORS.length; t++) {
            double e = relativeError(a[t], b[t]);
            if (e > weightError || Double.isNaN(e)) {
                weightError = e;
                worst = TENSORS[t];
            }
        }
        String numbers = String.format(Locale.ROOT, "%s against cpu from identical weights (%s): losses %s against %s;"
                        + " largest loss difference %.2e, largest weight difference %.2e (%s), relative as max |Δ| /"
                        + " max |cpu|; tolerance %.0e", backend.name(), setup(), losses, losses(reference.losses()),
                lossError, weightError, worst, TOLERANCE);
        if (lossError <= TOLERANCE && weightError <= TOLERANCE) {
            return CheckResult.pass(name(), numbers + ": the backends agree");
        }
        return fail(numbers + ": the backends disagree");
    }

    private CheckResult fail(String message) {
        return CheckResult.fail(name(), message, "do not train on this backend: run with --backend cpu (slow but"
                + " checked) and report the numbers; with --verbose and JSAE_CUDA_SYNC=1 a CUDA fault names its kernel");
    }

    /** Null when the losses are finite and strictly falling, else what is wrong. */
    private static String trend(double[] losses) {
        for (int i = 0; i < losses.length; i++) {
            if (!Double.isFinite(losses[i])) {
                return "step " + (i + 1) + " gave a non-finite loss";
            }
            if (i > 0 && !(losses[i] < losses[i - 1])) {
                return "the loss did not fall at step " + (i + 1);
            }
        }
        return null;
    }

    private Trace train(Backend on, SaeConfig config, ParameterTensors start, double scale, float[][] batch) {
        try (SaeTrainer trainer = new SaeTrainer(config, on)) {
            trainer.initialize(start.copy(), scale);
            double[] losses = new double[steps];
            for (int i = 0; i < steps; i++) {
                losses[i] = trainer.trainBatch(batch).loss();
            }
            return new Trace(losses, ParameterCopies.read(trainer.deviceSae().stateTensors(), "", D_IN, D_SAE));
        }
    }

    private SyntheticActivations source() {
        return new SyntheticActivations(D_IN, 2 * D_IN, 4, 0.01, BATCH, seed);
    }

    private float[][] batch() {
        try (SyntheticActivations source = source()) {
            FloatBuffer buffer = ByteBuffer.allocateDirect(BATCH * D_IN * Float.BYTES).order(ByteOrder.nativeOrder())
                    .asFloatBuffer();
            int rows = 0;
            while (rows < BATCH) {
                int n = source.read(buffer, BATCH - rows);
                if (n == 0) {
                    throw new IllegalStateException("synthetic source ended after " + rows + " rows");
                }
                rows += n;
            }
            buffer.flip();
            float[][] batch = new float[BATCH][D_IN];
            for (float[] row : batch) {
                buffer.get(row);
            }
            return batch;
        }
    }

    private static float[][] arrays(ParameterTensors t) {
        return new float[][] {t.wEnc(), t.bEnc(), t.wDec(), t.bDec()};
    }

    /** max |a − b| / max |b|; NaN when a value is not finite. */
    static double relativeError(float[] a, float[] b) {
        double diff = 0;
        double ref = 0;
        for (int i = 0; i < a.length; i++) {
            if (!Float.isFinite(a[i]) || !Float.isFinite(b[i])) {
                return Double.NaN;
            }
            diff = Math.max(diff, Math.abs(a[i] - b[i]));
            ref = Math.max(ref, Math.abs(b[i]));
        }
        return ref == 0 ? diff : diff / ref;
    }

    private static String losses(double[] losses) {
        return Arrays.stream(losses).mapToObj(l -> String.format(Locale.ROOT, "%.6g", l))
                .collect(Collectors.joining(" → "));
    }

    /** Opens the CPU backend for the comparison. */
    static Backend openCpu() {
        return Backends.named(CPU, 0);
    }
}

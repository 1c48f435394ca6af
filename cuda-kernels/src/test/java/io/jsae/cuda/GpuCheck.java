package io.jsae.cuda;

import io.jsae.core.Activation;
import io.jsae.core.Precision;
import io.jsae.core.SaeConfig;
import io.jsae.core.SparseAutoencoder;
import io.jsae.core.backend.Backend;
import io.jsae.core.backend.BackendProvider;
import io.jsae.core.backend.BackendUnavailableException;
import io.jsae.core.backend.Backends;
import io.jsae.core.backend.DeviceSae;
import io.jsae.core.backend.StateTensor;
import io.jsae.core.backend.StepMetrics;
import io.jsae.core.data.SourcePosition;
import io.jsae.core.data.SyntheticActivations;
import io.jsae.core.eval.EvalMetrics;
import io.jsae.core.eval.FeatureRecovery;
import io.jsae.core.train.SaeTrainer;
import io.jsae.core.train.TrainingPolicy;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

/**
 * The check a rented GPU machine runs ({@code scripts/gpu-check.sh}, from the bundle {@code scripts/gpu-bundle.sh}
 * makes): four parts, then a short table last.
 * <ol>
 *   <li>the conformance kit ({@link CudaConformanceTest}) on the real {@code cuda} backend through the JUnit
 *       Platform launcher: every case, shape and precision the kit has, with its bounds (1e-5 relative for FP32
 *       operands, 5e-3 TF32, 2e-2 BF16: {@link Precision#agreementBound()}); with it {@link CudaHalfInputTest}:
 *       float16 and bfloat16 input rows widened on the device give steps bitwise equal to the same rows as float32,
 *       and every 16-bit pattern widens as on the host;</li>
 *   <li>ground-truth recovery: {@code --steps} (200) training steps on {@link SyntheticActivations} per
 *       precision, judged as {@code FeatureRecoveryTest} judges the CPU run (mean max cosine similarity and
 *       held-out explained variance at least 0.9), L0 within [0.9·k, k];</li>
 *   <li>the step time per precision at d_in 4096, d_sae 65536, k 64, batch 4096 (CUDA events around the step,
 *       {@link CudaSae#lastDeviceMillis()}; the median of {@code --repeats} (50) after 5 warm-up steps, inputs
 *       rotated over 4 distinct random batches with no zero element) against the floor computed from the step's
 *       own traffic and the peaks the same run measures ({@link CudaSae#measurePeaks(int)}: a cuBLAS GEMM, a
 *       device copy);</li>
 *   <li>where {@code python3} with a CUDA torch is present, {@code scripts/torch_step.py}: the same step written
 *       the usual PyTorch way at the same operand precision, and the speed-up.</li>
 * </ol>
 * Exit status: 0 all passed; 1 the kit, a recovery or a timed step failed; 2 bad arguments; 3 the backend cannot run
 * here (the probe's reason is printed on a line starting {@code PROBE FAILED:}, or a tiny first step's on one starting
 * {@code PREFLIGHT FAILED:}; {@code gpu-check.sh} rebuilds the kernels with the local nvcc on that code when a GPU
 * is present); 4 an unexpected error.
 *
 * <p>Options (each also as {@code -Djsae.check.NAME=VALUE}): {@code --quick} (no timing, no torch),
 * {@code --steps N}, {@code --repeats N}, {@code --warmup N}, {@code --precisions FP32,TF32,BF16},
 * {@code --shape D_IN,D_SAE,K,BATCH}, {@code --no-kit}, {@code --no-recovery}, {@code --no-torch},
 * {@code --torch-script FILE}, {@code --python CMD}, {@code --device N}, {@code --budget-s N} (skip, as failures, the
 * parts that would start with too little of N seconds left, so the table still prints). Self-test without a GPU (not
 * documented in the usage line on purpose: its numbers are no GPU figures): {@code --backend cuda-emulated --small}
 * runs the same code paths on the host emulation, the emulated kit, a short recovery and the timing loop at a tiny
 * shape.
 */
public final class GpuCheck {
    static final int OK = 0;
    static final int FAILED = 1;
    static final int USAGE = 2;
    static final int UNAVAILABLE = 3;
    static final int ERROR = 4;

    /** Batches the timing loop rotates over (each distinct, random, without a zero element). */
    static final int ROTATED_BATCHES = 4;

    // ---- the floor's traffic counts (each also printed with the table) ----
    /**
     * Selection: passes over pre = B·d_sae floats; k_topk_rows reads a row twice when the entries reaching the
     * k-th's first 11-bit digit fit in shared memory (the usual case), four times otherwise.
     */
    static final int SELECTION_PASSES = 2;
    /** Decode: gathered decoder rows, B·k·d_in floats read once (k_decode). */
    static final int DECODE_GATHERS = 1;
    /**
     * Backward: B·k·d_in floats gathered twice: per (latent, token) the row's error (for dz and the decoder
     * gradient row) and its centred input (the encoder gradient row), in k_backward_adam.
     */
    static final int BACKWARD_GATHERS = 2;
    /** Adam, fused with the backward: per parameter of W_enc and W_dec the weight, m and v read and written, 4 B each. */
    static final int ADAM_BYTES_PER_PARAM = 24;
    /** BF16 operands: the fused update also writes the encoder's bf16 copy, 2 bytes per encoder parameter. */
    static final int BF16_COPY_BYTES = 2;

    private final Options o;
    private final List<String> failures = new ArrayList<>();
    private String device = "?";
    private String kitLine = "not run";
    private final Map<Precision, String> recoveryLines = new LinkedHashMap<>();
    private final List<TimingRow> timings = new ArrayList<>();
    private String torchNote = "not run";

    private GpuCheck(Options o) {
        this.o = o;
    }

    public static void main(String[] args) {
        int code;
        Options o;
        try {
            o = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.out.println("gpu-check: " + e.getMessage());
            System.out.println(Options.USAGE);
            System.exit(USAGE);
            return;
        }
        if (o == null) {
            System.exit(OK); // --help
            return;
        }
        try {
            code = new GpuCheck(o).run();
        } catch (Throwable t) {
            System.out.println("gpu-check: unexpected error: " + t);
            t.printStackTrace(System.out);
            code = ERROR;
        }
        System.out.flush();
        System.exit(code);
    }

    private int run() throws Exception {
        System.out.println("== jsae GPU check, " + ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME)
                + ", java " + Runtime.version() + " (" + System.getProperty("java.home") + ")");
        if (o.selfTest()) {
            System.out.println("SELF-TEST on " + o.backend + (o.small ? " at a small shape" : "")
                    + ": this checks the check's code paths; its times are NOT GPU figures");
        }
        BackendProvider provider = Backends.providers().stream().filter(p -> p.name().equals(o.backend)).findFirst()
                .orElse(null);
        if (provider == null) {
            System.out.println("gpu-check: no backend named " + o.backend + " on the class path; found "
                    + Backends.providers().stream().map(BackendProvider::name).toList());
            return USAGE;
        }
        BackendUnavailableException why = provider.probe();
        if (why != null) {
            System.out.println("PROBE FAILED: " + why.getMessage());
            for (Throwable c = why.getCause(); c != null; c = c.getCause()) {
                System.out.println("  caused by: " + c);
            }
            return UNAVAILABLE;
        }
        Backend opened;
        try {
            opened = Backends.named(o.backend, o.device);
        } catch (BackendUnavailableException e) {
            System.out.println("PROBE FAILED: the backend did not open: " + e.getMessage());
            return UNAVAILABLE;
        }
        try (Backend backend = opened) {
            device = backend.description();
            System.out.println("device: " + device);
            String preflight = preflight(backend);
            if (preflight != null) {
                System.out.println("PREFLIGHT FAILED: " + preflight);
                return UNAVAILABLE;
            }
            Set<Precision> precisions = EnumSet.noneOf(Precision.class);
            for (Precision p : o.precisions) {
                if (backend.precisions().contains(p)) {
                    precisions.add(p);
                } else {
                    System.out.println("note: the " + o.backend + " backend does not list " + p + "; skipped");
                }
            }
            if (o.kit) {
                runKit();
            }
            if (o.recovery) {
                for (Precision p : precisions) {
                    if (outOfTime("recovery " + p, 20)) {
                        recoveryLines.put(p, "NOT RUN: out of time (--budget-s " + o.budgetSeconds + ")");
                        continue;
                    }
                    recovery(backend, p);
                }
            }
            if (!o.quick) {
                TorchRunner torch = o.torch ? TorchRunner.find(o) : null;
                torchNote = o.torch ? (torch.reason == null ? o.python + " with torch " + torch.version
                        : "not run: " + torch.reason) : "not run: --no-torch";
                float[][] batches = null;
                for (Precision p : precisions) {
                    if (outOfTime("the timed step at " + p, 30)) {
                        TimingRow skipped = new TimingRow(p);
                        skipped.error = "out of time (--budget-s " + o.budgetSeconds + ")";
                        timings.add(skipped);
                        continue;
                    }
                    if (batches == null) {
                        batches = randomBatches(o.batch, o.dIn, ROTATED_BATCHES, 20240601L);
                    }
                    TimingRow row = timeStep(backend, p, batches);
                    timings.add(row);
                    if (row.error == null && torch != null && torch.reason == null) {
                        if (outOfTime("the torch step at " + p, 30)) {
                            row.torchNote = "not run: out of time";
                        } else {
                            row.torchMs = torch.stepMillis(p, o, Math.min(240, secondsLeft() - 5));
                            if (Double.isNaN(row.torchMs)) {
                                row.torchNote = torch.lastError;
                            }
                        }
                    }
                }
            }
        }
        printSummary();
        return failures.isEmpty() ? OK : FAILED;
    }

    /**
     * Creates a tiny SAE and trains one step on it: the first cuBLAS call and the first kernel launches. The probe
     * only counts devices; a missing libcublas, or kernels built for none of this GPU's architectures (or PTX newer
     * than the driver), surface here.
     *
     * @return null when the step ran, else why not
     */
    static String preflight(Backend backend) {
        SaeConfig config = SaeConfig.builder(16, 64).activation(Activation.topK(4)).batchSize(8).auxCoefficient(0).build();
        try (DeviceSae sae = backend.create(config)) {
            writeRandomUnitWeights(sae, 1);
            float[][] x = randomBatches(8, 16, 1, 1);
            sae.inputBuffer().put(x[0]);
            StepMetrics m = sae.trainStep(8, new TrainingPolicy(config).next(0));
            if (m.rejected() || !Double.isFinite(m.loss())) {
                return "a tiny training step gave " + m;
            }
            return null;
        } catch (RuntimeException e) {
            return e.getMessage() == null ? e.toString() : e.getMessage();
        }
    }

    /** @return seconds left of --budget-s, or a large number without one */
    private long secondsLeft() {
        return o.budgetSeconds <= 0 ? 1_000_000L
                : o.budgetSeconds - (System.nanoTime() - o.startNanos) / 1_000_000_000L;
    }

    /** @return whether less than {@code needSeconds} of the --budget-s remain, saying what is skipped */
    private boolean outOfTime(String what, long needSeconds) {
        if (o.budgetSeconds <= 0) {
            return false;
        }
        long left = secondsLeft();
        if (left >= needSeconds) {
            return false;
        }
        System.out.println("skipping " + what + ": " + left + " s of the " + o.budgetSeconds + " s budget left");
        failures.add("out of time before " + what);
        return true;
    }

    // ---------------------------------------------------------------------------------------------------------
    // (1) the conformance kit

    private void runKit() {
        boolean emulated = o.backend.equals(EmulatedCudaBackendProvider.NAME);
        Class<?> kit = emulated ? EmulatedConformanceTest.class : CudaConformanceTest.class;
        Class<?> halfInput = emulated ? EmulatedHalfInputTest.class : CudaHalfInputTest.class;
        System.out.println();
        System.out.println("== (1) conformance kit: " + kit.getSimpleName() + " and " + halfInput.getSimpleName()
                + " (bounds: FP32 " + Precision.FP32.agreementBound()
                + ", TF32 " + Precision.TF32.agreementBound() + ", BF16 " + Precision.BF16.agreementBound()
                + " relative per tensor)");
        System.setProperty(Backends.DEVICE_PROPERTY, Integer.toString(o.device)); // CudaConformanceTest's device
        long t0 = System.nanoTime();
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectClass(kit), selectClass(halfInput)).build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener summary = new SummaryGeneratingListener();
        Progress progress = new Progress();
        launcher.execute(request, summary, progress);
        TestExecutionSummary s = summary.getSummary();
        double seconds = (System.nanoTime() - t0) / 1e9;
        boolean pass = s.getTotalFailureCount() == 0 && s.getTestsAbortedCount() == 0 && s.getTestsSucceededCount() > 0;
        kitLine = String.format(Locale.ROOT, "%s: %d tests, %d passed, %d failed, %d aborted, %d skipped (%.0f s)",
                pass ? "PASS" : "FAIL", s.getTestsFoundCount(), s.getTestsSucceededCount(), s.getTestsFailedCount(),
                s.getTestsAbortedCount(), s.getTestsSkippedCount(), seconds);
        System.out.println("kit " + kitLine);
        if (!pass) {
            failures.add("conformance kit: " + s.getTestsFailedCount() + " failed, " + s.getTestsAbortedCount()
                    + " aborted" + (s.getTestsSucceededCount() == 0 ? ", none passed" : ""));
        }
    }

    /** Prints each test that did not pass, with its message, as it ends. */
    private static final class Progress implements TestExecutionListener {
        private TestPlan plan;

        @Override
        public void testPlanExecutionStarted(TestPlan testPlan) {
            plan = testPlan;
        }

        @Override
        public void executionSkipped(TestIdentifier id, String reason) {
            System.out.println("  SKIPPED " + name(id) + ": " + reason);
        }

        @Override
        public void executionFinished(TestIdentifier id, TestExecutionResult result) {
            if (result.getStatus() == TestExecutionResult.Status.SUCCESSFUL) {
                return;
            }
            String what = result.getStatus() == TestExecutionResult.Status.FAILED ? "FAILED " : "ABORTED ";
            String message = result.getThrowable().map(t -> t.getClass().getSimpleName() + ": " + t.getMessage())
                    .orElse("(no message)");
            System.out.println("  " + what + name(id) + ": " + message);
        }

        private String name(TestIdentifier id) {
            String parent = plan == null ? null : plan.getParent(id).map(TestIdentifier::getDisplayName).orElse(null);
            return parent == null || !id.isTest() ? id.getDisplayName() : parent + " > " + id.getDisplayName();
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // (2) ground-truth recovery

    /** Ground truth: 128 unit features in 64 dimensions, about 4 active per token, coefficients in [0.5, 1.5). */
    static final int REC_D_IN = 64;
    static final int REC_FEATURES = 128;
    static final int REC_D_SAE = 512;
    static final int REC_K = 16;
    static final long REC_SEED = 11;

    /**
     * The recovery run. FeatureRecoveryTest trains 3,125 steps of 512 rows on the CPU; in 200 steps the same
     * criteria (mean max cosine similarity and held-out explained variance at least 0.9) need 4,096-row batches,
     * lr 1e-2 and 128 rather than 256 true features. On the CPU backend this run gives, at seeds 11/12/13: mmcs
     * 0.980/0.982/0.980, explained variance 0.946/0.944/0.945, L0 15.4/15.3/15.4 (a few kept entries still have
     * pre ≤ 0 this early, so L0 is not yet exactly k as after the CPU test's longer run).
     */
    static SaeConfig recoveryConfig(Precision p, int steps, int batch) {
        return SaeConfig.builder(REC_D_IN, REC_D_SAE).activation(Activation.topK(REC_K)).batchSize(batch)
                .learningRate(1e-2).deadTokens(50_000).totalSteps(steps).seed(3).precision(p).build();
    }

    private void recovery(Backend backend, Precision p) {
        int batch = o.small ? 256 : 4096;
        System.out.println();
        System.out.println("== (2) recovery, " + p + ": " + o.steps + " steps of " + batch + " rows, d_in " + REC_D_IN
                + ", " + REC_FEATURES + " true features, d_sae " + REC_D_SAE + ", topk " + REC_K);
        long t0 = System.nanoTime();
        SaeConfig config = recoveryConfig(p, o.steps, batch);
        SyntheticActivations train = new SyntheticActivations(REC_D_IN, REC_FEATURES, 4, 0, Long.MAX_VALUE / 4, REC_SEED);
        String line;
        try (SaeTrainer trainer = new SaeTrainer(config, backend)) {
            trainer.train(train, (long) o.steps * batch);
            SparseAutoencoder model = trainer.model();
            double mmcs = FeatureRecovery.meanMaxCosineSimilarity(model, train.trueFeatures());
            SyntheticActivations test = new SyntheticActivations(REC_D_IN, REC_FEATURES, 4, 0, 20_000, REC_SEED);
            test.seek(new SourcePosition(1000, 0)); // unseen tokens of the same features
            EvalMetrics eval = trainer.evaluate(test);
            boolean pass = mmcs >= 0.9 && eval.explainedVariance() >= 0.9 && eval.l0() <= REC_K
                    && eval.l0() >= 0.9 * REC_K;
            // A --small self-test trains too few steps of too few rows to recover anything: it runs the code path only.
            boolean judged = !o.small;
            line = String.format(Locale.ROOT, "%s: mmcs %.4f, explained variance %.4f, L0 %.2f, dead %.3f (%d steps, %.1f s)",
                    judged ? (pass ? "PASS" : "FAIL") : "NOT JUDGED (self-test)", mmcs, eval.explainedVariance(), eval.l0(),
                    eval.deadFraction(), trainer.step(), (System.nanoTime() - t0) / 1e9);
            if (judged && !pass) {
                failures.add("recovery " + p + ": " + line);
            }
        } catch (RuntimeException e) {
            line = "FAIL: " + e;
            failures.add("recovery " + p + ": " + e);
            e.printStackTrace(System.out);
        }
        recoveryLines.put(p, line);
        System.out.println("recovery " + p + " " + line);
    }

    // ---------------------------------------------------------------------------------------------------------
    // (3) the step time against its floor

    /** One precision's timing. */
    static final class TimingRow {
        final Precision precision;
        double medianMs = Double.NaN;
        double minMs = Double.NaN;
        double maxMs = Double.NaN;
        double gemmTflops = Double.NaN;
        double copyGBs = Double.NaN;
        Floor floor;
        Floor ideal;
        double torchMs = Double.NaN;
        String torchNote;
        String error;

        TimingRow(Precision precision) {
            this.precision = precision;
        }
    }

    /**
     * The step's floor: per phase max(FLOPs / peak, bytes / bandwidth), summed. The peak is the encoder GEMM's
     * rate measured at this precision and shape, the bandwidth a device-to-device copy's (bytes read plus
     * written), both in the same run. The sparse phases' FLOPs are divided by the GEMM peak too (an upper bound
     * of the device's rate, so still a floor); they are bandwidth-bound by far.
     *
     * @param gemm     encoder GEMM: 2·B·d_in·d_sae FLOPs; bytes: W_enc (4 B, 2 B for BF16), x̄ in, pre out
     * @param select   SELECTION_PASSES reads of pre (B·d_sae floats)
     * @param decode   DECODE_GATHERS·B·k·d_in floats gathered, x read, the error written; 2·B·k·d_in FLOPs
     * @param backward BACKWARD_GATHERS·B·k·d_in floats gathered; 6·B·k·d_in FLOPs (dz, decoder and encoder rows)
     * @param adam     ADAM_BYTES_PER_PARAM per parameter of W_enc and W_dec (+ the bf16 copy); ~10 FLOPs each
     */
    record Floor(double gemm, double select, double decode, double backward, double adam) {
        double total() {
            return gemm + select + decode + backward + adam;
        }

        /**
         * The compulsory-traffic bound, for context: every byte that must move moves once (pre written by the GEMM
         * and read once; each decoder row read once by the decode; each row's error and centred input read once by
         * the backward; Adam as above). A kernel design that reaches it needs cache reuse this step does not count on.
         */
        static Floor ideal(Precision p, long dIn, long dSae, long k, long batch, double tflops, double gbs) {
            Floor f = of(p, dIn, dSae, k, batch, tflops, gbs);
            double peak = tflops * 1e12;
            double bw = gbs * 1e9;
            double rows = Math.min(dSae, batch * k);
            return new Floor(f.gemm(), ms(0, peak, 4.0 * batch * dSae, bw),
                    ms(2.0 * batch * k * dIn, peak, 4.0 * rows * dIn + 2 * 4.0 * batch * dIn, bw),
                    ms(6.0 * batch * k * dIn, peak, 2 * 4.0 * batch * dIn, bw), f.adam());
        }

        static Floor of(Precision p, long dIn, long dSae, long k, long batch, double tflops, double gbs) {
            double peak = tflops * 1e12;
            double bw = gbs * 1e9;
            double params = 2.0 * dSae * dIn;
            double weightBytes = p == Precision.BF16 ? 2 : 4;
            double gemm = ms(2.0 * batch * dIn * dSae, peak,
                    weightBytes * dSae * dIn + 4.0 * batch * dIn + 4.0 * batch * dSae, bw);
            double select = ms(0, peak, SELECTION_PASSES * 4.0 * batch * dSae, bw);
            double gathered = 4.0 * batch * k * dIn;
            double decode = ms(2.0 * batch * k * dIn, peak, DECODE_GATHERS * gathered + 2 * 4.0 * batch * dIn, bw);
            double backward = ms(6.0 * batch * k * dIn, peak, BACKWARD_GATHERS * gathered, bw);
            double adamBytes = ADAM_BYTES_PER_PARAM * params + (p == Precision.BF16 ? BF16_COPY_BYTES * dSae * dIn : 0);
            double adam = ms(10 * params, peak, adamBytes, bw);
            return new Floor(gemm, select, decode, backward, adam);
        }

        private static double ms(double flops, double peak, double bytes, double bw) {
            return 1e3 * Math.max(flops / peak, bytes / bw);
        }
    }

    private TimingRow timeStep(Backend backend, Precision p, float[][] batches) {
        TimingRow row = new TimingRow(p);
        System.out.println();
        System.out.printf(Locale.ROOT, "== (3) step time, %s: d_in %d, d_sae %d, topk %d, batch %d; %d warm-up + %d timed "
                + "steps over %d rotated batches%n", p, o.dIn, o.dSae, o.k, o.batch, o.warmup, o.repeats, batches.length);
        SaeConfig config = SaeConfig.builder(o.dIn, o.dSae).activation(Activation.topK(o.k)).batchSize(o.batch)
                .learningRate(2e-4).auxCoefficient(0).precision(p).seed(1).build();
        long t0 = System.nanoTime();
        try (DeviceSae created = backend.create(config)) {
            CudaSae sae = (CudaSae) created;
            writeRandomUnitWeights(sae, 7);
            System.out.printf(Locale.ROOT, "weights written (%.1f s)%n", (System.nanoTime() - t0) / 1e9);
            TrainingPolicy policy = new TrainingPolicy(config);
            double[] timed = new double[o.repeats];
            for (int s = 0; s < o.warmup + o.repeats; s++) {
                FloatBuffer in = sae.inputBuffer();
                in.put(batches[s % batches.length], 0, o.batch * o.dIn);
                StepMetrics m = sae.trainStep(o.batch, policy.next(s));
                policy.after(m, "timed step " + s);
                if (!Double.isFinite(m.loss())) {
                    throw new IllegalStateException("timed step " + s + " gave loss " + m.loss());
                }
                if (s >= o.warmup) {
                    timed[s - o.warmup] = sae.lastDeviceMillis();
                }
            }
            double[] sorted = timed.clone();
            Arrays.sort(sorted);
            row.medianMs = median(sorted);
            row.minMs = sorted[0];
            row.maxMs = sorted[sorted.length - 1];
            // The SAE's state is no longer needed: it is the throwaway SAE measurePeaks asks for (it overwrites pre and
            // the encoder's second moment), at this very config, with real weights and a real batch in its buffers.
            double[] peaks = sae.measurePeaks(o.peakRepeats);
            row.gemmTflops = peaks[0];
            row.copyGBs = peaks[1];
            row.floor = Floor.of(p, o.dIn, o.dSae, o.k, o.batch, peaks[0], peaks[1]);
            row.ideal = Floor.ideal(p, o.dIn, o.dSae, o.k, o.batch, peaks[0], peaks[1]);
            Floor f = row.floor;
            System.out.printf(Locale.ROOT, "step: median %.3f ms (min %.3f, max %.3f) of %d; peaks: GEMM %.1f TFLOP/s, copy %.0f GB/s%n",
                    row.medianMs, row.minMs, row.maxMs, o.repeats, row.gemmTflops, row.copyGBs);
            System.out.printf(Locale.ROOT, "floor %.3f ms = GEMM %.3f + top-k %.3f + decode %.3f + backward %.3f + Adam %.3f%n",
                    f.total(), f.gemm(), f.select(), f.decode(), f.backward(), f.adam());
            Floor i = row.ideal;
            System.out.printf(Locale.ROOT, "ideal %.3f ms = GEMM %.3f + top-k %.3f + decode %.3f + backward %.3f + Adam %.3f "
                    + "(every byte moved once)%n", i.total(), i.gemm(), i.select(), i.decode(), i.backward(), i.adam());
        } catch (CudaFailureException e) {
            row.error = e.getMessage();
            if (e.getMessage() != null && e.getMessage().contains("out of device memory")) {
                System.out.println("skipped: " + e.getMessage());
            } else {
                failures.add("timed step " + p + ": " + e.getMessage());
                System.out.println("FAILED: " + e.getMessage());
            }
        } catch (RuntimeException e) {
            row.error = e.toString();
            failures.add("timed step " + p + ": " + e);
            e.printStackTrace(System.out);
        }
        return row;
    }

    static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
    }

    /**
     * Decoder rows random unit vectors (uniform elements, normalized), encoder rows the same (W_enc = W_decᵀ, as
     * the trainer initializes); biases and moments stay zero. Written in chunks through {@code stateTensors()}.
     */
    static void writeRandomUnitWeights(DeviceSae sae, long seed) {
        int dIn = sae.config().dIn();
        int dSae = sae.config().dSae();
        StateTensor enc = sae.stateTensor("encoder_rows");
        StateTensor dec = sae.stateTensor("decoder_rows");
        int rowsPerChunk = Math.max(1, Math.min(dSae, (1 << 20) / dIn));
        FloatBuffer chunk = ByteBuffer.allocateDirect(rowsPerChunk * dIn * Float.BYTES).order(ByteOrder.nativeOrder())
                .asFloatBuffer();
        float[] rows = new float[rowsPerChunk * dIn];
        SplittableRandom root = new SplittableRandom(seed);
        for (int j0 = 0; j0 < dSae; j0 += rowsPerChunk) {
            int n = Math.min(rowsPerChunk, dSae - j0);
            long chunkSeed = root.nextLong();
            IntStream.range(0, n).parallel().forEach(r -> {
                SplittableRandom rnd = new SplittableRandom(chunkSeed + 0x9E3779B97F4A7C15L * r);
                double norm = 0;
                int at = r * dIn;
                for (int d = 0; d < dIn; d++) {
                    float v = nonZeroUniform(rnd);
                    rows[at + d] = v;
                    norm += v * (double) v;
                }
                float inv = (float) (1 / Math.sqrt(norm));
                for (int d = 0; d < dIn; d++) {
                    rows[at + d] *= inv;
                }
            });
            long offset = (long) j0 * dIn;
            chunk.clear();
            chunk.put(rows, 0, n * dIn).flip();
            dec.write(offset, chunk);
            chunk.rewind();
            enc.write(offset, chunk);
        }
    }

    /** @return a uniform value in [-1, 1), never 0 */
    static float nonZeroUniform(SplittableRandom rnd) {
        float v = (float) (2 * rnd.nextDouble() - 1);
        return v == 0 ? 0.5f : v;
    }

    /** @return {@code count} distinct random batches of {@code rows × dIn} floats, none of them zero */
    static float[][] randomBatches(int rows, int dIn, int count, long seed) {
        float[][] out = new float[count][];
        IntStream.range(0, count).parallel().forEach(i -> {
            float[] b = new float[rows * dIn];
            SplittableRandom rnd = new SplittableRandom(seed + 1_000_003L * i);
            for (int e = 0; e < b.length; e++) {
                b[e] = nonZeroUniform(rnd);
            }
            out[i] = b;
        });
        return out;
    }

    // ---------------------------------------------------------------------------------------------------------
    // (4) the PyTorch baseline

    /** Runs scripts/torch_step.py, where python3 with a CUDA torch is present. */
    static final class TorchRunner {
        final String python;
        final File script;
        String reason;
        String version;
        String lastError;
        /** A self-test on an emulated backend times torch on the CPU too (torch_step.py --device cpu). */
        boolean cpu;

        private TorchRunner(String python, File script) {
            this.python = python;
            this.script = script;
        }

        static TorchRunner find(Options o) {
            TorchRunner t = new TorchRunner(o.python, new File(o.torchScript));
            if (!t.script.isFile()) {
                t.reason = "no " + t.script;
                return t;
            }
            t.cpu = !o.backend.equals(CudaBackendProvider.NAME);
            Result r = exec(List.of(o.python, "-c", "import torch,sys; print(torch.__version__ + ', CUDA ' + "
                    + "str(torch.version.cuda)); sys.exit(0 if torch.cuda.is_available() else 3)"), 120);
            if (r.code == 3 && t.cpu) {
                t.version = r.lastLine() + ", run on the CPU for the self-test (--device cpu)";
            } else if (r.code != 0) {
                t.reason = r.code == 3 ? "torch " + r.lastLine() + " sees no CUDA device"
                        : o.python + " cannot import torch (" + r.lastLine() + ")";
            } else {
                t.version = r.lastLine() + (t.cpu ? ", run on the CPU for the self-test (--device cpu)" : "");
            }
            return t;
        }

        double stepMillis(Precision p, Options o, long timeoutSeconds) {
            List<String> cmd = List.of(python, script.getPath(), "--precision", p.name().toLowerCase(Locale.ROOT),
                    "--d-in", "" + o.dIn, "--d-sae", "" + o.dSae, "--k", "" + o.k, "--batch", "" + o.batch,
                    "--warmup", "" + o.warmup, "--repeats", "" + o.repeats, "--device", cpu ? "cpu" : "" + o.device);
            System.out.println("torch: " + String.join(" ", cmd));
            Result r = exec(cmd, Math.max(10, timeoutSeconds));
            for (String line : r.lines) {
                System.out.println("  " + line);
            }
            for (String line : r.lines) {
                if (line.startsWith("torch_step_ms=")) {
                    try {
                        return Double.parseDouble(line.substring("torch_step_ms=".length()).trim());
                    } catch (NumberFormatException e) {
                        break;
                    }
                }
            }
            lastError = "torch_step.py exited " + r.code + ": " + r.lastLine();
            return Double.NaN;
        }
    }

    record Result(int code, List<String> lines) {
        String lastLine() {
            return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
        }
    }

    static Result exec(List<String> cmd, long timeoutSeconds) {
        List<String> lines = new ArrayList<>();
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            if (System.getenv("JSAE_CHECK_LD_SET") != null) {
                // gpu-check.sh put the toolkit's and pip's cuBLAS folders first for our kernels; torch loads its own
                // CUDA libraries and gets the caller's LD_LIBRARY_PATH back.
                String original = System.getenv("JSAE_CHECK_ORIGINAL_LD_LIBRARY_PATH");
                if (original == null || original.isEmpty()) {
                    pb.environment().remove("LD_LIBRARY_PATH");
                } else {
                    pb.environment().put("LD_LIBRARY_PATH", original);
                }
            }
            Process p = pb.start();
            Thread reader = new Thread(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = in.readLine()) != null) {
                        synchronized (lines) {
                            lines.add(line);
                        }
                    }
                } catch (Exception ignored) {
                    // the process ended or was killed
                }
            });
            reader.setDaemon(true);
            reader.start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                reader.join(2000);
                synchronized (lines) {
                    lines.add("timed out after " + timeoutSeconds + " s");
                    return new Result(124, new ArrayList<>(lines));
                }
            }
            reader.join(5000);
            synchronized (lines) {
                return new Result(p.exitValue(), new ArrayList<>(lines));
            }
        } catch (Exception e) {
            return new Result(127, List.of(e.toString()));
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // the table

    private void printSummary() {
        System.out.println();
        System.out.println("== summary" + (o.selfTest() ? " (SELF-TEST on " + o.backend + ": not GPU figures)" : ""));
        System.out.println("device: " + device);
        if (o.kit) {
            System.out.println("conformance kit: " + kitLine);
        }
        for (Map.Entry<Precision, String> e : recoveryLines.entrySet()) {
            System.out.println("recovery " + e.getKey() + ": " + e.getValue());
        }
        if (!timings.isEmpty()) {
            System.out.printf(Locale.ROOT, "step at d_in %d, d_sae %d, k %d, batch %d (median of %d after %d warm-up, %d rotated "
                    + "batches; ours includes the batch's host-to-device copy, as torch's does)%n", o.dIn, o.dSae, o.k,
                    o.batch, o.repeats, o.warmup, ROTATED_BATCHES);
            System.out.printf(Locale.ROOT, "floor = sum of max(FLOPs/GEMM peak, bytes/copy bandwidth): GEMM 2·B·d_in·d_sae; "
                    + "top-k %d×B·d_sae·4 B; decode %d×B·k·d_in·4 B; backward %d×B·k·d_in·4 B; Adam %d B × 2·d_sae·d_in "
                    + "(+%d B × d_sae·d_in bf16 copy); ideal: each byte once (pre read once, decoder rows once, "
                    + "error and input rows once)%n", SELECTION_PASSES, DECODE_GATHERS, BACKWARD_GATHERS,
                    ADAM_BYTES_PER_PARAM, BF16_COPY_BYTES);
            System.out.printf(Locale.ROOT, "not in the floor: the batch's host-to-device copy inside our step, %.0f MiB "
                    + "(about %.1f ms at 50 GB/s, %.1f ms at 25 GB/s)%n", 4.0 * o.batch * o.dIn / (1 << 20),
                    4e3 * o.batch * o.dIn / 50e9, 4e3 * o.batch * o.dIn / 25e9);
            System.out.println("torch: " + torchNote);
            System.out.println(String.format(Locale.ROOT, "%-9s %10s %10s %9s %9s %10s %9s %9s %9s  %s", "precision",
                    "ours ms", "floor ms", "ours/flr", "ideal ms", "torch ms", "speed-up", "GEMM TF/s", "copy GB/s",
                    "floor: GEMM/top-k/decode/backward/Adam ms"));
            for (TimingRow r : timings) {
                if (r.error != null) {
                    System.out.println(String.format(Locale.ROOT, "%-9s %s", r.precision, "not timed: " + r.error));
                    continue;
                }
                Floor f = r.floor;
                System.out.println(String.format(Locale.ROOT, "%-9s %10.3f %10.3f %9.2f %9.3f %10s %9s %9.2f %9.0f  %.2f/%.2f/%.2f/%.2f/%.2f",
                        r.precision, r.medianMs, f.total(), r.medianMs / f.total(), r.ideal.total(),
                        Double.isNaN(r.torchMs) ? "n/a" : String.format(Locale.ROOT, "%.3f", r.torchMs),
                        Double.isNaN(r.torchMs) ? "n/a" : String.format(Locale.ROOT, "%.2fx", r.torchMs / r.medianMs),
                        r.gemmTflops, r.copyGBs, f.gemm(), f.select(), f.decode(), f.backward(), f.adam()));
                if (r.torchNote != null) {
                    System.out.println("          torch: " + r.torchNote);
                }
            }
        }
        if (failures.isEmpty()) {
            System.out.println("RESULT: PASS");
        } else {
            System.out.println("RESULT: FAIL");
            for (String f : failures) {
                System.out.println("  - " + f);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // options

    static final class Options {
        static final String USAGE = "usage: GpuCheck [--quick] [--steps N] [--repeats N] [--warmup N] "
                + "[--precisions FP32,TF32,BF16] [--shape D_IN,D_SAE,K,BATCH] [--no-kit] [--no-recovery] [--no-torch] "
                + "[--torch-script FILE] [--python CMD] [--device N] [--budget-s N]   (each also -Djsae.check.NAME=VALUE)";

        String backend = CudaBackendProvider.NAME;
        boolean small;
        boolean quick;
        boolean kit = true;
        boolean recovery = true;
        boolean torch = true;
        int steps = 200;
        int repeats = 50;
        int warmup = 5;
        int peakRepeats = 10;
        long budgetSeconds;
        final long startNanos = System.nanoTime();
        int device = Integer.getInteger("jsae.device", 0);
        int dIn = 4096;
        int dSae = 65536;
        int k = 64;
        int batch = 4096;
        List<Precision> precisions = List.of(Precision.FP32, Precision.TF32, Precision.BF16);
        String torchScript = "scripts/torch_step.py";
        String python = "python3";

        boolean selfTest() {
            return !backend.equals(CudaBackendProvider.NAME) || small;
        }

        /** @return the options, or null after printing the usage for --help */
        static Options parse(String[] args) {
            Map<String, String> given = new LinkedHashMap<>();
            List<String> known = List.of("backend", "small", "quick", "no-kit", "no-recovery", "no-torch", "steps",
                    "repeats", "warmup", "peak-repeats", "budget-s", "device", "shape", "precisions", "torch-script", "python");
            for (String name : known) {
                String v = System.getProperty("jsae.check." + name);
                if (v != null) {
                    given.put(name, v);
                }
            }
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (a.equals("-h") || a.equals("--help")) {
                    System.out.println(USAGE);
                    return null;
                }
                if (!a.startsWith("--")) {
                    throw new IllegalArgumentException("unexpected argument " + a);
                }
                String name = a.substring(2);
                String value = null;
                int eq = name.indexOf('=');
                if (eq >= 0) {
                    value = name.substring(eq + 1);
                    name = name.substring(0, eq);
                }
                if (!known.contains(name)) {
                    throw new IllegalArgumentException("unknown option --" + name);
                }
                boolean flag = Set.of("small", "quick", "no-kit", "no-recovery", "no-torch").contains(name);
                if (!flag && value == null) {
                    if (i + 1 >= args.length) {
                        throw new IllegalArgumentException("--" + name + " needs a value");
                    }
                    value = args[++i];
                }
                given.put(name, value == null ? "true" : value);
            }
            Options o = new Options();
            for (Map.Entry<String, String> e : given.entrySet()) {
                String v = e.getValue().trim();
                switch (e.getKey()) {
                    case "backend" -> o.backend = v;
                    case "small" -> o.small = Boolean.parseBoolean(v);
                    case "quick" -> o.quick = Boolean.parseBoolean(v);
                    case "no-kit" -> o.kit = !Boolean.parseBoolean(v);
                    case "no-recovery" -> o.recovery = !Boolean.parseBoolean(v);
                    case "no-torch" -> o.torch = !Boolean.parseBoolean(v);
                    case "steps" -> o.steps = positive(e.getKey(), v);
                    case "repeats" -> o.repeats = positive(e.getKey(), v);
                    case "warmup" -> o.warmup = nonNegative(e.getKey(), v);
                    case "peak-repeats" -> o.peakRepeats = positive(e.getKey(), v);
                    case "budget-s" -> o.budgetSeconds = nonNegative(e.getKey(), v);
                    case "device" -> o.device = nonNegative(e.getKey(), v);
                    case "torch-script" -> o.torchScript = v;
                    case "python" -> o.python = v;
                    case "precisions" -> o.precisions = Arrays.stream(v.split(",")).map(String::trim)
                            .map(s -> Precision.valueOf(s.toUpperCase(Locale.ROOT))).toList();
                    case "shape" -> {
                        String[] s = v.split(",");
                        if (s.length != 4) {
                            throw new IllegalArgumentException("--shape takes D_IN,D_SAE,K,BATCH, got " + v);
                        }
                        o.dIn = positive("d_in", s[0]);
                        o.dSae = positive("d_sae", s[1]);
                        o.k = positive("k", s[2]);
                        o.batch = positive("batch", s[3]);
                    }
                    default -> throw new IllegalArgumentException("unknown option --" + e.getKey());
                }
            }
            if (o.small && !given.containsKey("shape")) {
                o.dIn = 64;
                o.dSae = 1024;
                o.k = 16;
                o.batch = 256;
            }
            if (o.small && !given.containsKey("steps")) {
                o.steps = 10;
            }
            if (o.small && !given.containsKey("repeats")) {
                o.repeats = 9;
            }
            if (o.small && !given.containsKey("warmup")) {
                o.warmup = 2;
            }
            if (o.small && !given.containsKey("peak-repeats")) {
                o.peakRepeats = 3;
            }
            if (!o.backend.equals(CudaBackendProvider.NAME) && !o.backend.equals(EmulatedCudaBackendProvider.NAME)) {
                throw new IllegalArgumentException("--backend is " + CudaBackendProvider.NAME + " (the check) or "
                        + EmulatedCudaBackendProvider.NAME + " (a self-test of the check), not " + o.backend);
            }
            if (o.k > o.dSae) {
                throw new IllegalArgumentException("k " + o.k + " exceeds d_sae " + o.dSae);
            }
            return o;
        }

        private static int positive(String name, String v) {
            int n = Integer.parseInt(v.trim());
            if (n < 1) {
                throw new IllegalArgumentException(name + " must be >= 1, was " + v);
            }
            return n;
        }

        private static int nonNegative(String name, String v) {
            int n = Integer.parseInt(v.trim());
            if (n < 0) {
                throw new IllegalArgumentException(name + " must be >= 0, was " + v);
            }
            return n;
        }
    }
}

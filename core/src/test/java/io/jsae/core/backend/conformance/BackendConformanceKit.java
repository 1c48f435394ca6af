package io.jsae.core.backend.conformance;

import io.jsae.core.Activation;
import io.jsae.core.ParameterTensors;
import io.jsae.core.Precision;
import io.jsae.core.SaeConfig;
import io.jsae.core.TestData;
import io.jsae.core.backend.Backend;
import io.jsae.core.backend.ConformanceProbe;
import io.jsae.core.backend.DeviceSae;
import io.jsae.core.backend.ParameterCopies;
import io.jsae.core.backend.StateTensor;
import io.jsae.core.backend.StepMetrics;
import io.jsae.core.backend.StepParameters;
import io.jsae.core.reference.ReferenceSae;
import io.jsae.core.train.Checkpoint;
import io.jsae.core.train.CheckpointStore;
import io.jsae.core.train.TrainerState;
import io.jsae.core.train.TrainingPolicy;
import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The conformance kit: what every backend must do, checked against the float64 {@link ReferenceSae} on fresh
 * random inputs. A backend module runs it by extending this class and opening its backend in
 * {@link #openBackend()}; the kit ships in jsae-core's test jar.
 *
 * <p>Agreement: forward, every loss part, every gradient, and one step (Adam from a non-trivial state, decoder
 * projection and renormalization, dead-latent counters) for topk, batchtopk, relu+L1 and AuxK, and jumprelu
 * inference, per tensor within
 * the relative bound of each operand precision the backend supports ({@link Precision#agreementBound()}), with
 * every output and gradient poisoned first through the {@link ConformanceProbe}. Odd shapes: d_sae not a multiple
 * of any block size, k = 1, k = 512, one-row batches. Also: a checkpoint round trip is bitwise exact, a batch
 * with NaN or Inf changes nothing, closing the backend closes its SAEs, native memory never attaches to a
 * caller's {@link PointerScope}, and the two input buffers alternate: the following one is other memory, and a
 * batch written into it before a step, evaluation or gradient pass is what the call after reads, bitwise.
 *
 * <p>Seeds: each test draws from the class seed, printed once; force one with {@code -Djsae.test.seed=N}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class BackendConformanceKit {
    /** System property that forces the seed. */
    public static final String SEED_PROPERTY = "jsae.test.seed";

    private Backend backend;
    private long seed;

    /**
     * Opens the backend under test. Called once per test class, and again by the lifetime test (which closes
     * what it opens).
     *
     * @return an open backend
     */
    protected abstract Backend openBackend();

    @BeforeAll
    void openSharedBackend() {
        String forced = System.getProperty(SEED_PROPERTY);
        seed = forced != null ? Long.parseLong(forced.trim()) : System.nanoTime();
        backend = openBackend();
        System.out.println(getClass().getSimpleName() + ": backend " + backend.name() + " (" + backend.description()
                + "), seed " + seed + " (force with -D" + SEED_PROPERTY + "=" + seed + ")");
    }

    @AfterAll
    void closeSharedBackend() {
        if (backend != null) {
            backend.close();
        }
    }

    /** @return a generator for one test, derived from the class seed and the test's name */
    private SplittableRandom random(String test) {
        return new SplittableRandom(seed ^ test.hashCode() * 0x9E3779B97F4A7C15L);
    }

    /**
     * One agreement case.
     *
     * @param name       what it checks
     * @param activation the activation
     * @param dIn        input width
     * @param dSae       latents
     * @param rows       batch rows
     * @param dead       latents marked dead before the step (AuxK)
     */
    record Case(String name, Activation activation, int dIn, int dSae, int rows, int dead) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case("topk", Activation.topK(4), 24, 64, 16, 0),
                new Case("topk, wide rows", Activation.topK(4), 24, 640, 16, 0),
                new Case("topk+auxk", Activation.topK(4), 24, 64, 16, 20),
                new Case("batchtopk", Activation.batchTopK(4), 24, 64, 16, 0),
                new Case("batchtopk+auxk", Activation.batchTopK(3), 24, 64, 16, 64),
                new Case("relu+l1", Activation.relu(0.05), 24, 64, 16, 0),
                new Case("d_sae 67, d_in 19 (no block multiple)", Activation.topK(5), 19, 67, 7, 9),
                new Case("k = 1", Activation.topK(1), 16, 33, 8, 0),
                new Case("k = 512", Activation.topK(512), 8, 600, 4, 0),
                new Case("one-row batch, topk+auxk", Activation.topK(3), 16, 70, 1, 12),
                new Case("one-row batch, batchtopk", Activation.batchTopK(3), 16, 70, 1, 0));
    }

    Stream<Arguments> casesByPrecision() {
        return cases().flatMap(c -> backend.precisions().stream().sorted().map(p -> Arguments.of(c, p)));
    }

    /**
     * Draws allowed before a case gives up on well-separated inputs. Wide selections need many: at k 512 of 600
     * latents every one of the 2,048 kept pre-activations must lie 1e-3 away from 0 and from its neighbours, which
     * a draw meets only a few times in a hundred.
     */
    private static final int DRAWS = 5000;

    private static SaeConfig config(Case c, Precision precision) {
        return SaeConfig.builder(c.dIn(), c.dSae()).activation(c.activation()).batchSize(c.rows())
                .kAux(Math.min(8, c.dSae())).deadTokens(1000).learningRate(1e-3).precision(precision).build();
    }

    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("casesByPrecision")
    void agreesWithTheReference(Case c, Precision precision) {
        SaeConfig config = config(c, precision);
        double bound = precision.agreementBound();
        SplittableRandom rnd = random("agreement " + c.name() + " " + precision);
        for (int attempt = 0; attempt < DRAWS; attempt++) {
            ParameterTensors w = TestData.randomWeights(c.dIn(), c.dSae(), rnd);
            float[][] x = TestData.batch(c.rows(), c.dIn(), rnd);
            long[] counters = new long[c.dSae()];
            for (int j = 0; j < c.dead(); j++) {
                counters[rnd.nextInt(c.dSae())] = 5000;
            }
            ParameterTensors m = TestData.uniform(c.dIn(), c.dSae(), -1e-2, 1e-2, rnd);
            ParameterTensors v = TestData.uniform(c.dIn(), c.dSae(), 1e-4, 2e-4, rnd);
            ReferenceSae ref = new ReferenceSae(config, w);
            ref.setAdamState(m, v, 5);
            ref.setTokensSinceFired(counters);
            ReferenceSae.Forward f = ref.forward(TestData.toDouble(x));
            if (!Separation.wellSeparated(f, config, 1e-3)) {
                continue; // a near tie could flip a float32 selection; draw again
            }
            ReferenceSae.Gradients g = ref.backward(f);
            double[] gWDecRaw = g.wDec().clone();
            ref.applyStep(f, g, 1e-3);

            TrainingPolicy policy = new TrainingPolicy(config);
            policy.restore(5, Double.NaN, counters);
            StepParameters params = policy.next(0);
            assertEquals(6, params.adamStep());
            try (DeviceSae sae = backend.create(config)) {
                load(sae, w, m, v, counters);
                ConformanceProbe probe = sae.conformanceProbe();
                probe.poison();
                TestData.fill(sae, x);
                StepMetrics metrics = probe.computeGradients(c.rows(), params);
                assertFalse(metrics.rejected());
                close("mse", metrics.mse(), f.mse(), bound);
                close("auxLoss", metrics.auxLoss(), f.auxLoss(), bound);
                close("l1", metrics.l1Loss(), f.l1(), bound);
                close("loss", metrics.loss(), f.loss(), bound);
                assertEquals(f.l0(), metrics.l0(), 1e-12, "l0");
                if (c.dead() > 0 && c.activation().k() > 0) {
                    assertTrue(f.auxLoss() > 0, "the case must exercise AuxK");
                }
                ParameterTensors grads = ParameterCopies.read(probe.gradients(), "grad.", c.dIn(), c.dSae());
                tensor("grad W_enc", grads.wEnc(), g.wEnc(), bound);
                tensor("grad b_enc", grads.bEnc(), g.bEnc(), bound);
                tensor("grad W_dec", grads.wDec(), gWDecRaw, bound);
                tensor("grad b_dec", grads.bDec(), g.bDec(), bound);

                // The whole step from the same state and batch (the probe changed nothing).
                TestData.fill(sae, x);
                StepMetrics step = sae.trainStep(c.rows(), params);
                close("step mse", step.mse(), f.mse(), bound);
                // The smallest kept value may sit near 0, where float32 cancellation is absolute, not relative:
                // bound it relative to the largest kept magnitude.
                double scale = Arrays.stream(f.codes().pre()).map(Math::abs).max().orElse(1);
                assertEquals(f.minPositiveKept(), step.minPositiveKept(), bound * scale, "min positive kept");
                ParameterTensors rw = ref.weights();
                ParameterTensors after = ParameterCopies.read(sae.stateTensors(), "", c.dIn(), c.dSae());
                ParameterTensors afterM = ParameterCopies.read(sae.stateTensors(), "adam_m.", c.dIn(), c.dSae());
                ParameterTensors afterV = ParameterCopies.read(sae.stateTensors(), "adam_v.", c.dIn(), c.dSae());
                tensor("W_enc after Adam", after.wEnc(), rw.wEnc(), bound);
                tensor("b_enc after Adam", after.bEnc(), rw.bEnc(), bound);
                tensor("W_dec after Adam", after.wDec(), rw.wDec(), bound);
                tensor("b_dec after Adam", after.bDec(), rw.bDec(), bound);
                tensor("m W_enc", afterM.wEnc(), ref.adamM().wEnc(), bound);
                tensor("m W_dec", afterM.wDec(), ref.adamM().wDec(), bound);
                tensor("m b_dec", afterM.bDec(), ref.adamM().bDec(), bound);
                tensor("v W_enc", afterV.wEnc(), ref.adamV().wEnc(), bound);
                tensor("v b_enc", afterV.bEnc(), ref.adamV().bEnc(), bound);
                tensor("v b_dec", afterV.bDec(), ref.adamV().bDec(), bound);
                assertTrue(Arrays.equals(ref.tokensSinceFired(), sae.tokensSinceFired()), "dead-latent counters");
                long deadAfter = Arrays.stream(ref.tokensSinceFired()).filter(t -> t >= config.deadTokens()).count();
                assertEquals(deadAfter, step.deadLatents(), "dead latents after the step");
            }
            return;
        }
        throw new AssertionError("could not draw well-separated inputs in " + DRAWS + " attempts (seed " + seed + ")");
    }

    private static void load(DeviceSae sae, ParameterTensors w, ParameterTensors m, ParameterTensors v, long[] counters) {
        ParameterCopies.write(sae.stateTensors(), "", w);
        ParameterCopies.write(sae.stateTensors(), "adam_m.", m);
        ParameterCopies.write(sae.stateTensors(), "adam_v.", v);
        sae.setTokensSinceFired(counters);
    }

    @Test
    void evaluationAgreesAndCountsFires() {
        SaeConfig config = SaeConfig.builder(16, 48).activation(Activation.topK(3)).batchSize(8).build();
        SplittableRandom rnd = random("evaluation");
        for (int attempt = 0; attempt < DRAWS; attempt++) {
            ParameterTensors w = TestData.randomWeights(16, 48, rnd);
            float[][] x = TestData.batch(8, 16, rnd);
            ReferenceSae.Forward f = new ReferenceSae(config, w).forward(TestData.toDouble(x));
            if (!Separation.wellSeparated(f, config, 1e-3)) {
                continue;
            }
            try (DeviceSae sae = backend.create(config)) {
                ParameterCopies.write(sae.stateTensors(), "", w);
                TestData.fill(sae, x);
                StepMetrics m = sae.evaluate(8, new TrainingPolicy(config).evalParameters());
                close("eval mse", m.mse(), f.mse(), 1e-5);
                assertEquals(f.l0(), m.l0(), 1e-12);
                long[] expected = new long[48];
                for (int e = 0; e < f.codes().size(); e++) {
                    if (f.codes().value()[e] > 0) {
                        expected[f.codes().index()[e]]++;
                    }
                }
                assertTrue(Arrays.equals(expected, sae.fireCounts()), "fire counts");
                sae.resetFireCounts();
                assertEquals(0, Arrays.stream(sae.fireCounts()).sum());
            }
            return;
        }
        throw new AssertionError("could not draw well-separated inputs (seed " + seed + ")");
    }

    @Test
    void jumpReluInferenceAgreesAndCannotTrain() {
        SaeConfig config = SaeConfig.builder(16, 70).activation(Activation.jumpRelu()).batchSize(8).build();
        SplittableRandom rnd = random("jumprelu");
        for (int attempt = 0; attempt < DRAWS; attempt++) {
            ParameterTensors w = TestData.randomWeights(16, 70, rnd);
            float[] theta = new float[70];
            for (int j = 0; j < theta.length; j++) {
                theta[j] = (float) (rnd.nextDouble() * 0.8 - 0.2); // some below 0: z = relu(pre) still holds
            }
            float[][] x = TestData.batch(8, 16, rnd);
            ReferenceSae ref = new ReferenceSae(config, w);
            ref.setJumpThresholds(theta);
            ReferenceSae.Forward f = ref.forward(TestData.toDouble(x));
            if (!Separation.awayFromThresholds(f.pre(), theta, 1e-3)) {
                continue;
            }
            try (DeviceSae sae = backend.create(config)) {
                ParameterCopies.write(sae.stateTensors(), "", w);
                sae.stateTensor("threshold").write(0, java.nio.FloatBuffer.wrap(theta));
                sae.conformanceProbe().poison();
                TestData.fill(sae, x);
                StepMetrics m = sae.evaluate(8, new TrainingPolicy(config).evalParameters());
                close("jumprelu mse", m.mse(), f.mse(), 1e-5);
                assertEquals(f.l0(), m.l0(), 1e-12, "jumprelu l0");
                TestData.fill(sae, x);
                assertThrows(IllegalStateException.class, () -> sae.trainStep(8, new TrainingPolicy(config).next(0)),
                        "a jumprelu SAE runs inference only");
            }
            return;
        }
        throw new AssertionError("could not draw inputs away from the thresholds (seed " + seed + ")");
    }

    @Test
    void checkpointRoundTripIsBitwiseExact(@TempDir Path dir) {
        SaeConfig config = SaeConfig.builder(12, 40).activation(Activation.topK(3)).batchSize(8).kAux(4)
                .deadTokens(16).build();
        SplittableRandom rnd = random("checkpoint");
        ParameterTensors w = TestData.randomWeights(12, 40, rnd);
        float[][][] batches = new float[6][][];
        for (int i = 0; i < batches.length; i++) {
            batches[i] = TestData.batch(8, 12, rnd);
        }
        CheckpointStore store = new CheckpointStore(dir, 2);
        Map<String, float[]> uninterrupted;
        Checkpoint saved;
        try (DeviceSae a = backend.create(config)) {
            ParameterCopies.write(a.stateTensors(), "", w);
            TrainingPolicy policy = new TrainingPolicy(config);
            for (int i = 0; i < 3; i++) {
                step(a, policy, batches[i], i);
            }
            TrainerState st = new TrainerState(TrainerState.FORMAT_VERSION, 12, 40, "topk", 3, 0, 3, 24, 0, 0, 24,
                    policy.adamStep(), 1.0, null, a.tokensSinceFired(), List.of(), null, null, "now");
            saved = store.save(a, st);
            Map<String, float[]> atSave = TestData.state(a);
            for (int i = 3; i < 6; i++) {
                step(a, policy, batches[i], i);
            }
            uninterrupted = TestData.state(a);
            try (DeviceSae b = backend.create(config)) {
                CheckpointStore.restore(store.latest().orElseThrow(), b);
                assertTrue(TestData.bitwiseEqual(atSave, TestData.state(b)), "restored state differs from the saved one");
                TrainingPolicy resumed = new TrainingPolicy(config);
                resumed.restore(saved.state().adamStep(), Double.NaN, saved.state().tokensSinceFired());
                for (int i = 3; i < 6; i++) {
                    step(b, resumed, batches[i], i);
                }
                assertTrue(TestData.bitwiseEqual(uninterrupted, TestData.state(b)),
                        "a resumed run must end bitwise equal to the uninterrupted one");
            }
        }
    }

    private static StepMetrics step(DeviceSae sae, TrainingPolicy policy, float[][] x, long step) {
        TestData.fill(sae, x);
        StepMetrics m = sae.trainStep(x.length, policy.next(step));
        policy.after(m, "step " + step);
        return m;
    }

    @Test
    void nonFiniteBatchChangesNothing() {
        SaeConfig config = SaeConfig.builder(10, 30).activation(Activation.batchTopK(2)).batchSize(6).build();
        SplittableRandom rnd = random("nan");
        try (DeviceSae sae = backend.create(config)) {
            ParameterCopies.write(sae.stateTensors(), "", TestData.randomWeights(10, 30, rnd));
            TrainingPolicy policy = new TrainingPolicy(config);
            step(sae, policy, TestData.batch(6, 10, rnd), 0);
            Map<String, float[]> before = TestData.state(sae);
            for (float poison : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
                float[][] x = TestData.batch(6, 10, rnd);
                x[4][7] = poison;
                x[5][0] = poison;
                TestData.fill(sae, x);
                StepMetrics m = sae.trainStep(6, policy.next(1));
                assertTrue(m.rejected(), "a batch holding " + poison + " must be rejected");
                assertEquals(4, m.nonFiniteRow(), "the first bad row");
                assertTrue(TestData.bitwiseEqual(before, TestData.state(sae)), "a rejected batch changed the state");
                TestData.fill(sae, x);
                assertTrue(sae.evaluate(6, policy.evalParameters()).rejected());
            }
            // A finite value that overflows once scaled is rejected too.
            float[][] x = TestData.batch(6, 10, rnd);
            x[2][3] = 3e38f;
            TestData.fill(sae, x);
            StepParameters p = policy.next(1);
            StepParameters scaled = new StepParameters(p.adamStep(), p.learningRate(), p.adamStepSize(),
                    p.adamBias2Sqrt(), p.beta1(), p.beta2(), p.eps(), p.auxLatents(), p.auxScale(), p.l1Coefficient(),
                    10.0, p.deadTokens());
            assertEquals(2, sae.trainStep(6, scaled).nonFiniteRow());
            assertTrue(TestData.bitwiseEqual(before, TestData.state(sae)));
            // and the SAE still trains afterwards
            StepMetrics ok = step(sae, policy, TestData.batch(6, 10, rnd), 1);
            assertTrue(Double.isFinite(ok.loss()));
        }
    }

    @Test
    void inputScaleIsAppliedByTheBackend() {
        SaeConfig config = SaeConfig.builder(10, 30).activation(Activation.topK(2)).batchSize(6).build();
        SplittableRandom rnd = random("scale");
        ParameterTensors w = TestData.randomWeights(10, 30, rnd);
        float[][] x = TestData.batch(6, 10, rnd);
        float[][] scaled = new float[6][10];
        for (int b = 0; b < 6; b++) {
            for (int d = 0; d < 10; d++) {
                scaled[b][d] = x[b][d] * 2.5f;
            }
        }
        TrainingPolicy plain = new TrainingPolicy(config);
        TrainingPolicy scaling = new TrainingPolicy(config);
        scaling.setInputScale(2.5);
        try (DeviceSae a = backend.create(config); DeviceSae b = backend.create(config)) {
            ParameterCopies.write(a.stateTensors(), "", w);
            ParameterCopies.write(b.stateTensors(), "", w);
            StepMetrics ma = step(a, plain, scaled, 0);
            StepMetrics mb = step(b, scaling, x, 0);
            assertEquals(ma.mse(), mb.mse(), "scaling in the backend must equal scaling the rows first");
            assertTrue(TestData.bitwiseEqual(TestData.state(a), TestData.state(b)));
        }
    }

    @Test
    void theFollowingInputBufferIsOtherMemoryAndBecomesTheInputBuffer() {
        SaeConfig config = SaeConfig.builder(12, 40).activation(Activation.topK(3)).batchSize(8).build();
        SplittableRandom rnd = random("two input buffers");
        try (DeviceSae sae = backend.create(config)) {
            ParameterCopies.write(sae.stateTensors(), "", TestData.randomWeights(12, 40, rnd));
            TrainingPolicy policy = new TrainingPolicy(config);
            int floats = 8 * 12;
            long step = 0;
            for (int call = 0; call < 3; call++) {
                FloatBuffer in = sae.inputBuffer();
                FloatBuffer following = sae.followingInputBuffer();
                assertEquals(floats, in.capacity(), "input buffer size");
                assertEquals(floats, following.capacity(), "following input buffer size");
                assertTrue(following.isDirect());
                // Markers through each, read back through the other: one memory would show the later write in both.
                for (int at : new int[] {0, floats - 1}) {
                    in.put(at, 1f);
                    following.put(at, 2f);
                    assertEquals(1f, in.get(at), "the following buffer shares memory with the input buffer at " + at);
                    assertEquals(2f, following.get(at));
                }
                float[][] x = TestData.batch(8, 12, rnd);
                TestData.fill(sae, x);
                float[][] next = TestData.batch(8, 12, rnd);
                FloatBuffer f = sae.followingInputBuffer();
                for (float[] r : next) {
                    f.put(r);
                }
                if (call == 1) {
                    sae.evaluate(8, policy.evalParameters());
                } else {
                    policy.after(sae.trainStep(8, policy.next(step)), "step " + step);
                    step++;
                }
                // The call switched the buffers and left the following one's rows as they were.
                FloatBuffer now = sae.inputBuffer();
                for (int b = 0; b < 8; b++) {
                    for (int d = 0; d < 12; d++) {
                        assertEquals(Float.floatToRawIntBits(next[b][d]), Float.floatToRawIntBits(now.get(b * 12 + d)),
                                "row " + b + " written into the following buffer, read after call " + call);
                    }
                }
                now.put(0, 3f);
                assertEquals(3f, f.get(0), "after a call, inputBuffer() is the former following buffer");
                sae.followingInputBuffer().put(0, 4f);
                assertEquals(3f, now.get(0), "after a call, the following buffer is the other memory");
            }
        }
    }

    @Test
    void aBatchWrittenIntoTheFollowingBufferBeforeACallIsWhatTheCallAfterReads() {
        SaeConfig config = SaeConfig.builder(12, 40).activation(Activation.topK(3)).batchSize(8).kAux(4)
                .deadTokens(16).build();
        SplittableRandom rnd = random("following buffer");
        ParameterTensors w = TestData.randomWeights(12, 40, rnd);
        // Every kind of call that reads the input, with full and partial batches.
        String[] calls = {"train", "train", "evaluate", "train", "gradients", "train", "evaluate", "train", "train"};
        int[] rows = {8, 5, 8, 8, 3, 8, 6, 1, 8};
        float[][][] batches = new float[calls.length][][];
        for (int i = 0; i < calls.length; i++) {
            batches[i] = TestData.batch(rows[i], 12, rnd);
        }
        try (DeviceSae ahead = backend.create(config); DeviceSae plain = backend.create(config)) {
            ParameterCopies.write(ahead.stateTensors(), "", w);
            ParameterCopies.write(plain.stateTensors(), "", w);
            TrainingPolicy pa = new TrainingPolicy(config);
            TrainingPolicy pp = new TrainingPolicy(config);
            TestData.fill(ahead, batches[0]);
            long step = 0;
            for (int i = 0; i < calls.length; i++) {
                // ahead: the next batch goes into the following buffer before this call, as a loader reading ahead
                // does; plain: each batch goes into the input buffer just before its call.
                if (i + 1 < calls.length) {
                    FloatBuffer f = ahead.followingInputBuffer();
                    for (float[] r : batches[i + 1]) {
                        f.put(r);
                    }
                }
                TestData.fill(plain, batches[i]);
                StepMetrics ma;
                StepMetrics mp;
                switch (calls[i]) {
                    case "train" -> {
                        StepParameters p = pa.next(step);
                        assertEquals(p, pp.next(step));
                        ma = ahead.trainStep(rows[i], p);
                        mp = plain.trainStep(rows[i], p);
                        pa.after(ma, "step " + step);
                        pp.after(mp, "step " + step);
                        step++;
                    }
                    case "evaluate" -> {
                        ma = ahead.evaluate(rows[i], pa.evalParameters());
                        mp = plain.evaluate(rows[i], pp.evalParameters());
                        assertTrue(Arrays.equals(plain.fireCounts(), ahead.fireCounts()),
                                "fire counts after call " + i);
                    }
                    default -> {
                        StepParameters p = pa.next(step);
                        ma = ahead.conformanceProbe().computeGradients(rows[i], p);
                        mp = plain.conformanceProbe().computeGradients(rows[i], p);
                        for (String g : List.of("grad.encoder_rows", "grad.b_enc", "grad.decoder_rows", "grad.b_dec")) {
                            assertTrue(Arrays.equals(
                                    TestData.read(gradient(plain, g)), TestData.read(gradient(ahead, g))),
                                    g + " of call " + i);
                        }
                    }
                }
                assertFalse(ma.rejected());
                assertEquals(mp, ma, "metrics of call " + i + " (" + calls[i] + ")");
                assertTrue(TestData.bitwiseEqual(TestData.state(plain), TestData.state(ahead)),
                        "state after call " + i + " (" + calls[i] + ")");
            }
        }
    }

    private static StateTensor gradient(DeviceSae sae, String name) {
        return sae.conformanceProbe().gradients().stream().filter(t -> t.name().equals(name)).findFirst()
                .orElseThrow();
    }

    @Test
    void closingTheBackendClosesItsSaes() {
        SaeConfig config = SaeConfig.builder(8, 16).activation(Activation.topK(2)).batchSize(4).build();
        Backend other = openBackend();
        DeviceSae kept = other.create(config);
        DeviceSae closedFirst = other.create(config);
        closedFirst.close();
        assertTrue(closedFirst.isClosed());
        other.close();
        assertTrue(kept.isClosed(), "closing a backend must close the SAEs it made");
        assertThrows(IllegalStateException.class, kept::inputBuffer);
        assertThrows(IllegalStateException.class, kept::followingInputBuffer);
        assertThrows(IllegalStateException.class, () -> kept.stateTensors());
        kept.close(); // idempotent
        other.close();
        assertThrows(IllegalStateException.class, () -> other.create(config));
    }

    @Test
    void nativeMemoryNeverAttachesToTheCallersScope() {
        SaeConfig config = SaeConfig.builder(12, 40).activation(Activation.topK(3)).batchSize(8).build();
        SplittableRandom rnd = random("scope");
        ParameterTensors w = TestData.randomWeights(12, 40, rnd);
        float[][] x = TestData.batch(8, 12, rnd);
        DeviceSae sae;
        try (PointerScope callers = new PointerScope()) {
            sae = backend.create(config);
            ParameterCopies.write(sae.stateTensors(), "", w);
            TestData.fill(sae, x);
            sae.trainStep(8, new TrainingPolicy(config).next(0));
        }
        try (DeviceSae s = sae; DeviceSae fresh = backend.create(config)) {
            // After the caller's scope closed, the SAE must still hold its memory and step like a fresh one.
            ParameterCopies.write(fresh.stateTensors(), "", w);
            TrainingPolicy p1 = new TrainingPolicy(config);
            TrainingPolicy p2 = new TrainingPolicy(config);
            ParameterCopies.write(s.stateTensors(), "", w);
            for (String moment : List.of("adam_m.", "adam_v.")) {
                ParameterCopies.write(s.stateTensors(), moment, ParameterTensors.zeros(12, 40));
            }
            s.setTokensSinceFired(new long[40]);
            StepMetrics a = step(s, p1, x, 0);
            StepMetrics b = step(fresh, p2, x, 0);
            assertEquals(b.mse(), a.mse());
            assertTrue(TestData.bitwiseEqual(TestData.state(fresh), TestData.state(s)));
        }
    }

    private static void close(String what, double actual, double expected, double bound) {
        if (Double.isInfinite(expected) && actual == expected) {
            return;
        }
        double err = expected == 0 ? Math.abs(actual) : Math.abs(actual - expected) / Math.abs(expected);
        assertTrue(err <= bound, () -> what + ": " + actual + " vs reference " + expected + " (relative " + err + ")");
    }

    private static void tensor(String what, float[] actual, double[] expected, double bound) {
        double err = TestData.relativeError(actual, expected);
        assertTrue(err <= bound, () -> what + ": relative error " + err + " > " + bound);
    }

    private static void tensor(String what, float[] actual, float[] expected, double bound) {
        double err = TestData.relativeError(actual, expected);
        assertTrue(err <= bound, () -> what + ": relative error " + err + " > " + bound);
    }
}

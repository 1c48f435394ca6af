package io.jsae.core.backend.cpu;

import io.jsae.core.Activation;
import io.jsae.core.ParameterTensors;
import io.jsae.core.SaeConfig;
import io.jsae.core.TestBackends;
import io.jsae.core.TestData;
import io.jsae.core.backend.DeviceSae;
import io.jsae.core.backend.StepMetrics;
import io.jsae.core.backend.TrainingState;
import io.jsae.core.reference.ReferenceSae;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CPU backend against the float64 reference on fresh random inputs: forward, loss, every gradient and
 * one Adam step from a non-trivial state, per tensor within a relative error of 1e-5, with the backend's
 * scratch and gradients poisoned (NaN) before each run so that an unwritten element fails.
 */
class CpuBackendAgreementTest {
    private static final double TOLERANCE = 1e-5;
static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("topk", Activation.topK(4), 0, 64),
                Arguments.of("topk, wide (bounded selection path)", Activation.topK(4), 0, 640),
                Arguments.of("topk+auxk", Activation.topK(4), 20, 64),
                Arguments.of("batchtopk", Activation.batchTopK(4), 0, 64),
                Arguments.of("batchtopk+auxk", Activation.batchTopK(3), 64, 64),
                Arguments.of("relu", Activation.relu(0.05), 0, 64));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void agreesWithReference(String name, Activation activation, int deadLatents, int dSae) {
        int dIn = 24;
        int rows = 16;
        SplittableRandom rnd = new SplittableRandom(System.nanoTime());
        SaeConfig config = SaeConfig.builder(dIn, dSae).activation(activation).batchSize(rows).kAux(8)
                .deadTokens(1000).learningRate(1e-3).build();
        for (int attempt = 0; attempt < 50; attempt++) {
            ParameterTensors w = TestData.randomWeights(dIn, dSae, rnd);
            float[][] x = TestData.batch(rows, dIn, rnd);
            long[] counters = new long[dSae];
            for (int j = 0; j < deadLatents; j++) {
                counters[rnd.nextInt(dSae)] = 5000; // some latents dead
            }
            ReferenceSae ref = new ReferenceSae(config, w);
            ParameterTensors m = TestData.uniform(dIn, dSae, -1e-2, 1e-2, rnd);
            ParameterTensors v = TestData.uniform(dIn, dSae, 1e-4, 2e-4, rnd);
            ref.setAdamState(m, v, 5);
            ref.setTokensSinceFired(counters);
            ReferenceSae.Forward f = ref.forward(TestData.toDouble(x));
            if (!wellSeparated(f, config)) {
                continue; // a near tie could flip a float32 selection; draw again
            }
            ReferenceSae.Gradients g = ref.backward(f);
            double[] gWDecRaw = g.wDec().clone();
            ref.applyStep(f, g, 1e-3);

            try (DeviceSae sae = TestBackends.cpu().load(config, w)) {
                sae.setState(new TrainingState(w, m, v, 5, counters, Double.NaN));
                ((CpuSae) sae).poisonForTest();
                StepMetrics metrics = sae.computeGradients(TestData.direct(x), rows);
                assertClose("mse", metrics.mse(), f.mse());
                assertClose("auxLoss", metrics.auxLoss(), f.auxLoss());
                assertClose("l1", metrics.l1Loss(), f.l1());
                assertClose("loss", metrics.loss(), f.loss());
                assertEquals(f.l0(), metrics.l0(), 1e-12, "l0");
                if (deadLatents > 0 && activation.k() > 0) {
                    assertTrue(f.auxLoss() > 0, "the case must exercise AuxK");
                }
                ParameterTensors grads = sae.gradients();
                assertTensor("grad W_enc", grads.wEnc(), g.wEnc());
                assertTensor("grad b_enc", grads.bEnc(), g.bEnc());
                assertTensor("grad W_dec", grads.wDec(), gWDecRaw);
                assertTensor("grad b_dec", grads.bDec(), g.bDec());

                sae.applyOptimizerStep(1e-3);
                TrainingState after = sae.state();
                ParameterTensors rw = ref.weights();
                assertTensor("W_enc after Adam", after.weights().wEnc(), rw.wEnc());
                assertTensor("b_enc after Adam", after.weights().bEnc(), rw.bEnc());
                assertTensor("W_dec after Adam", after.weights().wDec(), rw.wDec());
                assertTensor("b_dec after Adam", after.weights().bDec(), rw.bDec());
                assertTensor("m W_dec", after.adamM().wDec(), ref.adamM().wDec());
                assertTensor("v W_enc", after.adamV().wEnc(), ref.adamV().wEnc());
                assertTensor("v b_dec", after.adamV().bDec(), ref.adamV().bDec());
                assertEquals(6, after.adamStep());
                assertTrue(Arrays.equals(ref.tokensSinceFired(), after.tokensSinceFired()), "dead-latent counters");
                if (activation instanceof Activation.BatchTopK) {
                    assertClose("threshold", after.threshold(), ref.threshold());
                }
            }
            return;
        }
        throw new AssertionError("could not draw well-separated inputs in 50 attempts");
    }

    /** Whether every selection boundary is far from a tie and every kept pre-activation far from 0. */
    private static boolean wellSeparated(ReferenceSae.Forward f, SaeConfig config) {
        double gap = 1e-3;
        // the relu boundary: every entry for relu, the kept ones for the top-k kinds
        if (config.activation() instanceof Activation.Relu) {
            for (double[] row : f.pre()) {
                for (double p : row) {
                    if (Math.abs(p) < gap) {
                        return false;
                    }
                }
            }
        }
        for (double p : f.codes().pre()) {
            if (Math.abs(p) < gap) {
                return false;
            }
        }
        if (f.auxCodes() != null) {
            for (double p : f.auxCodes().pre()) {
                if (Math.abs(p) < gap) {
                    return false;
                }
            }
        }
        int k = config.activation().k();
        if (config.activation() instanceof Activation.TopK) {
            for (double[] row : f.pre()) {
                double[] s = row.clone();
                Arrays.sort(s);
                if (s[s.length - k] - s[s.length - k - 1] < gap) {
                    return false;
                }
            }
        } else if (config.activation() instanceof Activation.BatchTopK) {
            double[] all = Arrays.stream(f.pre()).flatMapToDouble(Arrays::stream).sorted().toArray();
            int keep = k * f.pre().length;
            if (all[all.length - keep] - all[all.length - keep - 1] < gap) {
                return false;
            }
        }
        if (f.auxCodes() != null) {
            // the aux selection boundary: the kAux-th and next dead pre-activation per row
            for (int b = 0; b < f.pre().length; b++) {
                int start = f.auxCodes().rowStart()[b];
                int end = f.auxCodes().rowStart()[b + 1];
                double minKept = Double.POSITIVE_INFINITY;
                for (int e = start; e < end; e++) {
                    minKept = Math.min(minKept, f.auxCodes().pre()[e]);
                }
                for (int j = 0; j < f.pre()[b].length; j++) {
                    double p = f.pre()[b][j];
                    if (p < minKept && minKept - p < gap) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    private static void assertClose(String what, double actual, double expected) {
        double err = expected == 0 ? Math.abs(actual) : Math.abs(actual - expected) / Math.abs(expected);
        assertTrue(err <= TOLERANCE, () -> what + ": " + actual + " vs reference " + expected + " (relative " + err + ")");
    }

    private static void assertTensor(String what, float[] actual, double[] expected) {
        double err = TestData.relativeError(actual, expected);
        assertTrue(err <= TOLERANCE, () -> what + ": relative error " + err + " > " + TOLERANCE);
    }

    private static void assertTensor(String what, float[] actual, float[] expected) {
        double err = TestData.relativeError(actual, expected);
        assertTrue(err <= TOLERANCE, () -> what + ": relative error " + err + " > " + TOLERANCE);
    }
}

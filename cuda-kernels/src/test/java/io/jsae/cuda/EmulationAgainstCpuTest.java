package io.jsae.cuda;

import io.jsae.core.Activation;
import io.jsae.core.SaeConfig;
import io.jsae.core.TestData;
import io.jsae.core.backend.Backend;
import io.jsae.core.backend.Backends;
import io.jsae.core.backend.DeviceSae;
import io.jsae.core.backend.StateTensor;
import io.jsae.core.backend.StepMetrics;
import io.jsae.core.backend.StepParameters;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kernels at shapes the conformance kit's small cases do not reach, against the CPU backend: more than 256
 * columns per thread block (and more than the four per thread that the Adam loops load at once), more latents
 * than backward blocks (several latents per block), row scans longer than one block, a latent firing in every row
 * and dead latents in every row's AuxK codes (heavy latents, summed by chunks on blocks of their own), and several
 * steps in a row (counters, dead latents, AuxK). Selections may differ where two pre-activations lie within float rounding of each other,
 * so weights are compared after the steps with a bound that one swapped entry cannot break but a wrong kernel
 * does (the kit checks the exact agreement on inputs drawn away from ties).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EmulationAgainstCpuTest {
    private Backend cpu;
    private Backend emulated;

    @BeforeAll
    void open() {
        cpu = Backends.named("cpu", 0);
        emulated = Backends.named(EmulatedCudaBackendProvider.NAME, 0);
    }

    @AfterAll
    void close() {
        emulated.close();
        cpu.close();
    }

    static Stream<Arguments> shapes() {
        return Stream.of(
                Arguments.of("topk+auxk, 2 latents per backward block, a latent in every row",
                        SaeConfig.builder(300, 1100).activation(Activation.topK(40)).batchSize(300).kAux(128)
                                .deadTokens(2000).build(), 400),
                Arguments.of("batchtopk+auxk, rows past one scan block, every dead latent in every row (heavy)",
                        SaeConfig.builder(40, 300).activation(Activation.batchTopK(8)).batchSize(1030).kAux(20)
                                .deadTokens(5000).build(), 20),
                Arguments.of("relu+l1", SaeConfig.builder(280, 600).activation(Activation.relu(0.01)).batchSize(200)
                        .build(), 0),
                Arguments.of("topk, d_in past four columns per thread", SaeConfig.builder(1100, 96)
                        .activation(Activation.topK(6)).batchSize(40).kAux(16).deadTokens(1000).build(), 20));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shapes")
    void stepsAgreeWithTheCpuBackend(String name, SaeConfig config, int deadAtStart) {
        SplittableRandom rnd = new SplittableRandom(17);
        try (DeviceSae a = cpu.create(config); DeviceSae b = emulated.create(config)) {
            for (StateTensor t : a.stateTensors()) {
                float[] v = new float[Math.toIntExact(t.size())];
                boolean moment = t.name().startsWith("adam_");
                for (int i = 0; i < v.length; i++) {
                    double g = TestData.gaussian(rnd);
                    v[i] = (float) (moment ? (t.name().startsWith("adam_v") ? 1e-4 * g * g : 1e-3 * g)
                            : t.name().equals("b_enc") ? 0.05 * g : 0.06 * g);
                }
                if (t.name().equals("b_enc")) {
                    v[7] = 50f; // latent 7 fires in every row: its token list is the whole batch
                }
                t.write(0, FloatBuffer.wrap(v));
                b.stateTensor(t.name()).write(0, FloatBuffer.wrap(v));
            }
            long[] counters = new long[config.dSae()];
            for (int j = 0; j < deadAtStart; j++) {
                counters[(j * 7919) % config.dSae()] = config.deadTokens();
            }
            a.setTokensSinceFired(counters);
            b.setTokensSinceFired(counters);
            for (int step = 1; step <= 3; step++) {
                float[][] x = TestData.batch(config.batchSize(), config.dIn(), rnd);
                TestData.fill(a, x);
                TestData.fill(b, x);
                long dead = Math.min(deadAtStart, config.dSae());
                int auxLatents = config.usesAuxK() && step == 1 ? (int) Math.min(config.kAux(), dead) : 0;
                double lr = 1e-3;
                StepParameters p = new StepParameters(5 + step, lr, lr / (1 - Math.pow(0.9, 5 + step)),
                        Math.sqrt(1 - Math.pow(0.999, 5 + step)), 0.9, 0.999, 6.25e-10, auxLatents,
                        auxLatents > 0 ? config.auxCoefficient() * Math.min(dead / (double) config.kAux(), 1) : 0,
                        config.activation() instanceof Activation.Relu r ? r.l1Coefficient() : 0, 1.0,
                        config.deadTokens());
                StepMetrics ma = a.trainStep(config.batchSize(), p);
                StepMetrics mb = b.trainStep(config.batchSize(), p);
                String at = name + ", step " + step + ": ";
                assertClose(at + "mse", ma.mse(), mb.mse(), 1e-4);
                assertClose(at + "aux loss", ma.auxLoss(), mb.auxLoss(), 1e-4);
                assertClose(at + "l1 loss", ma.l1Loss(), mb.l1Loss(), 1e-4);
                assertClose(at + "l0", ma.l0(), mb.l0(), 1e-3);
                assertClose(at + "variance", ma.totalVariance(), mb.totalVariance(), 1e-9);
                assertEquals(ma.deadLatents(), mb.deadLatents(), 2.0, at + "dead latents");
            }
            for (String t : new String[] {"encoder_rows", "b_enc", "decoder_rows", "b_dec"}) {
                float[] va = TestData.read(a.stateTensor(t));
                float[] vb = TestData.read(b.stateTensor(t));
                double rel = TestData.relativeError(vb, va);
                assertTrue(rel < 1e-4, name + ": " + t + " differs from the CPU backend's by " + rel);
            }
            long[] ca = a.tokensSinceFired();
            long[] cb = b.tokensSinceFired();
            long differing = 0;
            for (int j = 0; j < ca.length; j++) {
                differing += ca[j] != cb[j] ? 1 : 0;
            }
            assertTrue(differing <= 2, name + ": " + differing + " counters differ: " + Arrays.toString(
                    Arrays.copyOf(cb, 8)) + " vs " + Arrays.toString(Arrays.copyOf(ca, 8)));
        }
    }

    /**
     * Batchtopk takes each row's 2k best as candidates; a row that deserves more of the batch's k·B than that
     * (here one row scaled up) must send the step down the exact path, with the same result.
     */
    @org.junit.jupiter.api.Test
    void batchtopkWithARowNeedingMoreThanItsCandidates() {
        SaeConfig config = SaeConfig.builder(32, 200).activation(Activation.batchTopK(4)).batchSize(64).build();
        SplittableRandom rnd = new SplittableRandom(23);
        try (DeviceSae a = cpu.create(config); DeviceSae b = emulated.create(config)) {
            for (StateTensor t : a.stateTensors()) {
                float[] v = new float[Math.toIntExact(t.size())];
                if (!t.name().startsWith("adam_")) {
                    for (int i = 0; i < v.length; i++) {
                        v[i] = (float) (0.2 * TestData.gaussian(rnd));
                    }
                }
                t.write(0, FloatBuffer.wrap(v));
                b.stateTensor(t.name()).write(0, FloatBuffer.wrap(v));
            }
            float[][] x = TestData.batch(64, 32, rnd);
            for (int d = 0; d < 32; d++) {
                x[0][d] *= 30; // row 0 outshines the others: it holds far more than 8 of the batch's 256 best
            }
            TestData.fill(a, x);
            TestData.fill(b, x);
            StepParameters p = new StepParameters(1, 1e-3, 1e-2, Math.sqrt(1 - 0.999), 0.9, 0.999, 6.25e-10, 0, 0, 0,
                    1.0, 10_000_000);
            StepMetrics ma = a.trainStep(64, p);
            StepMetrics mb = b.trainStep(64, p);
            assertEquals(ma.l0(), mb.l0(), 1e-12, "l0");
            assertClose("mse", ma.mse(), mb.mse(), 1e-5);
            for (String t : new String[] {"encoder_rows", "decoder_rows", "b_enc", "b_dec"}) {
                double rel = TestData.relativeError(TestData.read(b.stateTensor(t)), TestData.read(a.stateTensor(t)));
                assertTrue(rel < 1e-5, t + " differs from the CPU backend's by " + rel);
            }
        }
    }

    private static void assertClose(String what, double expected, double actual, double rel) {
        double scale = Math.max(Math.abs(expected), 1e-12);
        assertTrue(Math.abs(expected - actual) <= rel * scale, what + ": cpu " + expected + ", emulated " + actual);
    }
}

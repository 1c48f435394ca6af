package io.jsae.core.reference;

import io.jsae.core.Activation;
import io.jsae.core.ParameterTensors;
import io.jsae.core.SaeConfig;
import io.jsae.core.TestData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The reference's analytic gradients against central finite differences of its own loss. */
class ReferenceGradientTest {

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("topk", Activation.topK(3), false),
                Arguments.of("topk+auxk", Activation.topK(3), true),
                Arguments.of("batchtopk+auxk", Activation.batchTopK(3), true),
                Arguments.of("relu+l1", Activation.relu(0.1), false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void gradientsMatchFiniteDifferences(String name, Activation activation, boolean withDead) {
        int dIn = 6;
        int dSae = 16;
        SplittableRandom rnd = new SplittableRandom(name.hashCode());
        SaeConfig config = SaeConfig.builder(dIn, dSae).activation(activation).batchSize(5).kAux(4).deadTokens(100)
                .build();
        ParameterTensors w = TestData.randomWeights(dIn, dSae, rnd);
        ReferenceSae sae = new ReferenceSae(config, w);
        if (withDead) {
            long[] counters = new long[dSae];
            for (int j = 0; j < dSae; j += 2) {
                counters[j] = 1000;
            }
            sae.setTokensSinceFired(counters);
        }
        double[][] x = TestData.toDouble(TestData.batch(5, dIn, rnd));
        ReferenceSae.Forward f = sae.forward(x);
        if (withDead) {
            assertTrue(f.auxLoss() > 0, "AuxK must be active in this case");
        }
        ReferenceSae.Gradients g = sae.backward(f);
        double h = 1e-6;
        int checked = 0;
        for (double[][] pair : new double[][][] {{sae.wEnc, g.wEnc()}, {sae.bEnc, g.bEnc()}, {sae.wDec, g.wDec()},
                {sae.bDec, g.bDec()}}) {
            double[] param = pair[0];
            double[] grad = pair[1];
            for (int i = 0; i < param.length; i += Math.max(1, param.length / 25)) {
                double saved = param[i];
                param[i] = saved + h;
                double up = sae.forward(x, f).loss();
                param[i] = saved - h;
                double down = sae.forward(x, f).loss();
                param[i] = saved;
                double numeric = (up - down) / (2 * h);
                assertEquals(numeric, grad[i], 1e-6 + 1e-5 * Math.abs(numeric),
                        () -> name + ": gradient element mismatch");
                checked++;
            }
        }
        assertTrue(checked > 50);
    }

    @org.junit.jupiter.api.Test
    void adamStepKeepsDecoderRowsUnitNorm() {
        SplittableRandom rnd = new SplittableRandom(7);
        SaeConfig config = SaeConfig.builder(8, 12).activation(Activation.topK(2)).batchSize(4).learningRate(0.05)
                .build();
        ReferenceSae sae = new ReferenceSae(config, TestData.randomWeights(8, 12, rnd));
        for (int step = 0; step < 5; step++) {
            sae.trainStep(TestData.toDouble(TestData.batch(4, 8, rnd)), 0.05);
        }
        float[] wDec = sae.weights().wDec();
        for (int j = 0; j < 12; j++) {
            double n = 0;
            for (int d = 0; d < 8; d++) {
                n += wDec[j * 8 + d] * wDec[j * 8 + d];
            }
            assertEquals(1.0, Math.sqrt(n), 1e-6);
        }
        assertEquals(5, sae.adamStep());
    }
}

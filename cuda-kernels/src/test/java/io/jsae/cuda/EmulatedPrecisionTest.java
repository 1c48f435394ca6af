package io.jsae.cuda;

import io.jsae.core.Activation;
import io.jsae.core.Precision;
import io.jsae.core.SaeConfig;
import io.jsae.core.TestData;
import io.jsae.core.backend.DeviceSae;
import io.jsae.core.backend.StateTensor;
import io.jsae.core.backend.StepMetrics;
import io.jsae.core.backend.StepParameters;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.FloatBuffer;
import java.util.EnumSet;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The TF32 and BF16 operand paths (the rounded GEMM operands, and for BF16 the bf16 copies of the batch and of
 * the encoder that the Adam kernel keeps current) on the emulation, against FP32 on the same data: losses agree
 * within the precision's bound over several steps, and differ from FP32 at all (the rounding really happens). A
 * stale bf16 encoder copy would make the losses drift apart after the first step.
 */
class EmulatedPrecisionTest {

    @ParameterizedTest
    @EnumSource(value = Precision.class, names = {"TF32", "BF16"})
    void roundedOperandsTrainLikeFp32(Precision precision) {
        try (CudaBackend backend = new CudaBackend(KernelLibrary.EMULATED, EmulatedCudaBackendProvider.NAME, 0,
                EnumSet.allOf(Precision.class))) {
            SaeConfig fp32 = SaeConfig.builder(64, 256).activation(Activation.topK(8)).batchSize(64).build();
            SaeConfig rounded = fp32.toBuilder().precision(precision).build();
            SplittableRandom rnd = new SplittableRandom(5);
            try (DeviceSae a = backend.create(fp32); DeviceSae b = backend.create(rounded)) {
                for (StateTensor t : a.stateTensors()) {
                    if (t.name().startsWith("adam_")) {
                        continue;
                    }
                    float[] v = new float[Math.toIntExact(t.size())];
                    for (int i = 0; i < v.length; i++) {
                        v[i] = (float) (0.1 * TestData.gaussian(rnd));
                    }
                    t.write(0, FloatBuffer.wrap(v));
                    b.stateTensor(t.name()).write(0, FloatBuffer.wrap(v));
                }
                boolean differs = false;
                for (int step = 1; step <= 4; step++) {
                    float[][] x = TestData.batch(64, 64, rnd);
                    TestData.fill(a, x);
                    TestData.fill(b, x);
                    double lr = 1e-2;
                    StepParameters p = new StepParameters(step, lr, lr / (1 - Math.pow(0.9, step)),
                            Math.sqrt(1 - Math.pow(0.999, step)), 0.9, 0.999, 6.25e-10, 0, 0, 0, 1, 10_000_000);
                    StepMetrics ma = a.trainStep(64, p);
                    StepMetrics mb = b.trainStep(64, p);
                    double rel = Math.abs(ma.mse() - mb.mse()) / ma.mse();
                    assertTrue(rel < precision.agreementBound(), precision + " step " + step + ": mse " + mb.mse()
                            + " vs FP32 " + ma.mse() + " (relative " + rel + ")");
                    differs |= ma.mse() != mb.mse();
                    assertEquals(ma.rows(), mb.rows());
                }
                assertTrue(differs, precision + " operands must round: identical losses mean FP32 ran");
                assertNotEquals(Precision.FP32, b.config().precision());
            }
        }
    }
}

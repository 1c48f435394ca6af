package io.jsae.core.backend.conformance;

import io.jsae.core.Activation;
import io.jsae.core.ParameterTensors;
import io.jsae.core.SaeConfig;
import io.jsae.core.TestData;
import io.jsae.core.backend.Backend;
import io.jsae.core.backend.DeviceSae;
import io.jsae.core.backend.EvalParameters;
import io.jsae.core.backend.StepMetrics;
import io.jsae.core.io.DType;
import io.jsae.core.io.HalfFloats;
import io.jsae.core.train.TrainingPolicy;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Half-precision input rows ({@link DeviceSae#trainStep(int, DType, io.jsae.core.backend.StepParameters)}) on a
 * backend that takes them: widened by the backend, they must give the very step the same values give as float32.
 * Each case runs two identical SAEs side by side, one fed the 16-bit patterns, the other the same values decoded
 * in Java ({@link HalfFloats}), and asks for bitwise equality. Every backend that lists F16 and BF16 among its
 * {@link DeviceSae#inputTypes()} runs it: the CPU backend, {@code cuda-emulated}, and the real GPU in
 * {@code GpuCheck}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class HalfInputKit {
    private static final int STEPS = 4;
    /** The step with a partial batch (the halves' byte count then differs from a full batch's). */
    private static final int PARTIAL_STEP = 2;

    private Backend backend;

    /** @return the backend under test */
    protected abstract Backend openBackend();

    /**
     * The first {@code count} values of {@code sae}'s current input buffer, read as {@code type} and widened the way
     * its steps widen them.
     *
     * @throws IllegalArgumentException if the SAE does not take {@code type}
     */
    protected abstract float[] convertInput(DeviceSae sae, DType type, int count);

    @BeforeAll
    void open() {
        backend = openBackend();
    }

    @AfterAll
    void close() {
        if (backend != null) {
            backend.close();
        }
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (DType type : new DType[] {DType.F16, DType.BF16}) {
            // 37 columns: rows × dIn is no multiple of the kernel's 8-value groups, so its tail path runs too.
            out.add(Arguments.of(type, "topk+auxk, d_in 37", SaeConfig.builder(37, 96).activation(Activation.topK(6))
                    .batchSize(24).kAux(16).deadTokens(24).seed(5).build()));
            out.add(Arguments.of(type, "batchtopk, d_in 64", SaeConfig.builder(64, 128)
                    .activation(Activation.batchTopK(8)).batchSize(16).kAux(16).deadTokens(16).seed(6).build()));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("cases")
    void halfRowsStepBitwiseAsTheirFloats(DType type, String name, SaeConfig config) {
        SplittableRandom rnd = new SplittableRandom(31);
        int dIn = config.dIn();
        try (DeviceSae half = backend.create(config); DeviceSae full = backend.create(config)) {
            ParameterTensors w = TestData.randomWeights(dIn, config.dSae(), rnd);
            write(half, w);
            write(full, w);
            TrainingPolicy halfPolicy = new TrainingPolicy(config);
            TrainingPolicy fullPolicy = new TrainingPolicy(config);
            halfPolicy.setInputScale(0.75);
            fullPolicy.setInputScale(0.75);
            for (int s = 0; s < STEPS; s++) {
                int rows = s == PARTIAL_STEP ? config.batchSize() - 5 : config.batchSize();
                short[] bits = randomHalves(type, rows * dIn, rnd);
                putHalves(half.inputBuffer(), bits);
                full.inputBuffer().put(decode(type, bits));
                StepMetrics a = half.trainStep(rows, type, halfPolicy.next(s));
                StepMetrics b = full.trainStep(rows, fullPolicy.next(s));
                assertTrue(!b.rejected() && Double.isFinite(b.loss()), name + ": step " + s + " gave " + b);
                assertEquals(b, a, type + ", " + name + ": metrics of step " + s);
                halfPolicy.after(a, "step " + s);
                fullPolicy.after(b, "step " + s);
            }
            assertTrue(TestData.bitwiseEqual(TestData.state(full), TestData.state(half)),
                    type + ", " + name + ": the state after " + STEPS + " steps differs");

            int rows = config.batchSize() - 3;
            short[] bits = randomHalves(type, rows * dIn, rnd);
            putHalves(half.inputBuffer(), bits);
            full.inputBuffer().put(decode(type, bits));
            StepMetrics a = half.evaluate(rows, type, halfPolicy.evalParameters());
            StepMetrics b = full.evaluate(rows, fullPolicy.evalParameters());
            assertTrue(!b.rejected() && b.l0() > 0, name + ": evaluation gave " + b);
            assertEquals(b, a, type + ", " + name + ": evaluation metrics");
            assertArrayEquals(full.fireCounts(), half.fireCounts(), type + ", " + name + ": fire counts");
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = DType.class, names = {"F16", "BF16"})
    void aNonFiniteHalfIsRejectedLikeANonFiniteFloat(DType type) {
        SaeConfig config = SaeConfig.builder(40, 64).activation(Activation.topK(4)).batchSize(8).seed(2).build();
        SplittableRandom rnd = new SplittableRandom(8);
        short nan = type == DType.F16 ? (short) 0x7e00 : (short) 0x7fc0;
        short negativeInfinity = type == DType.F16 ? (short) 0xfc00 : (short) 0xff80;
        try (DeviceSae half = backend.create(config); DeviceSae full = backend.create(config)) {
            ParameterTensors w = TestData.randomWeights(40, 64, rnd);
            write(half, w);
            write(full, w);
            Map<String, float[]> before = TestData.state(half);
            TrainingPolicy policy = new TrainingPolicy(config);

            short[] bits = randomHalves(type, 8 * 40, rnd);
            bits[3 * 40 + 5] = nan;
            bits[6 * 40] = negativeInfinity;
            putHalves(half.inputBuffer(), bits);
            full.inputBuffer().put(decode(type, bits));
            StepMetrics a = half.trainStep(8, type, policy.next(0));
            StepMetrics b = full.trainStep(8, policy.next(0));
            assertTrue(a.rejected(), type + ": a NaN half must be rejected, got " + a);
            assertEquals(3, a.nonFiniteRow(), type + ": the first non-finite row");
            assertEquals(b, a, type + ": as the same values given as floats");
            assertTrue(TestData.bitwiseEqual(before, TestData.state(half)),
                    type + ": a rejected step changed the model");

            bits = randomHalves(type, 7 * 40, rnd);
            bits[1 * 40 + 39] = negativeInfinity;
            putHalves(half.inputBuffer(), bits);
            a = half.evaluate(7, type, new EvalParameters(1.0, Double.NaN));
            assertTrue(a.rejected(), type + ": an infinite half must be rejected, got " + a);
            assertEquals(1, a.nonFiniteRow(), type + ": the first non-finite row");
            assertArrayEquals(new long[64], half.fireCounts(), type + ": a rejected evaluation counted firings");
        }
    }

    /** Every one of the 65,536 patterns, widened by the backend as a step widens them, is its Java decoding. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = DType.class, names = {"F16", "BF16"})
    void everyPatternWidensAsOnTheHost(DType type) {
        SaeConfig config = SaeConfig.builder(256, 16).activation(Activation.topK(1)).batchSize(256).build();
        try (DeviceSae sae = backend.create(config)) {
            // All patterns in order (8-value groups only); then rotated so that the last values are finite ones, with
            // a count that leaves 5 of them to the one-by-one tail path (stale values of the first run are NaN there).
            for (int[] run : new int[][] {{0, 1 << 16}, {0x3c00, (1 << 16) - 3}}) {
                int rotation = run[0];
                int count = run[1];
                short[] bits = new short[1 << 16];
                for (int i = 0; i < bits.length; i++) {
                    bits[i] = (short) (i + rotation);
                }
                putHalves(sae.inputBuffer(), bits);
                float[] expected = decode(type, bits);
                float[] got = convertInput(sae, type, count);
                assertEquals(count, got.length);
                List<String> wrong = new ArrayList<>();
                for (int i = 0; i < count; i++) {
                    boolean same = Float.isNaN(expected[i]) ? Float.isNaN(got[i])
                            : Float.floatToRawIntBits(expected[i]) == Float.floatToRawIntBits(got[i]);
                    if (!same && wrong.size() < 10) {
                        wrong.add(String.format("0x%04x: %s (0x%08x), expected %s (0x%08x)", bits[i] & 0xffff, got[i],
                                Float.floatToRawIntBits(got[i]), expected[i], Float.floatToRawIntBits(expected[i])));
                    }
                }
                assertTrue(wrong.isEmpty(), type + ", " + count + " values: " + wrong);
                assertTrue(!Float.isNaN(expected[count - 1]) || rotation == 0, "the tail must hold finite values");
            }
        }
    }

    @Test
    void inputTypesAndAnUnsupportedType() {
        SaeConfig config = SaeConfig.builder(16, 32).activation(Activation.topK(2)).batchSize(4).build();
        try (DeviceSae sae = backend.create(config)) {
            assertEquals(Set.of(DType.F32, DType.F16, DType.BF16), sae.inputTypes());
            TrainingPolicy policy = new TrainingPolicy(config);
            for (DType type : new DType[] {DType.F64, DType.I16, DType.U16}) {
                assertThrows(IllegalArgumentException.class, () -> sae.trainStep(4, type, policy.next(0)),
                        type.toString());
                assertThrows(IllegalArgumentException.class,
                        () -> sae.evaluate(4, type, policy.evalParameters()), type.toString());
                assertThrows(IllegalArgumentException.class, () -> convertInput(sae, type, 4), type.toString());
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    private static void write(DeviceSae sae, ParameterTensors w) {
        sae.stateTensor("encoder_rows").write(0, FloatBuffer.wrap(w.wEnc()));
        sae.stateTensor("b_enc").write(0, FloatBuffer.wrap(w.bEnc()));
        sae.stateTensor("decoder_rows").write(0, FloatBuffer.wrap(w.wDec()));
        sae.stateTensor("b_dec").write(0, FloatBuffer.wrap(w.bDec()));
    }

    /**
     * Gaussian values encoded in {@code type}; every 13th value is scaled by 1e-6 (float16 subnormals), every 29th
     * by 1e4 (near float16's largest values), every 31st is a signed zero.
     */
    private static short[] randomHalves(DType type, int n, SplittableRandom rnd) {
        short[] out = new short[n];
        for (int i = 0; i < n; i++) {
            double g = TestData.gaussian(rnd);
            float v = (float) (i % 31 == 0 ? (g < 0 ? -0.0 : 0.0) : i % 13 == 0 ? 1e-6 * g : i % 29 == 0 ? 1e4 * g : g);
            out[i] = type == DType.F16 ? HalfFloats.floatToF16(v) : HalfFloats.floatToBf16(v);
        }
        return out;
    }

    private static float[] decode(DType type, short[] bits) {
        float[] out = new float[bits.length];
        for (int i = 0; i < bits.length; i++) {
            out[i] = type == DType.F16 ? HalfFloats.f16ToFloat(bits[i]) : HalfFloats.bf16ToFloat(bits[i]);
        }
        return out;
    }

    /** Writes 16-bit values, little-endian, into the input buffer's memory from byte 0. */
    private static void putHalves(FloatBuffer input, short[] bits) {
        new BytePointer(new FloatPointer(input)).capacity(2L * bits.length).asByteBuffer()
                .order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().put(bits);
    }
}

package io.jsae.cuda;

import io.jsae.core.Activation;
import io.jsae.core.SaeConfig;
import io.jsae.core.TestBackends;
import io.jsae.core.TestData;
import io.jsae.core.backend.Backend;
import io.jsae.core.backend.Backends;
import io.jsae.core.backend.DeviceSae;
import io.jsae.core.backend.StateTensor;
import io.jsae.core.backend.StepMetrics;
import io.jsae.core.data.SourcePosition;
import io.jsae.core.data.SyntheticActivations;
import io.jsae.core.train.Checkpoint;
import io.jsae.core.train.CheckpointStore;
import io.jsae.core.train.SaeTrainer;
import io.jsae.core.train.StepReport;
import io.jsae.core.train.TrainingListener;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CUDA backend's Java code and kernels driven by the real trainer ({@link SaeTrainer}) on {@code
 * cuda-emulated}, in this JVM. The conformance kit and {@link EmulationAgainstCpuTest} call the device SAE
 * directly with hand-made step parameters; what they do not reach is the trainer's use of it: initialization
 * written through the state tensors, the policy's AuxK and dead-latent bookkeeping across many steps (including
 * {@code CudaSae}'s cached dead mask, which a resume must rebuild from restored counters), partial batches at an
 * epoch's end, input normalization, the batchtopk threshold fed from the steps' minima, and a checkpoint
 * written from and restored into device memory. So this class checks, at small shapes (an emulated step is
 * slow):
 *
 * <ul>
 *   <li>a run stopped after its checkpoint at step T/2 (losing the steps after it), closed with its backend,
 *       and resumed in a fresh backend and trainer ends bitwise equal to an uninterrupted run: all twelve state
 *       tensors, the tokens-since-fired counters, the batchtopk threshold and the policy's counts, for topk and
 *       batchtopk SAEs with AuxK active and input normalization on (the core's {@code CheckpointResumeTest}
 *       proves the same for the CPU backend);</li>
 *   <li>the trainer on the emulation follows the CPU backend from the same initialization on the same data:
 *       per-step losses within a relative 1e-3 and the final held-out explained variance within 0.01. Top-k
 *       selections may differ where two pre-activations lie within float rounding, so nothing tighter is
 *       asked.</li>
 * </ul>
 */
class EmulatedTrainingTest {
    private static final int D_IN = 32;
    private static final int D_SAE = 256;
    private static final int BATCH = 128;
    /** Not a multiple of the batch: every epoch ends with a partial batch of 60 rows. */
    private static final long ROWS_PER_EPOCH = 700;
    private static final long TOTAL_STEPS = 14;
    private static final long CHECKPOINT_AT = TOTAL_STEPS / 2;
    /** Steps the interrupted run takes past its checkpoint, which the resumed run must redo identically. */
    private static final long LOST_STEPS = 2;
    /** One full batch without firing makes a latent dead, so AuxK runs in most steps (at the checkpoint too). */
    private static final long DEAD_TOKENS = BATCH;
    private static final long COMPARISON_STEPS = 20;

    static Stream<Arguments> activations() {
        return Stream.of(Arguments.of("topk", Activation.topK(8)), Arguments.of("batchtopk", Activation.batchTopK(8)));
    }

    /**
     * The learning rate stays modest for the CPU comparison's sake: at initialization (tied weights, unit decoder
     * rows, b_enc 0) a batchtopk row whose only kept latent is j has an error exactly orthogonal to decoder row j,
     * so that entry's dz is rounding residue (0 on one backend, about 1e-9 on the other), and Adam's first step
     * turns it into a move of about 0.6·lr whose sign depends on summation order. At lr 1e-2 that parts the two
     * backends' batchtopk losses by 1.4e-3 from step 2; at 3e-3 by under 1e-4.
     */
    private static SaeConfig config(Activation activation, long totalSteps) {
        return SaeConfig.builder(D_IN, D_SAE).activation(activation).batchSize(BATCH).learningRate(3e-3)
                .warmupSteps(3).totalSteps(totalSteps).deadTokens(DEAD_TOKENS).kAux(32).normalizeInput(true).seed(11)
                .build();
    }

    private static Backend emulated() {
        return Backends.named(EmulatedCudaBackendProvider.NAME, 0);
    }

    /** 64 ground-truth features in 32 dimensions, about 4 active per token. */
    private static SyntheticActivations source(long rowsPerEpoch) {
        return new SyntheticActivations(D_IN, 64, 4, 0.01, rowsPerEpoch, 7);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("activations")
    void resumeFromACheckpointIsBitwiseExact(String name, Activation activation, @TempDir Path dir) {
        SaeConfig config = config(activation, TOTAL_STEPS);

        Snapshot uninterrupted;
        List<StepMetrics> uninterruptedSteps = new ArrayList<>();
        try (Backend backend = emulated(); SyntheticActivations source = source(ROWS_PER_EPOCH);
             SaeTrainer trainer = new SaeTrainer(config, backend)) {
            trainer.addListener(stopAt(TOTAL_STEPS, uninterruptedSteps));
            while (trainer.step() < TOTAL_STEPS) {
                trainer.trainEpoch(source);
            }
            uninterrupted = Snapshot.of(trainer, source);
        }
        assertEquals(TOTAL_STEPS, uninterruptedSteps.size());
        assertTrue(uninterrupted.inputScale != 1.0, "input normalization must be on, scale " + uninterrupted.inputScale);
        assertTrue(uninterruptedSteps.stream().anyMatch(m -> m.rows() < BATCH),
                "the run must cross an epoch end with a partial batch");

        // Interrupted: a checkpoint at T/2, then a few more steps that are lost with the backend.
        Path storeDir = dir.resolve("store");
        try (Backend backend = emulated(); SyntheticActivations source = source(ROWS_PER_EPOCH);
             SaeTrainer trainer = new SaeTrainer(config, backend)) {
            trainer.checkpointTo(new CheckpointStore(storeDir, 3), CHECKPOINT_AT, null);
            trainer.addListener(stopAt(CHECKPOINT_AT + LOST_STEPS, new ArrayList<>()));
            while (trainer.step() < CHECKPOINT_AT + LOST_STEPS) {
                trainer.trainEpoch(source);
            }
            assertEquals(CHECKPOINT_AT + LOST_STEPS, trainer.step());
        }
        Checkpoint checkpoint = new CheckpointStore(storeDir, 3).latest().orElseThrow();
        assertEquals(CHECKPOINT_AT, checkpoint.step());
        long deadAtCheckpoint = Arrays.stream(checkpoint.state().tokensSinceFired())
                .filter(c -> c >= DEAD_TOKENS).count();
        assertTrue(deadAtCheckpoint > 0, "latents must be dead at the checkpoint, so the resumed step needs AuxK");

        Snapshot resumed;
        List<StepMetrics> resumedSteps = new ArrayList<>();
        try (Backend backend = emulated(); SyntheticActivations source = source(ROWS_PER_EPOCH);
             SaeTrainer trainer = new SaeTrainer(config, backend)) {
            Checkpoint from = trainer.resume(new CheckpointStore(storeDir, 3), source).orElseThrow();
            assertEquals(CHECKPOINT_AT, from.step());
            trainer.addListener(stopAt(TOTAL_STEPS, resumedSteps));
            while (trainer.step() < TOTAL_STEPS) {
                trainer.trainEpoch(source);
            }
            resumed = Snapshot.of(trainer, source);
        }

        assertEquals(TOTAL_STEPS - CHECKPOINT_AT, resumedSteps.size());
        assertTrue(resumedSteps.stream().anyMatch(m -> m.auxLoss() > 0), "AuxK must run after the resume");
        for (int i = 0; i < resumedSteps.size(); i++) {
            StepMetrics a = uninterruptedSteps.get((int) CHECKPOINT_AT + i);
            StepMetrics b = resumedSteps.get(i);
            assertEquals(a, b, name + ": metrics of step " + (CHECKPOINT_AT + i) + " after the resume");
        }
        uninterrupted.assertBitwiseEqual(resumed, name);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("activations")
    void trainerOnTheEmulationFollowsTheCpuBackend(String name, Activation activation) {
        SaeConfig config = config(activation, COMPARISON_STEPS);
        Backend cpu = TestBackends.cpu(); // shared, not closed here
        Comparison onCpu = Comparison.run(cpu, config);
        Comparison onEmulation;
        try (Backend backend = emulated()) {
            onEmulation = Comparison.run(backend, config);
        }
        assertEquals(COMPARISON_STEPS, onCpu.losses.length);
        assertEquals(onCpu.losses.length, onEmulation.losses.length);
        assertEquals(onCpu.inputScale, onEmulation.inputScale, 0.0, "the input scale is computed in Java from one sample");
        double worst = 0;
        for (int s = 0; s < onCpu.losses.length; s++) {
            double rel = Math.abs(onEmulation.losses[s] - onCpu.losses[s]) / Math.abs(onCpu.losses[s]);
            worst = Math.max(worst, rel);
            assertTrue(rel <= 1e-3, name + ", step " + s + ": loss on cpu " + onCpu.losses[s] + ", on cuda-emulated "
                    + onEmulation.losses[s] + " (relative " + rel + ")");
        }
        assertTrue(onCpu.auxSteps > 0 && onEmulation.auxSteps > 0, "AuxK must have run on both backends");
        assertTrue(onCpu.losses[onCpu.losses.length - 1] < onCpu.losses[0], "the run must learn something");
        assertEquals(onCpu.explainedVariance, onEmulation.explainedVariance, 0.01, name + ": held-out explained variance");
        System.out.printf("%s: cpu vs cuda-emulated over %d steps: worst relative loss difference %.2e, "
                + "explained variance %.4f vs %.4f%n", name, COMPARISON_STEPS, worst, onCpu.explainedVariance,
                onEmulation.explainedVariance);
    }

    /** Records each step's metrics and stops the trainer once it has taken {@code total} steps in all. */
    private static TrainingListener stopAt(long total, List<StepMetrics> record) {
        return new TrainingListener() {
            @Override
            public Action onStep(StepReport report) {
                record.add(report.metrics());
                return report.step() + 1 >= total ? Action.STOP : Action.CONTINUE;
            }
        };
    }

    /** A trainer's whole state after a run. */
    private record Snapshot(Map<String, float[]> state, long[] counters, double threshold, long step, long tokens,
                            long adamStep, long deadLatents, double inputScale, SourcePosition position) {

        static Snapshot of(SaeTrainer trainer, SyntheticActivations source) {
            DeviceSae sae = trainer.deviceSae();
            List<StateTensor> tensors = sae.stateTensors();
            assertEquals(DeviceSae.STATE_TENSORS, tensors.stream().map(StateTensor::name).toList());
            return new Snapshot(TestData.state(sae), sae.tokensSinceFired(), trainer.policy().threshold(),
                    trainer.step(), trainer.tokensSeen(), trainer.policy().adamStep(), trainer.policy().deadLatents(),
                    trainer.inputScale(), source.position());
        }

        void assertBitwiseEqual(Snapshot resumed, String name) {
            List<String> differing = new ArrayList<>();
            for (String t : state.keySet()) {
                float[] a = state.get(t);
                float[] b = resumed.state.get(t);
                int first = -1;
                int count = 0;
                for (int i = 0; i < a.length; i++) {
                    if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
                        first = first < 0 ? i : first;
                        count++;
                    }
                }
                if (count > 0) {
                    differing.add(t + " (" + count + " of " + a.length + " elements, first at " + first + ": "
                            + a[first] + " vs " + b[first] + ")");
                }
            }
            assertTrue(differing.isEmpty(), name + ": the resumed run's state differs from the uninterrupted run's in "
                    + differing);
            assertTrue(TestData.bitwiseEqual(state, resumed.state), name + ": state snapshots");
            assertArrayEquals(counters, resumed.counters, name + ": tokensSinceFired");
            assertEquals(Double.doubleToRawLongBits(threshold), Double.doubleToRawLongBits(resumed.threshold),
                    name + ": batchtopk threshold " + threshold + " vs " + resumed.threshold);
            assertEquals(step, resumed.step, name + ": steps");
            assertEquals(tokens, resumed.tokens, name + ": tokens");
            assertEquals(adamStep, resumed.adamStep, name + ": Adam steps");
            assertEquals(deadLatents, resumed.deadLatents, name + ": dead latents");
            assertEquals(inputScale, resumed.inputScale, 0.0, name + ": input scale");
            assertEquals(position, resumed.position, name + ": source position");
        }
    }

    /** One trainer run on a backend, for the CPU comparison. */
    private record Comparison(double[] losses, long auxSteps, double explainedVariance, double inputScale) {

        static Comparison run(Backend backend, SaeConfig config) {
            List<StepMetrics> steps = new ArrayList<>();
            try (SyntheticActivations source = source(1_000_000); SaeTrainer trainer = new SaeTrainer(config, backend)) {
                trainer.addListener(stopAt(COMPARISON_STEPS, steps));
                trainer.train(source, COMPARISON_STEPS * BATCH);
                try (SyntheticActivations heldOut = source(4L * BATCH)) {
                    heldOut.seek(new SourcePosition(1_000, 0));
                    double ev = trainer.evaluate(heldOut).explainedVariance();
                    return new Comparison(steps.stream().mapToDouble(StepMetrics::loss).toArray(),
                            steps.stream().filter(m -> m.auxLoss() > 0).count(), ev, trainer.inputScale());
                }
            }
        }
    }
}

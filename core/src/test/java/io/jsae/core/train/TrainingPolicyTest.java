package io.jsae.core.train;

import io.jsae.core.Activation;
import io.jsae.core.SaeConfig;
import io.jsae.core.TestBackends;
import io.jsae.core.backend.InvalidBatchException;
import io.jsae.core.backend.StepMetrics;
import io.jsae.core.backend.StepParameters;
import io.jsae.core.data.SyntheticActivations;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The training policy's numbers, decided once for every backend. */
class TrainingPolicyTest {

    private static StepMetrics metrics(long dead, double minKept) {
        return new StepMetrics(8, 1, 1, 0, 0, 4, 8, 16, dead, minKept, -1);
    }

    @Test
    void adamScalarsScheduleAndAuxWeightingFollowTheDesign() {
        SaeConfig config = SaeConfig.builder(16, 64).activation(Activation.topK(4)).kAux(8).auxCoefficient(0.25)
                .learningRate(1e-3).warmupSteps(10).totalSteps(100).build();
        TrainingPolicy policy = new TrainingPolicy(config);
        StepParameters p = policy.next(0);
        assertEquals(1, p.adamStep());
        assertEquals(1e-4, p.learningRate(), 1e-18, "warm-up: step 0 gets lr / warmupSteps");
        assertEquals(p.learningRate() / (1 - 0.9), p.adamStepSize(), 1e-15);
        assertEquals(Math.sqrt(1 - 0.999), p.adamBias2Sqrt(), 1e-15);
        assertEquals(0, p.auxLatents(), "no dead latents yet: no AuxK");
        assertEquals(0, p.auxScale());
        assertEquals(0, p.l1Coefficient());

        policy.after(metrics(4, 0.5), "step 0");
        p = policy.next(1);
        assertEquals(2, p.adamStep());
        assertEquals(4, p.auxLatents(), "min(kAux, #dead)");
        assertEquals(0.25 * 4 / 8.0, p.auxScale(), 1e-15, "auxCoef · min(#dead/kAux, 1)");
        policy.after(metrics(20, 0.5), "step 1");
        p = policy.next(95);
        assertEquals(8, p.auxLatents());
        assertEquals(0.25, p.auxScale(), 1e-15);
        assertEquals(config.learningRateAt(95), p.learningRate());
        assertEquals(p.learningRate() / (1 - Math.pow(0.9, 3)), p.adamStepSize(), 1e-15);

        SaeConfig relu = SaeConfig.builder(16, 64).activation(Activation.relu(0.3)).build();
        assertEquals(0.3, new TrainingPolicy(relu).next(0).l1Coefficient());
    }

    @Test
    void aRejectedBatchIsAnErrorAndCountsNoStep() {
        TrainingPolicy policy = new TrainingPolicy(SaeConfig.builder(16, 64).build());
        InvalidBatchException e = assertThrows(InvalidBatchException.class,
                () -> policy.after(StepMetrics.rejected(8, 3), "step 17 (batch ending at epoch 0, row 96)"));
        assertTrue(e.getMessage().contains("step 17") && e.getMessage().contains("row 3"), e.getMessage());
        assertEquals(0, policy.adamStep());
    }

    @Test
    void thresholdStartsAtTheFirstValueThenMovesAtItsRate() {
        SaeConfig config = SaeConfig.builder(16, 64).activation(Activation.batchTopK(4)).build();
        TrainingPolicy policy = new TrainingPolicy(config);
        assertTrue(Double.isNaN(policy.threshold()));
        policy.after(metrics(0, Double.POSITIVE_INFINITY), "s");
        assertTrue(Double.isNaN(policy.threshold()), "a batch that kept nothing positive does not start it");
        policy.after(metrics(0, 1.0), "s");
        assertEquals(1.0, policy.threshold(), 1e-15);
        policy.after(metrics(0, 3.0), "s");
        assertEquals(1.0 + TrainingPolicy.THRESHOLD_EMA_RATE * 2.0, policy.threshold(), 1e-15);
        double before = policy.threshold();
        policy.after(metrics(0, Double.POSITIVE_INFINITY), "s");
        assertEquals(before, policy.threshold(), "a batch that kept nothing positive does not move it");

        TrainingPolicy topk = new TrainingPolicy(SaeConfig.builder(16, 64).activation(Activation.topK(4)).build());
        topk.after(metrics(0, 1.0), "s");
        assertTrue(Double.isNaN(topk.threshold()), "only batchtopk keeps a threshold");
    }

    @Test
    void restoreRecountsTheDeadLatents() {
        SaeConfig config = SaeConfig.builder(16, 4).activation(Activation.topK(2)).kAux(4).deadTokens(100).build();
        TrainingPolicy policy = new TrainingPolicy(config);
        policy.restore(7, 0.5, new long[] {0, 100, 99, 5000});
        assertEquals(2, policy.deadLatents());
        assertEquals(8, policy.next(0).adamStep());
        assertEquals(2, policy.next(0).auxLatents());
        assertEquals(0.5, policy.threshold());
    }

    @Test
    void sigtermHookIsRegisteredOnceAndRemovedOnClose() {
        SaeConfig config = SaeConfig.builder(8, 16).activation(Activation.topK(2)).batchSize(16).build();
        SaeTrainer trainer = new SaeTrainer(config, TestBackends.cpu());
        trainer.checkpointTo(new CheckpointStore(Path.of(System.getProperty("java.io.tmpdir"), "jsae-hook-test-"
                + ProcessHandle.current().pid()), 1), 0, null);
        assertFalse(trainer.sigtermHookRegistered());
        trainer.checkpointOnSigterm(Duration.ofSeconds(1)).checkpointOnSigterm(Duration.ofSeconds(2));
        assertTrue(trainer.sigtermHookRegistered());
        trainer.train(new SyntheticActivations(8, 16, 2, 0, 64, 1), 32);
        trainer.close();
        assertFalse(trainer.sigtermHookRegistered(), "close() must remove the hook");
    }
}

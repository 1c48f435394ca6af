package io.jsae.core.train;

import io.jsae.core.Activation;
import io.jsae.core.SaeConfig;
import io.jsae.core.TestBackends;
import io.jsae.core.SparseAutoencoder;
import io.jsae.core.data.SyntheticActivations;
import io.jsae.core.eval.EvalMetrics;
import io.jsae.core.eval.FeatureRecovery;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A topk SAE trained on synthetic activations (dIn 64, 256 true features in superposition, about 4 active
 * per token) recovers the true features. k = 16 leaves room for the interference between non-orthogonal
 * features: with k = 8 the directions are recovered (mean max cosine 0.997) but explained variance stalls
 * near 0.89.
 */
class FeatureRecoveryTest {
    @Test
    void topKRecoversSyntheticFeatures() {
        int dIn = 64;
        SyntheticActivations train = new SyntheticActivations(dIn, 256, 4, 0, 200_000, 11);
        SaeConfig config = SaeConfig.builder(dIn, 512).activation(Activation.topK(16))
                .batchSize(512).learningRate(3e-3)
                .deadTokens(50_000).totalSteps(8 * 200_000 / 512).seed(3).build();
        try (SaeTrainer trainer = new SaeTrainer(config, TestBackends.cpu())) {
            for (int epoch = 0; epoch < 8; epoch++) {
                trainer.trainEpoch(train);
            }
            SparseAutoencoder model = trainer.model();
            double mmcs = FeatureRecovery.meanMaxCosineSimilarity(model, train.trueFeatures());
            SyntheticActivations test = new SyntheticActivations(dIn, 256, 4, 0, 20_000, 11);
            test.seek(new io.jsae.core.data.SourcePosition(1000, 0)); // unseen tokens of the same features
            EvalMetrics eval = trainer.evaluate(test);
            assertTrue(mmcs >= 0.9, "mean max cosine similarity " + mmcs);
            assertTrue(eval.explainedVariance() >= 0.9, "explained variance " + eval.explainedVariance());
            assertEquals(16.0, eval.l0(), 1e-12, "L0 of topk(16)");
        }
    }
}

package io.jsae.core.train;

import io.jsae.core.Activation;
import io.jsae.core.ParameterTensors;
import io.jsae.core.SaeConfig;
import io.jsae.core.TestBackends;
import io.jsae.core.data.SourcePosition;
import io.jsae.core.data.SyntheticActivations;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CheckpointStoreTest {
    private static SaeConfig config(long seed) {
        return SaeConfig.builder(16, 32).activation(Activation.topK(3)).batchSize(64).learningRate(3e-3).seed(seed).build();
    }

    @Test
    void keepsTheLastNAndTheBestAndSkipsDamagedOnesWithReasons(@TempDir Path dir) throws Exception {
        CheckpointStore store = new CheckpointStore(dir, 2);
        SyntheticActivations data = new SyntheticActivations(16, 24, 2, 0.01, 64 * 4, 1);
        try (SaeTrainer trainer = new SaeTrainer(config(1), TestBackends.cpu())) {
            trainer.checkpointTo(store, 1, null);
            for (int epoch = 0; epoch < 3; epoch++) {
                trainer.trainEpoch(data); // 4 steps per epoch, a checkpoint after each step
            }
        }
        List<Path> folders = store.checkpointFolders();
        assertTrue(folders.size() >= 2 && folders.size() <= 3, "kept " + folders);
        assertEquals("step-000000000012", folders.get(0).getFileName().toString());
        // the best (lowest round loss) is kept even when older than the last two
        long bestScoreFolders = folders.stream().filter(p -> !p.getFileName().toString().endsWith("12")
                && !p.getFileName().toString().endsWith("11")).count();
        assertTrue(bestScoreFolders <= 1);

        // corrupt the newest: latest() skips it with the reason and falls back
        Path newest = folders.get(0).resolve("model.safetensors");
        Files.write(newest, new byte[] {1, 2, 3}, StandardOpenOption.APPEND);
        Checkpoint c = store.latest().orElseThrow();
        assertEquals(11, c.step());
        assertEquals(1, store.skipped().size());
        assertTrue(store.skipped().get(0).contains("model.safetensors") && store.skipped().get(0).contains("bytes"),
                store.skipped().get(0));

        // a half-written one without manifest is skipped too
        Files.delete(folders.get(1).resolve("manifest.json"));
        store.latest();
        assertTrue(store.skipped().stream().anyMatch(s -> s.contains("manifest.json")), store.skipped().toString());
    }

    @Test
    void resumeRestoresStateAndRefusesAnotherModel(@TempDir Path dir) {
        CheckpointStore store = new CheckpointStore(dir, 3);
        SyntheticActivations data = new SyntheticActivations(16, 24, 2, 0.01, 64 * 5, 2);
        ParameterTensors saved;
        long[] counters;
        try (SaeTrainer trainer = new SaeTrainer(config(4), TestBackends.cpu())) {
            trainer.checkpointTo(store, 0, null);
            trainer.train(data, 64 * 3);
            trainer.recordRound(Map.of("loss", 1.5, "explained_variance", 0.7));
            trainer.saveCheckpoint(data);
            saved = trainer.model().weights();
            counters = trainer.deviceSae().tokensSinceFired();
        }
        SyntheticActivations again = new SyntheticActivations(16, 24, 2, 0.01, 64 * 5, 2);
        try (SaeTrainer trainer = new SaeTrainer(config(4), TestBackends.cpu())) {
            Checkpoint c = trainer.resume(store, again).orElseThrow();
            assertEquals(3, c.step());
            assertEquals(3, trainer.step());
            assertEquals(64 * 3, trainer.tokensSeen());
            assertEquals(new SourcePosition(0, 64 * 3), again.position());
            assertTrue(trainer.model().weights().bitwiseEquals(saved));
            assertTrue(java.util.Arrays.equals(counters, trainer.deviceSae().tokensSinceFired()));
            assertEquals(List.of(Map.of("loss", 1.5, "explained_variance", 0.7)), trainer.history());
            assertEquals(3, trainer.policy().adamStep());
        }
        try (SaeTrainer other = new SaeTrainer(config(5), TestBackends.cpu())) {
            CheckpointException e = assertThrows(CheckpointException.class,
                    () -> other.resume(store, new SyntheticActivations(16, 24, 2, 0.01, 64, 2)));
            assertTrue(e.getMessage().contains("seed 4") && e.getMessage().contains("seed 5"), e.getMessage());
        }
    }
}

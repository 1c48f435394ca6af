package io.jsae.core.train;

import io.jsae.core.Activation;
import io.jsae.core.SaeConfig;
import io.jsae.core.backend.StateTensor;
import io.jsae.core.backend.cpu.CpuBackend;
import io.jsae.core.data.LoaderOptions;
import io.jsae.core.data.NpyActivationSource;
import io.jsae.core.io.DType;
import io.jsae.core.io.SafetensorsWriter;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The training run of {@link CheckpointResumeTest}, in a JVM of its own so that the test can kill it for
 * real. It resumes from the store if it holds a checkpoint, trains to a fixed step count over a shuffled npy
 * shard with checkpoints every few steps, and writes the final state tensors to a file.
 *
 * <p>Arguments: store npy totalSteps out pauseInCheckpointAtStep stepSleepMillis. Prints "step N" after each
 * step, "in-checkpoint" while paused inside a checkpoint write, "resumed N" and "done".
 */
public final class ResumeChild {
    private ResumeChild() {
    }

    static SaeConfig config(long totalSteps) {
        return SaeConfig.builder(16, 64).activation(Activation.topK(4)).batchSize(48).learningRate(3e-3)
                .deadTokens(400).kAux(8).totalSteps(totalSteps).warmupSteps(5).seed(21).build();
    }

    public static void main(String[] args) throws Exception {
        Path storeDir = Path.of(args[0]);
        Path npy = Path.of(args[1]);
        long totalSteps = Long.parseLong(args[2]);
        Path out = Path.of(args[3]);
        long pauseAt = Long.parseLong(args[4]);
        long sleepMs = Long.parseLong(args[5]);
        SaeConfig config = config(totalSteps);
        CheckpointStore store = new CheckpointStore(storeDir, 3);
        try (CpuBackend backend = new CpuBackend(2);
             NpyActivationSource source = NpyActivationSource.builder().file(npy)
                     .options(LoaderOptions.builder().shuffle(5).chunkRows(32).shuffleBufferRows(128).readThreads(2).build())
                     .build();
             SaeTrainer trainer = new SaeTrainer(config, backend)) {
            trainer.checkpointTo(store, 7, null).checkpointOnSigterm(Duration.ofSeconds(20));
            CheckpointStore.afterFileWritten = p -> {
                if (trainer.step() == pauseAt) {
                    System.out.println("in-checkpoint " + p.getFileName());
                    System.out.flush();
                    sleep(60_000);
                }
            };
            trainer.resume(store, source).ifPresent(c -> System.out.println("resumed " + c.step()));
            trainer.addListener(new TrainingListener() {
                @Override
                public Action onStep(StepReport r) {
                    System.out.println("step " + (r.step() + 1));
                    System.out.flush();
                    sleep(sleepMs);
                    return r.step() + 1 >= totalSteps ? Action.STOP : Action.CONTINUE;
                }
            });
            while (trainer.step() < totalSteps) {
                EpochSummary s = trainer.trainEpoch(source);
                trainer.recordRound(Map.of("loss", s.meanLoss()));
            }
            SafetensorsWriter w = new SafetensorsWriter();
            for (StateTensor t : trainer.deviceSae().stateTensors()) {
                w.add(t.name(), DType.F32, t.shape(), t.size(), t::read);
            }
            w.metadata("history", trainer.history().toString());
            w.write(out);
            System.out.println("done");
        }
    }

    private static void sleep(long ms) {
        if (ms <= 0) {
            return;
        }
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

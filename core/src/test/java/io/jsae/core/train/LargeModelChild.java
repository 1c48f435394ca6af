package io.jsae.core.train;

import io.jsae.core.Activation;
import io.jsae.core.SaeConfig;
import io.jsae.core.backend.StateTensor;
import io.jsae.core.backend.cpu.CpuBackend;
import io.jsae.core.data.SyntheticActivations;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * The run of {@link LargeModelResumeTest}, in a JVM of its own with a 1 GiB heap: a topk SAE of d_in 4096 and
 * d_sae 65536 (6.4 GB of weights and Adam moments; no gradient is stored) trained at batch 64. Mode
 * {@code checkpoint} initializes, takes 2 steps, checkpoints, takes 2 more and prints the state's SHA-256;
 * mode {@code resume} resumes from the checkpoint, takes the 2 remaining steps and prints the same hash.
 *
 * <p>Arguments: mode store. Prints "hash HEX" last.
 */
public final class LargeModelChild {
    static final int D_IN = 4096;
    static final int D_SAE = 65536;
    static final int BATCH = 64;

    private LargeModelChild() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        CheckpointStore store = new CheckpointStore(Path.of(args[1]), 1);
        SaeConfig config = SaeConfig.builder(D_IN, D_SAE).activation(Activation.topK(32)).batchSize(BATCH)
                .learningRate(1e-4).bDecInit(SaeConfig.BDecInit.MEAN).seed(7).build();
        SyntheticActivations source = new SyntheticActivations(D_IN, 512, 8, 0.01, 1_000_000, 7);
        long t0 = System.nanoTime();
        try (CpuBackend backend = new CpuBackend(2); SaeTrainer trainer = new SaeTrainer(config, backend)) {
            trainer.checkpointTo(store, 0, null);
            if (mode.equals("checkpoint")) {
                trainer.train(source, 2L * BATCH);
                trainer.saveCheckpoint(source);
                System.out.println("checkpointed at step " + trainer.step());
            } else {
                trainer.resume(store, source).orElseThrow();
                System.out.println("resumed at step " + trainer.step());
            }
            trainer.train(source, 4L * BATCH); // the round's budget counts the tokens before the checkpoint too
            System.out.println("heap used " + (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) / (1 << 20)
                    + " MiB of " + Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB at step " + trainer.step());
            System.out.printf("%.1f s in all%n", (System.nanoTime() - t0) / 1e9);
            System.out.println("hash " + hash(trainer));
        }
    }

    /** SHA-256 over every state tensor's bytes, read in chunks, and the counters. */
    static String hash(SaeTrainer trainer) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        ByteBuffer bytes = ByteBuffer.allocateDirect(1 << 22).order(ByteOrder.LITTLE_ENDIAN);
        FloatBuffer floats = bytes.asFloatBuffer();
        for (StateTensor t : trainer.deviceSae().stateTensors()) {
            for (long done = 0; done < t.size(); ) {
                int n = (int) Math.min(floats.capacity(), t.size() - done);
                floats.clear().limit(n);
                t.read(done, floats);
                bytes.clear().limit(n * Float.BYTES);
                md.update(bytes);
                done += n;
            }
        }
        for (long c : trainer.deviceSae().tokensSinceFired()) {
            md.update(ByteBuffer.allocate(8).putLong(0, c));
        }
        md.update(ByteBuffer.allocate(8).putLong(0, trainer.policy().adamStep()));
        return HexFormat.of().formatHex(md.digest());
    }
}

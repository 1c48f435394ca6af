package io.jsae.examples;

import io.jsae.core.SparseAutoencoder;
import io.jsae.core.io.SaeFolders;
import io.jsae.core.train.CheckpointStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainCommandTest {

    private static String run(String... args) {
        StringWriter sw = new StringWriter();
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(new PrintWriter(sw));
        cl.setErr(new PrintWriter(sw));
        int code = cl.execute(args);
        assertEquals(0, code, sw.toString());
        return sw.toString();
    }

    @Test
    void trainsWithTumixCostAndCheckpointsThenResumesFinished(@TempDir Path dir) throws Exception {
        Path ckpt = dir.resolve("ckpt");
        String out = run("train", "--tokens-per-epoch", "30000", "--synthetic-d-in", "32", "--synthetic-features", "64",
                "--d-sae", "128", "--k", "8", "--batch", "256", "--max-rounds", "3", "--min-explained-variance", "0.0",
                "--checkpoints", ckpt.toString(), "--checkpoint-every", "50", "--out", dir.resolve("sae").toString(),
                "--model-name", "synthetic", "--hook-name", "blocks.0.hook_resid_post");
        assertTrue(out.contains("round 1:"), out);
        SparseAutoencoder loaded = SaeFolders.load(dir.resolve("sae"));
        assertEquals(128, loaded.dSae());
        assertEquals("blocks.0.hook_resid_post", loaded.metadata().hookName());
        assertTrue(out.contains("stop at round"), out);
        assertTrue(out.contains("held-out: tokens=20000"), out);
        assertTrue(out.contains("would cost $"), out);
        assertTrue(new CheckpointStore(ckpt, 3).latest().isPresent(), "checkpoints written");
        // The same command again resumes; the recorded rounds already say stop, so it trains no further.
        String again = run("train", "--tokens-per-epoch", "30000", "--synthetic-d-in", "32", "--synthetic-features", "64",
                "--d-sae", "128", "--k", "8", "--batch", "256", "--max-rounds", "3", "--min-explained-variance", "0.0",
                "--checkpoints", ckpt.toString(), "--checkpoint-every", "50");
        assertTrue(again.contains("resumed from"), again);
        assertTrue(!again.contains("round 1:"), again);
    }
}

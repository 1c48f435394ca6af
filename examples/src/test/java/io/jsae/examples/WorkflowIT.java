package io.jsae.examples;

import io.jsae.core.data.SyntheticActivations;
import io.jsae.core.io.NpyFile;
import io.jsae.core.io.NpyWriter;
import io.jsae.core.io.SaeFolders;
import io.jsae.examples.report.MetricsCsv;
import io.jsae.examples.report.StepPoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The guide's workflow end to end, through the packaged {@code target/jsae.jar} in separate processes as a user
 * runs it: preflight, plan, train with TUMIX rounds, the cost meter and checkpoints, a SIGTERM, the resume, the
 * export, inspect and encode of the exported SAE, and the report.
 */
class WorkflowIT {
    private static final Path JAR = Path.of("target", "jsae.jar").toAbsolutePath();
    private static final int D_IN = 32;

    /** A finished process: its exit code and what it printed. */
    record Result(int code, String out) {
    }

    private static ProcessBuilder jsae(Path dir, String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", JAR.toString()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("last-output.txt").toFile());
    }

    private static Result run(Path dir, String... args) throws Exception {
        Process p = jsae(dir, args).start();
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "jsae " + String.join(" ", args) + " took over 5 minutes");
        return new Result(p.exitValue(), Files.readString(dir.resolve("last-output.txt")));
    }

    @Test
    void preflightPlanTrainInterruptResumeExportInspectEncodeReport(@TempDir Path dir) throws Exception {
        assertTrue(Files.exists(JAR), "package the examples first: " + JAR);
        Path shards = Files.createDirectory(dir.resolve("acts"));
        writeShards(shards);

        // Preflight: the network check is skipped here (no network), the cpu backend's smoke test must pass.
        Result preflight = run(dir, "preflight", "--offline", "--backend", "cpu");
        assertEquals(ExitCode.OK, preflight.code(), preflight.out());
        assertTrue(preflight.out().contains("PASS  backend smoke test (cpu)"), preflight.out());
        // Plan: its estimate line is what train checks its cost against.
        Result plan = run(dir, "plan", "--hours-per-epoch", "0.004", "--epochs", "4");
        assertEquals(ExitCode.OK, plan.code(), plan.out());
        String estimate = plan.out().lines().filter(l -> l.startsWith("estimate: $")).findFirst()
                .orElseThrow(() -> new AssertionError("no estimate line in the plan: " + plan.out()));

        String[] train = {"train", "--data", "acts", "--d-sae", "128", "--k", "8", "--batch", "256",
                "--max-rounds", "4", "--min-rounds", "2", "--min-explained-variance", "0", "--checkpoints", "ckpt",
                "--checkpoint-every", "20", "--out", "sae", "--report", "report", "--progress-seconds", "1",
                "--hook-name", "blocks.12.hook_resid_post", "--model-name", "synthetic", "--estimate", estimate};

        // Interrupt the run once it has written a checkpoint: it writes another and exits with 130.
        Process first = jsae(dir, train).start();
        Path ckpt = dir.resolve("ckpt");
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (checkpointCount(ckpt) == 0 && first.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertTrue(first.isAlive(), "the run ended before it could be interrupted: "
                + Files.readString(dir.resolve("last-output.txt")));
        first.destroy(); // SIGTERM
        assertTrue(first.waitFor(2, TimeUnit.MINUTES));
        String interrupted = Files.readString(dir.resolve("last-output.txt"));
        assertEquals(ExitCode.INTERRUPTED, first.exitValue(), interrupted);
        assertTrue(interrupted.contains("checkpoint written to ckpt; run the same command to resume"), interrupted);
        assertFalse(Files.exists(dir.resolve("sae")), "nothing exported from an interrupted run");
        List<StepPoint> before = MetricsCsv.read(dir.resolve("report/metrics.csv"));

        Result resumed = run(dir, train);
        assertEquals(ExitCode.OK, resumed.code(), resumed.out());
        assertTrue(resumed.out().contains("resumed from"), resumed.out());
        assertTrue(resumed.out().contains("stop: "), resumed.out());
        assertTrue(resumed.out().contains("exported the SAE"), resumed.out());
        List<StepPoint> after = MetricsCsv.read(dir.resolve("report/metrics.csv"));
        assertEquals(before.get(0), after.get(0), "the report keeps the steps before the interruption");
        for (int i = 1; i < after.size(); i++) {
            assertTrue(after.get(i).step() > after.get(i - 1).step(), "steps increase through the resume");
            assertTrue(after.get(i).dollars() >= after.get(i - 1).dollars(), "the cost never goes back on resume");
        }
        String html = Files.readString(dir.resolve("report/report.html"));
        String planned = estimate.substring("estimate: ".length(), estimate.indexOf(" ±"));
        assertTrue(html.contains(planned), "the report shows the cost against the plan's " + planned);
        assertTrue(resumed.out().contains("the estimate " + planned), "the last line checks the estimate: "
                + resumed.out());

        Result complete = run(dir, train);
        assertEquals(ExitCode.OK, complete.code(), complete.out());
        assertTrue(complete.out().contains("is complete"), complete.out());

        assertEquals(128, SaeFolders.load(dir.resolve("sae")).dSae());
        Result inspect = run(dir, "inspect", "sae", "--data", "acts", "--json", "inspect.json");
        assertEquals(ExitCode.OK, inspect.code(), inspect.out());
        assertTrue(inspect.out().contains("blocks.12.hook_resid_post"), inspect.out());
        assertTrue(Files.readString(dir.resolve("inspect.json")).contains("explained_variance"));

        Result encode = run(dir, "encode", "sae", "--data", "acts", "--out", "codes");
        assertEquals(ExitCode.OK, encode.code(), encode.out());
        float[] values = NpyFile.readFloats(dir.resolve("codes/values.npy"));
        assertEquals(ROWS * 8L, values.length, "k latents for each activation row");
    }

    private static final int ROWS = 24_000;

    private static void writeShards(Path folder) throws IOException {
        SyntheticActivations synthetic = new SyntheticActivations(D_IN, 64, 4, 0, ROWS, 7);
        for (int shard = 0; shard < 2; shard++) {
            int rows = ROWS / 2;
            FloatBuffer buf = FloatBuffer.allocate(rows * D_IN);
            assertEquals(rows, synthetic.read(buf, rows));
            NpyWriter.write(folder.resolve("shard-" + shard + ".npy"), buf.array(), rows, D_IN);
        }
    }

    private static long checkpointCount(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("step-")).count();
        }
    }
}

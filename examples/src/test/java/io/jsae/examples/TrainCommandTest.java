package io.jsae.examples;

import io.jsae.core.SparseAutoencoder;
import io.jsae.core.io.NpyWriter;
import io.jsae.core.io.SaeFolders;
import io.jsae.core.train.CheckpointStore;
import io.jsae.examples.report.MetricsCsv;
import io.jsae.examples.report.StepPoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainCommandTest {


    private static CommandRun run(String... args) {
        return CommandRun.of(args);
    }

    private static final String[] SMALL = {"train", "--tokens-per-epoch", "30000", "--synthetic-d-in", "32",
            "--synthetic-features", "64", "--d-sae", "128", "--k", "8", "--batch", "256", "--max-rounds", "3",
            "--min-explained-variance", "0.0", "--checkpoint-every", "50", "--progress-seconds", "0"};

    private static String[] small(String... more) {
        List<String> a = new ArrayList<>(List.of(SMALL));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    @Test
    void trainsMetersAndReportsThenARerunSaysTheRunIsCompleteAndFreshStartsOver(@TempDir Path dir) throws Exception {
        Path ckpt = dir.resolve("ckpt");
        Path sae = dir.resolve("sae");
        Path report = dir.resolve("report");
        CommandRun first = run(small("--checkpoints", ckpt.toString(), "--out", sae.toString(), "--report", report.toString(),
                "--model-name", "synthetic", "--hook-name", "blocks.0.hook_resid_post", "--estimate", "0.01"));
        assertEquals(ExitCode.OK, first.code(), first.all());
        assertTrue(first.out().contains("round 1: fvu "), first.out());
        // the stop reasoning names the monitored quantity, fvu, with the numbers its round lines show
        String stop = first.out().lines().filter(l -> l.startsWith("stop: ")).findFirst().orElseThrow();
        assertTrue(stop.contains("fvu"), stop);
        assertTrue(first.out().contains("held-out: tokens=20000"), first.out());
        assertTrue(first.out().contains("this run cost $"), first.out());
        assertTrue(first.out().contains("the estimate $0.01"), "the budget check against --estimate: " + first.out());
        SparseAutoencoder loaded = SaeFolders.load(sae);
        assertEquals(128, loaded.dSae());
        assertEquals("blocks.0.hook_resid_post", loaded.metadata().hookName());
        List<StepPoint> points = MetricsCsv.read(report.resolve("metrics.csv"));
        long steps = new CheckpointStore(ckpt, 3).latest().orElseThrow().step();
        assertEquals(steps, points.get(points.size() - 1).step(), "metrics.csv ends at the final step");
        String html = Files.readString(report.resolve("report.html"));
        assertTrue(html.contains("chart-loss") && html.contains("fvu"), "report with charts and rounds");

        // The same command again: the final checkpoint holds every round, so nothing is retrained.
        CommandRun again = run(small("--checkpoints", ckpt.toString(), "--out", sae.toString()));
        assertEquals(ExitCode.OK, again.code(), again.all());
        assertTrue(again.out().contains("is complete: "), again.out());
        assertFalse(again.out().contains("round 1:"), again.out());
        assertEquals(steps, new CheckpointStore(ckpt, 3).latest().orElseThrow().step(), "no step was taken");

        // A fresh start refuses the existing --out, then with --force trains again from step 0.
        CommandRun refused = run(small("--checkpoints", ckpt.toString(), "--out", sae.toString(), "--fresh"));
        assertEquals(ExitCode.USAGE, refused.code(), refused.all());
        assertTrue(refused.err().contains("--out " + sae + " already exists"), refused.err());
        assertTrue(refused.err().contains("--force"), refused.err());
        CommandRun fresh = run(small("--checkpoints", ckpt.toString(), "--out", sae.toString(), "--fresh", "--force",
                "--max-rounds", "2"));
        assertEquals(ExitCode.OK, fresh.code(), fresh.all());
        assertTrue(fresh.out().contains("--fresh: deleted"), fresh.out());
        assertTrue(fresh.out().contains("round 1:"), fresh.out());
        assertTrue(fresh.out().contains("stop at round 2"), fresh.out());
    }

    @Test
    void everyActivationTrainsWithItsOptions(@TempDir Path dir) {
        for (String[] act : List.of(new String[] {"--activation", "batchtopk", "--aux-k", "16"},
                new String[] {"--activation", "relu", "--l1", "1.0", "--aux-coefficient", "0"})) {
            List<String> args = new ArrayList<>(List.of(small("--max-rounds", "1", "--min-rounds", "1",
                    "--warmup-steps", "10", "--decay-fraction", "0.2", "--threads", "1", "--backend", "cpu")));
            args.addAll(List.of(act));
            CommandRun r = run(args.toArray(String[]::new));
            assertEquals(ExitCode.OK, r.code(), r.all());
            assertTrue(r.out().contains(act[1].equals("relu") ? "Relu" : "BatchTopK"), r.out());
            assertTrue(r.out().contains("round 1:"), r.out());
        }
    }

    @Test
    void badOptionsAreOneUsageLine() {
        for (String[] args : List.of(new String[] {"train", "--activation", "gelu"},
                new String[] {"train", "--offer", "NoSuchCloud"}, new String[] {"train", "--k", "0"},
                new String[] {"train", "--require", "dead_features"}, new String[] {"train", "--bogus"},
                new String[] {"train", "--pricing", "reserved"}, new String[] {"train", "--batch", "0"},
                new String[] {"train", "--tokens-per-epoch", "0"}, new String[] {"train", "--eval-tokens", "0"},
                new String[] {"train", "--monitor", "nosuch"}, new String[] {"train", "--require", "nosuch>=0.05"},
                new String[] {"train", "--backend", "tpu"}, new String[] {"train", "--divergence", "-1"},
                new String[] {"train", "--fresh"}, new String[] {"train", "--progress-seconds", "-1"},
                new String[] {"train", "--keep-checkpoints", "0", "--checkpoints", "ck"},
                new String[] {"train", "--monitor", "feature_recovery", "--data", "x.npy"},
                new String[] {"train", "--data", "x.npy", "--read-threads", "-1"})) {
            CommandRun r = run(args);
            assertEquals(ExitCode.USAGE, r.code(), String.join(" ", args) + ": " + r.all());
            assertTrue(r.err().startsWith("jsae: "), r.err());
            assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
            assertFalse(r.all().contains("round 1"), "refused before any training: " + r.all());
        }
        CommandRun precision = run("train", "--backend", "cpu", "--precision", "tf32");
        assertEquals(ExitCode.BACKEND_UNAVAILABLE, precision.code(), precision.all());
        assertTrue(precision.err().contains("--precision tf32: the cpu backend runs [FP32]"), precision.err());
    }

    @Test
    void badDataIsOneLineWithTheRemedyAndExitCode3(@TempDir Path dir) throws Exception {
        Random random = new Random(3);
        float[] rows = new float[100 * 16];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = (float) random.nextGaussian();
        }
        rows[5 * 16 + 3] = Float.NaN;
        Path nan = dir.resolve("nan.npy");
        NpyWriter.write(nan, rows, 100, 16);
        Path truncated = dir.resolve("truncated.npy");
        byte[] whole = Files.readAllBytes(nan);
        Files.write(truncated, java.util.Arrays.copyOf(whole, whole.length - 1000));
        Path int32 = dir.resolve("int32.npy");
        Files.write(int32, npyHeader("<i4", 100, 16, 6400));
        Path empty = Files.createDirectory(dir.resolve("empty"));
        Path corrupt = dir.resolve("corrupt.safetensors");
        ByteBuffer b = ByteBuffer.allocate(8 + 20).order(ByteOrder.LITTLE_ENDIAN).putLong(400);
        b.put("{\"activations\": {\"dt".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        Files.write(corrupt, b.array());
        Object[][] cases = {
            {nan, "nan.npy row 5 (byte", "--skip-non-finite"},
            {truncated, "truncated", null},
            {int32, "'<i4'", null},
            {empty, "no *.npy files", null},
            {dir.resolve("missing"), "no such file or folder", "check the path"},
            {corrupt, "corrupt.safetensors", null},
        };
        for (Object[] c : cases) {
            CommandRun r = run("train", "--data", c[0].toString(), "--d-sae", "32", "--k", "4", "--batch", "32",
                    "--progress-seconds", "0");
            assertEquals(ExitCode.BAD_DATA, r.code(), c[0] + ": " + r.all());
            String[] lines = r.err().strip().split("\n");
            assertTrue(lines.length <= 2, "one line and a remedy, no stack trace: " + r.err());
            assertTrue(lines[0].startsWith("jsae: error: ") && lines[0].contains(c[1].toString()), r.err());
            assertEquals(1, lines[0].split(java.util.regex.Pattern.quote(Path.of(c[0].toString()).getFileName()
                    .toString()), -1).length - 1, "the file is named once: " + lines[0]);
            if (c[2] != null) {
                assertTrue(lines[1].contains(c[2].toString()), r.err());
            }
        }
        CommandRun verbose = run("train", "--data", nan.toString(), "--d-sae", "32", "--k", "4", "--batch", "32",
                "--progress-seconds", "0", "--verbose");
        assertTrue(verbose.err().contains("\tat "), "--verbose shows the stack trace");
        CommandRun skipped = run("train", "--data", nan.toString(), "--d-sae", "32", "--k", "4", "--batch", "32",
                "--skip-non-finite", "--max-rounds", "2", "--min-explained-variance", "0", "--progress-seconds", "0",
                "--read-threads", "0");
        assertEquals(ExitCode.OK, skipped.code(), skipped.all());
        CommandRun positional = run("train", "--data", nan.toString(), "--d-sae", "32", "--k", "4", "--batch", "32",
                "--skip-non-finite", "--max-rounds", "2", "--min-explained-variance", "0", "--progress-seconds", "0",
                "--no-memory-map");
        assertEquals(ExitCode.OK, positional.code(), positional.all());
    }

    private static byte[] npyHeader(String descr, int rows, int cols, int dataBytes) {
        String h = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + rows + ", " + cols + "), }";
        int pad = 64 - (10 + h.length() + 1) % 64;
        h = h + " ".repeat(pad) + "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + h.length() + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0);
        b.putShort((short) h.length()).put(h.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        return b.array();
    }
}

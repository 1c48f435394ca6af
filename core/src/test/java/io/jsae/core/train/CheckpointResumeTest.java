package io.jsae.core.train;

import io.jsae.core.TestBackends;
import io.jsae.core.io.NpyWriter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Crash-safe checkpoints and exact resume, with a child JVM that is really killed: SIGKILL at a random step,
 * SIGKILL while a checkpoint is being written, and SIGTERM (which writes a checkpoint and exits). Each run
 * resumed to the end must hold bitwise the same weights and Adam state as an uninterrupted run.
 */
class CheckpointResumeTest {
    private static final long TOTAL_STEPS = 60;

    @TempDir
    static Path dir;
    static Path npy;
    static byte[] uninterrupted;

    @BeforeAll
    static void setUp() throws Exception {
        TestBackends.cpu(); // skips where the CPU backend cannot load
        // 1000 rows: several epochs of 48-row batches, so resumes cross epoch ends and a partial batch.
        SplittableRandom rnd = new SplittableRandom(3);
        float[] data = new float[1000 * 16];
        for (int i = 0; i < data.length; i++) {
            data[i] = rnd.nextDouble() < 0.3 ? (float) rnd.nextDouble() : 0f;
        }
        npy = dir.resolve("acts.npy");
        NpyWriter.write(npy, data, 1000, 16);
        Path out = dir.resolve("reference.safetensors");
        Child c = Child.start(dir.resolve("store-reference"), out, -1, 0);
        assertEquals(0, c.waitFor(), c::output);
        uninterrupted = Files.readAllBytes(out);
    }

    @Test
    void killedAtARandomStepResumesToIdenticalWeights() throws Exception {
        long killAt = 10 + new SplittableRandom().nextInt(40);
        Path store = dir.resolve("store-kill-" + killAt);
        Child c = Child.start(store, dir.resolve("unused"), -1, 5);
        c.killWhen(line -> line.equals("step " + killAt));
        assertTrue(new CheckpointStore(store, 3).latest().isPresent(), "a checkpoint must exist before step " + killAt);
        assertResumesExactly(store, "kill-" + killAt);
    }

    @Test
    void killedDuringACheckpointWriteResumesFromThePreviousOne() throws Exception {
        Path store = dir.resolve("store-kill-in-write");
        Child c = Child.start(store, dir.resolve("unused"), 28, 0);
        c.killWhen(line -> line.startsWith("in-checkpoint"));
        CheckpointStore s = new CheckpointStore(store, 3);
        long latest = s.latest().orElseThrow().step();
        assertEquals(21, latest, "the interrupted write at step 28 must not count");
        assertTrue(Files.list(store).anyMatch(p -> p.getFileName().toString().startsWith(".tmp-")),
                "the half-written checkpoint stays in its temporary folder");
        assertResumesExactly(store, "kill-in-write");
    }

    @Test
    void sigtermWritesACheckpointAndExitsCleanly() throws Exception {
        Path store = dir.resolve("store-term");
        Child c = Child.start(store, dir.resolve("unused"), -1, 20);
        c.waitForLine(line -> line.equals("step 17"));
        long t0 = System.nanoTime();
        c.process.destroy(); // SIGTERM
        assertTrue(c.process.waitFor(30, TimeUnit.SECONDS), "the child must exit within the bounded time");
        assertTrue((System.nanoTime() - t0) / 1e9 < 30);
        long saved = new CheckpointStore(store, 3).latest().orElseThrow().step();
        assertTrue(saved >= 17, "SIGTERM must checkpoint the current step, latest was " + saved + "\n" + c.output());
        assertResumesExactly(store, "term");
    }

    private static void assertResumesExactly(Path store, String name) throws Exception {
        Path out = dir.resolve(name + ".safetensors");
        Child resumed = Child.start(store, out, -1, 0);
        assertEquals(0, resumed.waitFor(), resumed::output);
        assertTrue(resumed.output().contains("resumed "), resumed.output());
        assertArrayEquals(uninterrupted, Files.readAllBytes(out),
                "weights and Adam state after resume must be bitwise those of the uninterrupted run");
    }

    /** A child JVM running {@link ResumeChild}. */
    static final class Child {
        final Process process;
        final List<String> lines = new ArrayList<>();
        final BufferedReader reader;

        private Child(Process p) {
            this.process = p;
            this.reader = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        }

        static Child start(Path store, Path out, long pauseAt, long sleepMs) throws IOException {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                    ResumeChild.class.getName(), store.toString(), npy.toString(), Long.toString(TOTAL_STEPS),
                    out.toString(), Long.toString(pauseAt), Long.toString(sleepMs));
            pb.redirectErrorStream(true);
            return new Child(pb.start());
        }

        void waitForLine(Predicate<String> when) throws IOException {
            String line;
            while ((line = reader.readLine()) != null) {
                lines.add(line);
                if (when.test(line)) {
                    return;
                }
            }
            throw new AssertionError("the child ended before the expected line:\n" + output());
        }

        void killWhen(Predicate<String> when) throws Exception {
            waitForLine(when);
            process.destroyForcibly(); // SIGKILL
            assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        }

        int waitFor() throws Exception {
            String line;
            while ((line = reader.readLine()) != null) {
                lines.add(line);
            }
            assertTrue(process.waitFor(120, TimeUnit.SECONDS));
            return process.exitValue();
        }

        String output() {
            return String.join("\n", lines);
        }
    }
}

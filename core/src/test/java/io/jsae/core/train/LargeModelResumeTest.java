package io.jsae.core.train;

import io.jsae.core.TestBackends;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * State stays off the heap: with {@code -Xmx1g}, a topk SAE of d_in 4096 and d_sae 65536 (6.4 GB of weights and
 * moments) is initialized on the CPU backend, trained at batch 64, checkpointed, resumed in a second JVM, and
 * ends bitwise equal to the run without the interruption. Needs about 7 GB of memory and 7 GB of disk.
 */
class LargeModelResumeTest {

    @Test
    void sixGigabyteModelCheckpointsAndResumesUnderAOneGigabyteHeap(@TempDir Path dir) throws Exception {
        TestBackends.cpu(); // skips where the CPU backend cannot load
        Path store = dir.resolve("store");
        List<String> first = run("checkpoint", store);
        List<String> second = run("resume", store);
        assertTrue(second.contains("resumed at step 2"), String.join("\n", second));
        String a = last(first);
        String b = last(second);
        assertTrue(a.startsWith("hash "), String.join("\n", first));
        assertEquals(a, b, "the resumed run must end bitwise equal to the uninterrupted one");
    }

    private static String last(List<String> lines) {
        return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
    }

    private static List<String> run(String mode, Path store) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx1g", "-cp", System.getProperty("java.class.path"),
                LargeModelChild.class.getName(), mode, store.toString());
        pb.redirectErrorStream(true);
        Process p = pb.start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                lines.add(line);
            }
        }
        assertTrue(p.waitFor(10, TimeUnit.MINUTES), "the " + mode + " run took more than 10 minutes");
        System.out.println(mode + " run:\n" + String.join("\n", lines));
        assertEquals(0, p.exitValue(), () -> mode + " run failed:\n" + String.join("\n", lines));
        return lines;
    }
}

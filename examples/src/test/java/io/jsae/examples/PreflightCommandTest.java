package io.jsae.examples;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PreflightCommandTest {

    private static final String TOKEN = "hf_SECRETtoken0123456789abcdef";

    @TempDir
    Path home;

    /** What a command line printed and returned. */
    private record Run(int exitCode, String out, String err) {
        String all() {
            return out + err;
        }
    }

    /** Runs preflight with an empty environment and a bare home folder, so no real token or endpoint is used. */
    private Run run(Map<String, String> env, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new PreflightCommand().environment(env).userHome(home));
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        cl.setExecutionExceptionHandler((e, c, p) -> Main.report(e, c.getErr(), false));
        int code = cl.execute(args);
        Run r = new Run(code, out.toString(), err.toString());
        assertFalse(r.all().contains(TOKEN), "the token must never be printed: " + r.all());
        return r;
    }

    private static int closedPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    void anUnreachableHubFailsFastWithARemedyAndExitCode5() throws Exception {
        long start = System.nanoTime();
        Run r = run(Map.of(), "--hf-endpoint", "http://127.0.0.1:" + closedPort(), "--hf-timeout", "5",
                "--backend", "cpu", "--nvidia-smi", home.resolve("no-nvidia-smi").toString());

        assertEquals(ExitCode.PREFLIGHT_FAILED, r.exitCode(), r.all());
        assertTrue(r.out().contains("FAIL  Hugging Face access to meta-llama/Llama-3.1-8B"), r.out());
        assertTrue(r.out().contains("cannot connect to http://127.0.0.1:"), r.out());
        assertTrue(r.out().contains("remedy: check the network, DNS and proxy of this machine"), r.out());
        assertTrue(r.out().contains("preflight: 1 FAIL"), r.out());
        assertTrue(r.err().contains("jsae: error: preflight failed: 1 of 4 checks failed (Hugging Face access to"
                + " meta-llama/Llama-3.1-8B)"), r.err());
        assertTrue(r.err().contains("  remedy: fix what each failed check's remedy says"), r.err());
        assertTrue(r.out().contains("PASS  backend smoke test (cpu)"), "the other checks still run: " + r.out());
        assertTrue((System.nanoTime() - start) / 1e9 < 60, "fails fast");
    }

    @Test
    void aGatedRepoFailsWithTheLicensePageAndNeverPrintsTheToken() throws Exception {
        HttpServer hub = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        hub.createContext("/api/whoami-v2", ex -> {
            byte[] body = "{\"name\":\"alice\"}".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        hub.createContext("/meta-llama/Llama-3.1-8B/resolve/", ex -> {
            ex.getResponseHeaders().add("X-Error-Code", "GatedRepo");
            ex.sendResponseHeaders(403, -1);
            ex.close();
        });
        hub.start();
        try {
            Path tokenFile = home.resolve("token");
            Files.writeString(tokenFile, TOKEN + "\n");
            String endpoint = "http://127.0.0.1:" + hub.getAddress().getPort();
            Run r = run(Map.of(), "--hf-endpoint", endpoint, "--token-file", tokenFile.toString(), "--backend", "cpu",
                    "--nvidia-smi", home.resolve("no-nvidia-smi").toString());

            assertEquals(ExitCode.PREFLIGHT_FAILED, r.exitCode(), r.all());
            assertTrue(r.out().contains("the account alice has not accepted the license of meta-llama/Llama-3.1-8B"),
                    r.out());
            assertTrue(r.out().contains("remedy: open " + endpoint + "/meta-llama/Llama-3.1-8B logged in as alice"),
                    r.out());
        } finally {
            hub.stop(0);
        }
    }

    @Test
    void offlineOnTheCpuBackendPassesAndShowsTheSmokeTestNumbers() {
        Run r = run(Map.of("HF_TOKEN", TOKEN), "--offline", "--backend", "cpu",
                "--nvidia-smi", home.resolve("no-nvidia-smi").toString());

        assertEquals(ExitCode.OK, r.exitCode(), r.all());
        assertTrue(r.out().contains("SKIP  Hugging Face access to meta-llama/Llama-3.1-8B"), r.out());
        assertTrue(r.out().contains("--offline: the network check is skipped"), r.out());
        assertTrue(r.out().contains("to run it: run without --offline"), r.out());
        assertTrue(r.out().contains("SKIP  required files"), r.out());
        assertTrue(r.out().contains("WARN  GPU environment"), "no GPU is a warning for the cpu backend: " + r.out());
        assertTrue(r.out().contains("runs on the host and needs no GPU"), r.out());
        assertTrue(r.out().contains("PASS  backend smoke test (cpu)"), r.out());
        assertTrue(r.out().contains("the comparison would be against itself"), r.out());
        assertTrue(r.out().contains("d_in 32, d_sae 128, topk 8, batch 64, seed 1, 3 Adam steps on one batch"), r.out());
        Matcher losses = Pattern.compile("losses ([0-9.e+-]+) → ([0-9.e+-]+) → ([0-9.e+-]+), finite and falling")
                .matcher(r.out());
        assertTrue(losses.find(), r.out());
        double first = Double.parseDouble(losses.group(1));
        double last = Double.parseDouble(losses.group(3));
        assertTrue(Double.isFinite(first) && last < first, r.out());
        assertTrue(r.out().contains("preflight: 0 FAIL, 1 WARN, 1 PASS, 2 SKIP: ready"), r.out());
    }

    @Test
    void anotherBackendIsComparedWithTheCpuFromIdenticalWeights() {
        Run r = run(Map.of(), "--offline", "--backend", "cuda-emulated", "--markdown",
                "--nvidia-smi", home.resolve("no-nvidia-smi").toString());

        assertEquals(ExitCode.OK, r.exitCode(), r.all());
        assertTrue(r.out().contains("| backend smoke test (cuda-emulated) | PASS | cuda-emulated against cpu from"
                + " identical weights (d_in 32, d_sae 128, topk 8, batch 64, seed 1, 3 Adam steps on one batch)"), r.out());
        Matcher m = Pattern.compile("largest loss difference ([0-9.e+-]+), largest weight difference ([0-9.e+-]+)")
                .matcher(r.out());
        assertTrue(m.find(), r.out());
        assertTrue(Double.parseDouble(m.group(1)) <= BackendSmokeCheck.TOLERANCE, r.out());
        assertTrue(Double.parseDouble(m.group(2)) <= BackendSmokeCheck.TOLERANCE, r.out());
        assertTrue(r.out().contains("tolerance 1e-04: the backends agree"), r.out());
    }

    @Test
    void missingCheckpointFilesFailAndNameEachFile(@TempDir Path model) throws Exception {
        for (String f : PreflightCommand.LLAMA_FILES) {
            Files.writeString(model.resolve(f), f.equals("model.safetensors.index.json")
                    ? "{\"metadata\":{},\"weight_map\":{\"a\":\"model-00001-of-00002.safetensors\","
                    + "\"b\":\"model-00002-of-00002.safetensors\"}}" : "{}");
        }
        Files.writeString(model.resolve("model-00001-of-00002.safetensors"), "x");

        Run r = run(Map.of(), "--offline", "--backend", "cpu", "--model-dir", model.toString(),
                "--nvidia-smi", home.resolve("no-nvidia-smi").toString());

        assertEquals(ExitCode.PREFLIGHT_FAILED, r.exitCode(), r.all());
        assertTrue(r.out().contains("FAIL  required files under " + model), r.out());
        assertTrue(r.out().contains("1 of 8 required files are not ready: model-00002-of-00002.safetensors is missing"),
                r.out());

        Run chosen = run(Map.of(), "--offline", "--backend", "cpu", "--model-dir", model.toString(), "--require",
                "config.json,tokenizer.json", "--nvidia-smi", home.resolve("no-nvidia-smi").toString());
        assertEquals(ExitCode.OK, chosen.exitCode(), chosen.all());
        assertTrue(chosen.out().contains("PASS  required files under " + model), chosen.out());
    }

    @Test
    void badOptionValuesAreUsageErrors() {
        Run capability = run(Map.of(), "--offline", "--backend", "cpu", "--min-compute-capability", "8");
        assertEquals(ExitCode.USAGE, capability.exitCode(), capability.all());
        assertTrue(capability.err().contains("compute capability '8' is not of the form major.minor"),
                capability.err());

        Run steps = run(Map.of(), "--offline", "--backend", "cpu", "--smoke-steps", "1");
        assertEquals(ExitCode.USAGE, steps.exitCode(), steps.all());
        assertTrue(steps.err().contains("--smoke-steps is 1; give at least 2"), steps.err());

        Run gpus = run(Map.of(), "--offline", "--backend", "cpu", "--min-gpus", "0");
        assertEquals(ExitCode.USAGE, gpus.exitCode(), gpus.all());
        assertTrue(gpus.err().contains("--min-gpus is 0; give at least 1"), gpus.err());
    }

    @Test
    void aModelFolderThatDoesNotExistIsSaidSoNotListedFileByFile() {
        Run r = run(Map.of(), "--offline", "--backend", "cpu", "--model-dir", home.resolve("nowhere").toString());
        assertEquals(ExitCode.PREFLIGHT_FAILED, r.exitCode(), r.all());
        assertTrue(r.out().contains(home.resolve("nowhere") + " does not exist"), r.out());
        assertFalse(r.out().contains("config.json"), "no per-file list for a missing folder: " + r.out());
    }

    @Test
    void anUnknownBackendIsAFailedCheckNamingTheOnesFound() {
        Run r = run(Map.of(), "--offline", "--backend", "tpu", "--nvidia-smi", home.resolve("no-nvidia-smi").toString());

        assertEquals(ExitCode.PREFLIGHT_FAILED, r.exitCode(), r.all());
        assertTrue(r.out().contains("FAIL  backend smoke test (tpu)"), r.out());
        assertTrue(r.out().contains("names no backend on the class path; found: "), r.out());
        assertTrue(r.out().contains("remedy: pick a backend that runs here with --backend"), r.out());
    }
}

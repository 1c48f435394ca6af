package io.jsae.provisioning;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static io.jsae.provisioning.LocalServer.respond;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HuggingFaceAccessCheckTest {

    private static final String TOKEN = "hf_SECRETtoken0123456789abcdef";
    private static final String REPO = "meta-llama/Llama-3.1-8B";
    private static final String WHOAMI = "{\"type\":\"user\",\"name\":\"alice\",\"auth\":{\"type\":\"access_token\"}}";

    @TempDir
    Path home;

    private LocalServer server;
    private final Map<String, String> env = new HashMap<>();
    private final ByteArrayOutputStream logs = new ByteArrayOutputStream();
    private PrintStream stderr;

    @BeforeEach
    void setUp() throws IOException {
        server = new LocalServer();
        env.put("HF_ENDPOINT", server.uri() + "/");
        // Logs go to standard error (slf4j-simple at debug level for this package, see the pom): capture them.
        stderr = System.err;
        System.setErr(new PrintStream(logs, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void tearDown() {
        System.setErr(stderr);
        server.close();
        assertFalse(logs.toString(StandardCharsets.UTF_8).contains(TOKEN), "the token must never reach a log");
    }

    private CheckResult run(String repo) {
        return run(repo, LambdaCloudPriceSourceTest.PATIENT);
    }

    private CheckResult run(String repo, Duration timeout) {
        CheckResult r = HuggingFaceAccessCheck.builder(repo).environment(env).userHome(home)
                .timeout(timeout).build().run();
        assertFalse((r.name() + r.message() + r.remedy() + r).contains(TOKEN), "the token leaked: " + r);
        return r;
    }

    private void whoami(int status) {
        server.on("/api/whoami-v2", (req, ex) -> respond(ex, status, status == 200 ? WHOAMI
                : "{\"error\":\"Invalid credentials in Authorization header\"}"));
    }

    private void resolve(int status, String... headers) {
        resolve(REPO, status, headers);
    }

    private void resolve(String repo, int status, String... headers) {
        server.on("/" + repo + "/resolve/", (req, ex) -> respond(ex, status, null, headers));
    }

    @Test
    void validTokenAndAcceptedLicensePass() {
        env.put("HF_TOKEN", TOKEN);
        whoami(200);
        resolve(200);

        CheckResult r = run(REPO);

        assertEquals(CheckResult.Status.PASS, r.status(), r.message());
        assertEquals("can read config.json of " + REPO + " as alice", r.message());
        assertEquals(2, server.requests.size());
        LocalServer.Request head = server.requests.get(1);
        assertEquals("HEAD", head.method());
        assertEquals("/" + REPO + "/resolve/main/config.json", head.path());
        assertEquals("Bearer " + TOKEN, head.header("Authorization"));
        assertEquals("Bearer " + TOKEN, server.requests.get(0).header("Authorization"));
        assertTrue(logs.toString(StandardCharsets.UTF_8).contains("/api/whoami-v2 -> 200"),
                "the requests are logged (so the check that no log holds the token is not vacuous)");
    }

    @Test
    void tokenComesFromHfHomeThenTheDefaultCache() throws IOException {
        Path hfHome = Files.createDirectories(home.resolve("hf-home"));
        env.put("HF_HOME", hfHome.toString());
        Path cache = Files.createDirectories(home.resolve(".cache/huggingface"));
        Files.writeString(cache.resolve("token"), TOKEN + "\n");
        whoami(200);
        resolve(200);

        assertEquals(CheckResult.Status.PASS, run(REPO).status(), "falls back to ~/.cache/huggingface/token");
        assertEquals("Bearer " + TOKEN, server.requests.get(0).header("Authorization"), "the newline is stripped");

        Files.writeString(hfHome.resolve("token"), "hf_other");
        server.requests.clear();
        run(REPO);
        assertEquals("Bearer hf_other", server.requests.get(0).header("Authorization"), "$HF_HOME/token comes first");

        env.put("HF_TOKEN", TOKEN);
        server.requests.clear();
        run(REPO);
        assertEquals("Bearer " + TOKEN, server.requests.get(0).header("Authorization"), "HF_TOKEN comes first");
    }

    @Test
    void invalidTokenIsReportedWithItsOriginButNotItsValue() {
        env.put("HF_TOKEN", TOKEN);
        whoami(401);

        CheckResult r = run(REPO);

        assertEquals(CheckResult.Status.FAIL, r.status());
        assertTrue(r.message().startsWith("the token from HF_TOKEN is invalid or expired (HTTP 401"), r.message());
        assertTrue(r.remedy().contains(server.uri() + "/settings/tokens"), r.remedy());
        assertEquals(1, server.requests.size(), "no repo probe with a rejected token");
    }

    @Test
    void licenseNotAcceptedPointsToTheRepoPage() {
        env.put("HF_TOKEN", TOKEN);
        whoami(200);
        resolve(403, "X-Error-Code", "GatedRepo", "X-Error-Message",
                "Access to model " + REPO + " is restricted and you are not in the authorized list.");

        CheckResult r = run(REPO);

        assertEquals(CheckResult.Status.FAIL, r.status());
        assertTrue(r.message().contains("has not accepted the license of " + REPO
                + " or is not in its authorized list yet (HTTP 403, GatedRepo)"), r.message());
        assertTrue(r.message().contains("not in the authorized list"), "the hub's own words are kept: " + r.message());
        assertTrue(r.remedy().startsWith("open " + server.uri() + "/" + REPO + " logged in as alice"), r.remedy());
    }

    @Test
    void gatedRepoWithoutATokenAsksForOne() {
        resolve(401, "X-Error-Code", "GatedRepo");

        CheckResult r = run(REPO);

        assertEquals(CheckResult.Status.FAIL, r.status());
        assertTrue(r.message().contains("is gated"), r.message());
        assertTrue(r.remedy().contains("HF_TOKEN") && r.remedy().contains(server.uri() + "/" + REPO), r.remedy());
        assertEquals(1, server.requests.size(), "no whoami call without a token");
        assertNull(server.requests.get(0).header("Authorization"));
    }

    @Test
    void publicRepoPassesWithoutAToken() {
        resolve("gpt2", 200);

        CheckResult r = run("gpt2");

        assertEquals(CheckResult.Status.PASS, r.status(), r.message());
        assertTrue(r.message().endsWith("without a token"), r.message());
    }

    @Test
    void missingRepoIsNamed() {
        env.put("HF_TOKEN", TOKEN);
        whoami(200);
        resolve(404, "X-Error-Code", "RepoNotFound");

        CheckResult r = run(REPO);

        assertEquals(CheckResult.Status.FAIL, r.status());
        assertTrue(r.message().startsWith("no repository " + REPO), r.message());
        assertTrue(r.remedy().contains("models?search=Llama-3.1-8B"), r.remedy());
    }

    @Test
    void hubAnswers401ForMissingReposWhenAnonymous() {
        resolve(401, "X-Error-Code", "RepoNotFound");

        CheckResult r = run(REPO);

        assertTrue(r.message().startsWith("no repository " + REPO), r.message());
        assertTrue(r.message().contains("private"), r.message());
    }

    @Test
    void missingFileIsNamed() {
        resolve(404, "X-Error-Code", "EntryNotFound");
        CheckResult r = run(REPO);
        assertTrue(r.message().contains("exists but has no config.json at revision main"), r.message());
    }

    @Test
    void missingRevisionIsNamed() {
        resolve(404, "X-Error-Code", "RevisionNotFound");
        CheckResult r = run(REPO);
        assertTrue(r.message().contains("has no revision main"), r.message());
    }

    @Test
    void serverEchoingTheTokenIsScrubbed() {
        env.put("HF_TOKEN", TOKEN);
        whoami(200);
        resolve(403, "X-Error-Code", "GatedRepo", "X-Error-Message", "token " + TOKEN + " lacks access");

        CheckResult r = run(REPO);

        assertTrue(r.message().contains("token [token] lacks access"), r.message());
    }

    @Test
    void slowHubIsReportedAsATimeout() {
        env.put("HF_TOKEN", TOKEN);
        server.on("/api/whoami-v2", (req, ex) -> {
            LocalServer.pause(3000);
            respond(ex, 200, WHOAMI);
        });
        long start = System.nanoTime();

        CheckResult r = run(REPO, Duration.ofMillis(500));

        assertEquals(CheckResult.Status.FAIL, r.status());
        assertTrue(r.message().contains("within 500 ms (timeout)"), r.message());
        assertTrue(System.nanoTime() - start < Duration.ofMillis(2500).toNanos(), "bounded by the timeout");
    }

    @Test
    void unreachableHubIsAFail() throws IOException {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        env.put("HF_ENDPOINT", "http://127.0.0.1:" + closedPort);
        env.put("HF_TOKEN", TOKEN);

        CheckResult r = run(REPO);

        assertEquals(CheckResult.Status.FAIL, r.status());
        assertTrue(r.message().startsWith("cannot connect to http://127.0.0.1:" + closedPort + "/"), r.message());
        assertTrue(r.remedy().contains("network"), r.remedy());
    }

    @Test
    void malformedRepoIdAndEndpointFailBeforeAnyRequest() {
        CheckResult badId = run("meta llama/Llama 3");
        assertEquals(CheckResult.Status.FAIL, badId.status());
        assertTrue(badId.message().contains("is not a Hugging Face repo id"), badId.message());

        env.put("HF_ENDPOINT", "not a url");
        CheckResult badEndpoint = run(REPO);
        assertTrue(badEndpoint.message().startsWith("HF_ENDPOINT 'not a url' is not a URL"), badEndpoint.message());
        assertTrue(server.requests.isEmpty());
    }

    @Test
    void rateLimitAndServerErrorsGetTheirOwnRemedy() {
        resolve(429);
        CheckResult r = run(REPO);
        assertEquals(CheckResult.Status.FAIL, r.status());
        assertTrue(r.remedy().contains("rate limiting"), r.remedy());
    }
}

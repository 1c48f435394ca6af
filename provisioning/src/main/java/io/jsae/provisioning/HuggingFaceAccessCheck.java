package io.jsae.provisioning;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Checks, before a paid run, that this machine can download a Hugging Face model: the token is valid and the
 * account may read the repository (gated models need their license accepted first).
 *
 * <p>The token comes from the {@code HF_TOKEN} variable, else the file {@code $HF_HOME/token}, else
 * {@code ~/.cache/huggingface/token}; the endpoint from {@code HF_ENDPOINT}, default
 * {@value #DEFAULT_ENDPOINT}. With a token the check calls {@code /api/whoami-v2} (401: token invalid); then it
 * sends a HEAD for {@code <repo>/resolve/<revision>/config.json}. 401, 403 and 404 answers, refined by the
 * hub's {@code X-Error-Code} header (GatedRepo, RepoNotFound, EntryNotFound, RevisionNotFound), each get their
 * own message and remedy; for a gated repo the remedy gives the URL of the repo page where the license is
 * accepted. Every request has a bounded timeout, and a timeout is reported as such.
 *
 * <p>The token is never written to a message, a remedy, a log line or an exception: every text this check
 * produces is scrubbed of it before it leaves.
 */
public final class HuggingFaceAccessCheck implements PreflightCheck {

    /** The public hub. */
    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";

    private static final Logger LOG = LoggerFactory.getLogger(HuggingFaceAccessCheck.class);
    private static final Pattern REPO_ID = Pattern.compile("(?:[A-Za-z0-9][A-Za-z0-9._-]*/)?[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String repoId;
    private final Map<String, String> environment;
    private final Path userHome;
    private final Duration timeout;
    private final HttpClient client;
    private final String revision;
    private final String file;

    /**
     * A check of one model repository using this process's environment and home folder.
     *
     * @param repoId the model id, e.g. "meta-llama/Llama-3.1-8B"
     */
    public HuggingFaceAccessCheck(String repoId) {
        this(builder(repoId));
    }

    private HuggingFaceAccessCheck(Builder b) {
        this.repoId = b.repoId;
        this.environment = Map.copyOf(b.environment);
        this.userHome = b.userHome;
        this.timeout = b.timeout;
        this.revision = b.revision;
        this.file = b.file;
        this.client = b.client != null ? b.client : HttpClient.newBuilder().connectTimeout(b.timeout)
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /**
     * A builder with the defaults: the process environment and home folder, a 15-second timeout per request,
     * revision "main" and file "config.json".
     *
     * @param repoId the model id
     * @return the builder
     */
    public static Builder builder(String repoId) {
        return new Builder(repoId);
    }

    /** Options of a {@link HuggingFaceAccessCheck}. */
    public static final class Builder {
        private final String repoId;
        private Map<String, String> environment = System.getenv();
        private Path userHome = Path.of(System.getProperty("user.home"));
        private Duration timeout = Duration.ofSeconds(15);
        private HttpClient client;
        private String revision = "main";
        private String file = "config.json";

        private Builder(String repoId) {
            this.repoId = Objects.requireNonNull(repoId, "repoId");
        }

        /**
         * The variables to read HF_TOKEN, HF_HOME and HF_ENDPOINT from.
         *
         * @param environment variables
         * @return this builder
         */
        public Builder environment(Map<String, String> environment) {
            this.environment = Objects.requireNonNull(environment, "environment");
            return this;
        }

        /**
         * The home folder holding {@code .cache/huggingface/token}.
         *
         * @param userHome the folder
         * @return this builder
         */
        public Builder userHome(Path userHome) {
            this.userHome = Objects.requireNonNull(userHome, "userHome");
            return this;
        }

        /**
         * The limit for connecting and for each request.
         *
         * @param timeout positive duration
         * @return this builder
         */
        public Builder timeout(Duration timeout) {
            if (timeout.isZero() || timeout.isNegative()) {
                throw new IllegalArgumentException("timeout is " + timeout + "; give a positive duration");
            }
            this.timeout = timeout;
            return this;
        }

        /**
         * The HTTP client to use (it should not follow redirects); the default is built from the timeout.
         *
         * @param client the client
         * @return this builder
         */
        public Builder httpClient(HttpClient client) {
            this.client = Objects.requireNonNull(client, "client");
            return this;
        }

        /**
         * The revision and file probed, default "main" and "config.json".
         *
         * @param revision a branch, tag or commit
         * @param file     a file of the repo
         * @return this builder
         */
        public Builder probe(String revision, String file) {
            this.revision = Objects.requireNonNull(revision, "revision");
            this.file = Objects.requireNonNull(file, "file");
            return this;
        }

        /**
         * Builds the check.
         *
         * @return the check
         */
        public HuggingFaceAccessCheck build() {
            return new HuggingFaceAccessCheck(this);
        }
    }

    @Override
    public String name() {
        return "Hugging Face access to " + repoId;
    }

    /** Where the token was found, for messages; never the token itself. */
    private record Token(String value, String origin) {
        @Override
        public String toString() {
            return "token from " + origin;
        }
    }

    private Optional<Token> token() {
        String env = environment.get("HF_TOKEN");
        if (env != null && !env.isBlank()) {
            return Optional.of(new Token(env.strip(), "HF_TOKEN"));
        }
        String hfHome = environment.get("HF_HOME");
        if (hfHome != null && !hfHome.isBlank()) {
            Optional<Token> t = tokenFile(Path.of(hfHome, "token"), "$HF_HOME/token");
            if (t.isPresent()) {
                return t;
            }
        }
        return tokenFile(userHome.resolve(".cache").resolve("huggingface").resolve("token"),
                "~/.cache/huggingface/token");
    }

    private static Optional<Token> tokenFile(Path path, String origin) {
        try {
            if (Files.isRegularFile(path)) {
                String text = Files.readString(path, StandardCharsets.UTF_8).strip();
                if (!text.isEmpty()) {
                    return Optional.of(new Token(text, origin));
                }
            }
        } catch (IOException e) {
            LOG.warn("cannot read Hugging Face token file {}: {}", origin, e.getClass().getSimpleName());
        }
        return Optional.empty();
    }

    @Override
    public CheckResult run() {
        Optional<Token> token = token();
        try {
            return scrub(check(token), token);
        } catch (RuntimeException e) {
            // Even an unexpected failure must not carry the token out in its message.
            return scrub(CheckResult.fail(name(), "unexpected error: " + e.getClass().getSimpleName() + ": "
                    + e.getMessage(), "report this; run the check again with a fresh token"), token);
        }
    }

    private CheckResult check(Optional<Token> token) {
        if (!REPO_ID.matcher(repoId).matches()) {
            return CheckResult.fail(name(), "'" + repoId + "' is not a Hugging Face repo id",
                    "give the id as shown on the model page, owner/name such as meta-llama/Llama-3.1-8B");
        }
        String endpoint = environment.getOrDefault("HF_ENDPOINT", "").isBlank() ? DEFAULT_ENDPOINT
                : environment.get("HF_ENDPOINT").strip().replaceAll("/+$", "");
        URI base;
        try {
            base = new URI(endpoint);
            if (base.getScheme() == null || base.getHost() == null) {
                throw new URISyntaxException(endpoint, "needs a scheme and a host");
            }
        } catch (URISyntaxException e) {
            return CheckResult.fail(name(), "HF_ENDPOINT '" + endpoint + "' is not a URL: " + e.getMessage(),
                    "set HF_ENDPOINT to a URL such as " + DEFAULT_ENDPOINT + ", or unset it");
        }
        try {
            return access(endpoint, token);
        } catch (CallFailed e) {
            return e.result;
        }
    }

    /** The two calls: whoami (with a token) and the HEAD probe of the repo file. */
    private CheckResult access(String endpoint, Optional<Token> token) throws CallFailed {
        String repoPage = endpoint + "/" + repoId;
        String user = null;
        if (token.isPresent()) {
            URI whoami = URI.create(endpoint + "/api/whoami-v2");
            HttpResponse<String> response = send(HttpRequest.newBuilder(whoami).GET(), token,
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() == 401) {
                return CheckResult.fail(name(), "the " + token.get() + " is invalid or expired (HTTP 401 from "
                                + whoami + ")",
                        "create a read token at " + endpoint + "/settings/tokens and put it in HF_TOKEN (or run"
                                + " `hf auth login`)");
            }
            if (response.statusCode() != 200) {
                return CheckResult.fail(name(), "could not verify the " + token.get() + ": HTTP "
                        + response.statusCode() + " from " + whoami, serverRemedy(response.statusCode(), endpoint));
            }
            user = userName(response.body());
        }
        URI probe = URI.create(repoPage + "/resolve/" + revision + "/" + file);
        HttpResponse<Void> head = send(HttpRequest.newBuilder(probe).method("HEAD",
                HttpRequest.BodyPublishers.noBody()), token, HttpResponse.BodyHandlers.discarding());
        return judge(head, probe, repoPage, endpoint, token, user);
    }

    /** A call that ended without an HTTP answer; carries the result to report. */
    private static final class CallFailed extends Exception {
        private final transient CheckResult result;

        CallFailed(CheckResult result) {
            super(result.message(), null, false, false);
            this.result = result;
        }
    }

    private <T> HttpResponse<T> send(HttpRequest.Builder request, Optional<Token> token,
                                     HttpResponse.BodyHandler<T> handler) throws CallFailed {
        request.timeout(timeout).header("User-Agent", "jsae-provisioning");
        token.ifPresent(t -> request.header("Authorization", "Bearer " + t.value()));
        HttpRequest built = request.build();
        try {
            HttpResponse<T> response = client.send(built, handler);
            LOG.debug("{} {} -> {}", built.method(), built.uri(), response.statusCode());
            return response;
        } catch (HttpTimeoutException e) {
            throw new CallFailed(CheckResult.fail(name(), "no answer from " + built.uri() + " within "
                    + timeout.toMillis() + " ms (timeout)", "check the network and proxy of this machine, or raise"
                    + " the timeout if the link is slow"));
        } catch (IOException e) {
            String what = e instanceof ConnectException ? "cannot connect to " + built.uri() + ": "
                    : "request to " + built.uri() + " failed: ";
            throw new CallFailed(CheckResult.fail(name(), what + e.getClass().getSimpleName()
                            + (e.getMessage() == null ? "" : ": " + e.getMessage()),
                    "check the network, DNS and proxy of this machine, and HF_ENDPOINT if it is set"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CallFailed(CheckResult.fail(name(), "interrupted while calling " + built.uri(),
                    "run the check again"));
        }
    }

    private static String userName(String body) {
        try {
            JsonNode name = JSON.readTree(body).get("name");
            return name != null && name.isTextual() ? name.asText() : null;
        } catch (IOException e) {
            return null;
        }
    }

    private CheckResult judge(HttpResponse<Void> head, URI probe, String repoPage, String endpoint,
                              Optional<Token> token, String user) {
        int status = head.statusCode();
        String code = head.headers().firstValue("X-Error-Code").orElse("");
        String detail = head.headers().firstValue("X-Error-Message").map(m -> " (hub says: " + m + ")").orElse("");
        String who = user != null ? "as " + user : token.isPresent() ? "with the " + token.get() : "without a token";
        String tokenRemedy = "create a read token at " + endpoint + "/settings/tokens and put it in HF_TOKEN (or run"
                + " `hf auth login`)";
        if (status >= 200 && status < 400) {
            return CheckResult.pass(name(), "can read " + file + " of " + repoId + " " + who);
        }
        if (code.equals("GatedRepo") || status == 403) {
            if (token.isEmpty()) {
                return CheckResult.fail(name(), repoId + " is gated: downloads need a token of an account that has"
                                + " accepted its license (HTTP " + status + ", no token found)" + detail,
                        tokenRemedy + "; then accept the license at " + repoPage);
            }
            return CheckResult.fail(name(), "the account " + (user != null ? user + " " : "") + "has not accepted the "
                            + "license of " + repoId + " or is not in its authorized list yet (HTTP " + status + ", "
                            + (code.isEmpty() ? "access denied" : code) + ")" + detail,
                    "open " + repoPage + " logged in as " + (user != null ? user : "the token's account")
                            + ", accept the license and wait for approval if the page asks for it; then run again."
                            + " A fine-grained token also needs read access to public gated repos");
        }
        if (code.equals("RepoNotFound") || (status == 404 && code.isEmpty())) {
            return CheckResult.fail(name(), "no repository " + repoId + " at " + endpoint + ", or it is private and"
                            + " not visible " + who + " (HTTP " + status + ")" + detail,
                    "check the id against the model page (" + endpoint + "/models?search="
                            + repoId.substring(repoId.indexOf('/') + 1) + "); for a private repo use a token of an"
                            + " account with access");
        }
        if (code.equals("EntryNotFound")) {
            return CheckResult.fail(name(), repoId + " exists but has no " + file + " at revision " + revision
                    + " (HTTP " + status + ")" + detail, "check the repo's files at " + repoPage + "/tree/" + revision);
        }
        if (code.equals("RevisionNotFound")) {
            return CheckResult.fail(name(), repoId + " has no revision " + revision + " (HTTP " + status + ")" + detail,
                    "pick a branch, tag or commit listed at " + repoPage);
        }
        if (status == 401) {
            return CheckResult.fail(name(), repoId + " needs authentication " + who + " (HTTP 401)" + detail,
                    token.isEmpty() ? tokenRemedy : "use a token of an account with access to " + repoPage);
        }
        return CheckResult.fail(name(), "unexpected HTTP " + status + " from " + probe + detail,
                serverRemedy(status, endpoint));
    }

    private static String serverRemedy(int status, String endpoint) {
        if (status == 429) {
            return "the hub is rate limiting this machine: wait a few minutes and run again (authenticated requests"
                    + " get higher limits)";
        }
        if (status >= 500) {
            return "the hub failed; run again later and check its status page if it persists";
        }
        return "check HF_ENDPOINT (" + endpoint + ") and any proxy between this machine and the hub";
    }

    private static CheckResult scrub(CheckResult result, Optional<Token> token) {
        if (token.isEmpty()) {
            return result;
        }
        String secret = token.get().value();
        return new CheckResult(result.name().replace(secret, "[token]"), result.status(),
                result.message().replace(secret, "[token]"), result.remedy().replace(secret, "[token]"));
    }
}

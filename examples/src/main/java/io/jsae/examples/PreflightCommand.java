package io.jsae.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsae.core.backend.Backend;
import io.jsae.core.backend.BackendProvider;
import io.jsae.core.backend.BackendUnavailableException;
import io.jsae.core.backend.Backends;
import io.jsae.provisioning.CheckResult;
import io.jsae.provisioning.GpuEnvironmentCheck;
import io.jsae.provisioning.HuggingFaceAccessCheck;
import io.jsae.provisioning.Preflight;
import io.jsae.provisioning.PreflightCheck;
import io.jsae.provisioning.RequiredFilesCheck;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/**
 * Checks, before the meter starts, that a paid run is ready: Hugging Face access to the model (gated repos need
 * their license accepted), the checkpoint's files, the GPU environment, and the chosen backend's smoke test
 * (a few training steps compared with the CPU backend from identical weights). Every check is reported with its
 * status and, when it is not PASS, its remedy; any FAIL exits with {@link ExitCode#PREFLIGHT_FAILED}.
 *
 * <p>{@code --offline} skips the network check (reported as SKIP). The Hugging Face token comes from
 * {@code HF_TOKEN}, {@code --token-file} or the hub's token files, and is never printed.
 */
@Command(name = "preflight", mixinStandardHelpOptions = true,
        description = {"Check that a paid GPU run is ready: Hugging Face access to the model, its files, the GPU"
                + " environment, and the chosen backend's smoke test against the CPU backend.",
                "Exit code 5 when a check fails, 0 otherwise (warnings and skipped checks allowed)."})
public final class PreflightCommand implements Callable<Integer> {

    /**
     * The files of a Hugging Face Llama checkpoint checked by default; the weight shards named in
     * {@code model.safetensors.index.json} are added when it is present.
     */
    static final List<String> LLAMA_FILES = List.of("config.json", "generation_config.json",
            "model.safetensors.index.json", "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json");

    private static final String INDEX = "model.safetensors.index.json";

    /** Backends that run on the host and need no GPU. */
    private static final Set<String> HOST_BACKENDS = Set.of("cpu", "cuda-emulated");

    @Spec
    private CommandSpec spec;

    @Option(names = "--repo", defaultValue = "meta-llama/Llama-3.1-8B",
            description = "Hugging Face model repo whose access is checked (default: ${DEFAULT-VALUE}).")
    private String repo;

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "File holding the Hugging Face token (default: HF_TOKEN, else the hub's token files)."
                    + " The token is never printed.")
    private Path tokenFile;

    @Option(names = "--hf-endpoint", paramLabel = "URL",
            description = "Hub endpoint (default: HF_ENDPOINT, else https://huggingface.co).")
    private String hfEndpoint;

    @Option(names = "--hf-timeout", defaultValue = "10", paramLabel = "SECONDS",
            description = "Limit of each request to the hub (default: ${DEFAULT-VALUE}).")
    private long hfTimeoutSeconds;

    @Option(names = "--offline", description = "Skip the network checks (reported as SKIP).")
    private boolean offline;

    @Option(names = "--model-dir", paramLabel = "DIR",
            description = "Folder of the downloaded checkpoint whose files are checked (without it, SKIP).")
    private Path modelDir;

    @Option(names = "--require", split = ",", paramLabel = "NAME",
            description = "Files required under --model-dir (default: a Llama checkpoint's config, tokenizer and"
                    + " index files, and the shards its index names).")
    private List<String> required;

    @Option(names = "--nvidia-smi", defaultValue = "nvidia-smi", paramLabel = "PATH",
            description = "nvidia-smi to query (default: ${DEFAULT-VALUE} from the PATH).")
    private String nvidiaSmi;

    @Option(names = "--min-gpus", defaultValue = "1", description = "GPUs required (default: ${DEFAULT-VALUE}).")
    private int minGpus;

    @Option(names = "--min-gpu-memory", paramLabel = "GiB", description = "Memory required per GPU in GiB.")
    private Integer minGpuMemory;

    @Option(names = "--min-compute-capability", paramLabel = "X.Y",
            description = "Compute capability required, e.g. 8.0.")
    private String minComputeCapability;

    @Option(names = "--backend", paramLabel = "NAME",
            description = "Backend to smoke-test: cpu, cuda, cuda-emulated (default: the best available, as train"
                    + " picks it; -Djsae.backend=NAME is honoured).")
    private String backendName;

    @Option(names = "--device", defaultValue = "0",
            description = "Device index of the backend (default: ${DEFAULT-VALUE}).")
    private int device;

    @Option(names = "--smoke-steps", defaultValue = "3",
            description = "Training steps of the smoke test (default: ${DEFAULT-VALUE}).")
    private int smokeSteps;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the smoke test (default: ${DEFAULT-VALUE}).")
    private long seed;

    @Option(names = "--markdown", description = "Print the report as a Markdown table.")
    private boolean markdown;

    private Map<String, String> environment = System.getenv();
    private Path userHome = Path.of(System.getProperty("user.home"));

    /**
     * Replaces the process environment the checks read (HF_TOKEN, HF_HOME, HF_ENDPOINT); for tests.
     *
     * @param environment the variables
     * @return this command
     */
    PreflightCommand environment(Map<String, String> environment) {
        this.environment = Map.copyOf(environment);
        return this;
    }

    /**
     * Replaces the home folder holding the hub's token file; for tests.
     *
     * @param userHome the folder
     * @return this command
     */
    PreflightCommand userHome(Path userHome) {
        this.userHome = userHome;
        return this;
    }

    @Override
    public Integer call() {
        if (minGpus < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--min-gpus is " + minGpus
                    + "; give at least 1 (a machine for the run has a GPU)");
        }
        if (smokeSteps < 2) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--smoke-steps is " + smokeSteps
                    + "; give at least 2, so that the loss can be seen to fall");
        }
        PrintWriter out = spec.commandLine().getOut();
        GpuEnvironmentCheck gpuCheck = gpuCheck();
        Backend backend = null;
        RuntimeException backendProblem = null;
        try {
            backend = backendName == null ? Backends.best() : Backends.named(backendName, device);
        } catch (BackendUnavailableException | IllegalArgumentException e) {
            backendProblem = e;
        }
        try {
            String chosen = backend != null ? backend.name() : backendName != null ? backendName : "best available";
            List<PreflightCheck> checks = new ArrayList<>();
            checks.add(huggingFace());
            checks.add(files());
            checks.add(gpu(gpuCheck, chosen, backend == null ? backendName != null && !HOST_BACKENDS.contains(backendName)
                    : !HOST_BACKENDS.contains(backend.name())));
            checks.add(backend != null ? new BackendSmokeCheck(backend, BackendSmokeCheck::openCpu, smokeSteps, seed)
                    : BackendSmokeCheck.unavailable(chosen, backendProblem));
            Preflight.Report report = new Preflight(checks).run();
            print(out, report, chosen);
            if (report.ready()) {
                return ExitCode.OK;
            }
            List<CheckResult> failed = report.withStatus(CheckResult.Status.FAIL);
            return Main.report(new CommandFailure(ExitCode.PREFLIGHT_FAILED, "preflight failed: " + failed.size()
                    + " of " + report.results().size() + " checks failed (" + failed.stream().map(CheckResult::name)
                    .collect(Collectors.joining("; ")) + ")", "fix what each failed check's remedy says, then run"
                    + " jsae preflight again"), spec.commandLine().getErr(), false);
        } finally {
            if (backend != null) {
                backend.close();
            }
        }
    }

    private void print(PrintWriter out, Preflight.Report report, String chosen) {
        out.println("jsae preflight: model " + repo + ", backend " + chosen + (offline ? ", offline" : ""));
        out.println();
        if (markdown) {
            out.print(report.toMarkdown());
        } else {
            for (CheckResult r : report.results()) {
                out.printf("%-4s  %s%n", r.status(), r.name());
                out.println("      " + r.message());
                if (r.status() != CheckResult.Status.PASS && !r.remedy().isEmpty()) {
                    out.println("      " + (r.status() == CheckResult.Status.SKIP ? "to run it: " : "remedy: ")
                            + r.remedy());
                }
            }
        }
        out.println();
        Map<CheckResult.Status, Long> counts = new HashMap<>();
        report.results().forEach(r -> counts.merge(r.status(), 1L, Long::sum));
        out.println("preflight: " + counts.getOrDefault(CheckResult.Status.FAIL, 0L) + " FAIL, "
                + counts.getOrDefault(CheckResult.Status.WARN, 0L) + " WARN, "
                + counts.getOrDefault(CheckResult.Status.PASS, 0L) + " PASS, "
                + counts.getOrDefault(CheckResult.Status.SKIP, 0L) + " SKIP: "
                + (report.ready() ? "ready" : "not ready"));
        out.flush();
    }

    private PreflightCheck huggingFace() {
        String name = "Hugging Face access to " + repo;
        if (offline) {
            return PreflightCheck.named(name, () -> CheckResult.skip(name,
                    "--offline: the network check is skipped",
                    "run without --offline on the machine that will download the model"));
        }
        return PreflightCheck.named(name, () -> {
            Map<String, String> env = new HashMap<>(environment);
            if (tokenFile != null) {
                try {
                    env.put("HF_TOKEN", Files.readString(tokenFile, StandardCharsets.UTF_8).strip());
                } catch (IOException e) {
                    return CheckResult.fail(name, "cannot read --token-file " + tokenFile + ": "
                            + e.getClass().getSimpleName(), "give a readable file holding the token");
                }
            }
            if (hfEndpoint != null) {
                env.put("HF_ENDPOINT", hfEndpoint);
            }
            return HuggingFaceAccessCheck.builder(repo).environment(env).userHome(userHome)
                    .timeout(Duration.ofSeconds(Math.max(1, hfTimeoutSeconds))).build().run();
        });
    }

    private PreflightCheck files() {
        if (modelDir == null) {
            String name = "required files";
            return PreflightCheck.named(name, () -> CheckResult.skip(name,
                    "no --model-dir given, so the checkpoint's files are not checked",
                    "give --model-dir DIR, the folder the checkpoint was downloaded to (e.g. `hf download " + repo
                            + " --local-dir DIR`)"));
        }
        String name = "required files under " + modelDir;
        return PreflightCheck.named(name, () -> {
            if (!Files.isDirectory(modelDir)) {
                return CheckResult.fail(name, modelDir + (Files.exists(modelDir) ? " is a file, not a folder"
                        : " does not exist"), "give --model-dir the folder the checkpoint was downloaded to");
            }
            Set<String> names = new LinkedHashSet<>(required != null ? required : LLAMA_FILES);
            if (required == null && Files.isRegularFile(modelDir.resolve(INDEX))) {
                try {
                    names.addAll(shards(modelDir.resolve(INDEX)));
                } catch (IOException | IllegalArgumentException e) {
                    return CheckResult.fail(name, INDEX + " cannot be read as a safetensors index: " + e.getMessage(),
                            "download " + INDEX + " again: it lists the weight shards");
                }
            }
            return new RequiredFilesCheck(modelDir, List.copyOf(names)).run();
        });
    }

    /** The shard files a safetensors index names in its weight_map. */
    static Set<String> shards(Path index) throws IOException {
        JsonNode map = new ObjectMapper().readTree(index.toFile()).get("weight_map");
        if (map == null || !map.isObject()) {
            throw new IllegalArgumentException("it has no weight_map object");
        }
        Set<String> files = new TreeSet<>();
        for (Iterator<JsonNode> it = map.elements(); it.hasNext(); ) {
            files.add(it.next().asText());
        }
        return files;
    }

    /** The GPU environment check of the options; a bad option value is a usage error. */
    private GpuEnvironmentCheck gpuCheck() {
        try {
            GpuEnvironmentCheck.Builder b = GpuEnvironmentCheck.builder().executable(nvidiaSmi).minDevices(minGpus);
            if (minGpuMemory != null) {
                b.minMemoryGiB(minGpuMemory);
            }
            if (minComputeCapability != null) {
                b.minComputeCapability(minComputeCapability);
            }
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /**
     * The GPU environment check as the chosen backend needs it: for a backend that runs on the host a missing GPU
     * is a warning, and so is a GPU that the best-available choice passed over, with the reason.
     */
    private PreflightCheck gpu(GpuEnvironmentCheck check, String chosen, boolean needsGpu) {
        return PreflightCheck.named(check.name(), () -> {
            CheckResult r = check.run();
            if (needsGpu) {
                return r;
            }
            if (r.status() == CheckResult.Status.FAIL) {
                return CheckResult.warn(r.name(), r.message() + " (the chosen backend, " + chosen + ", runs on the"
                        + " host and needs no GPU)", r.remedy() + "; a GPU run needs this fixed first");
            }
            if (r.status() == CheckResult.Status.PASS && backendName == null) {
                return CheckResult.warn(r.name(), r.message() + "; but training would run on " + chosen + ", since "
                        + cudaUnavailable(), "make the cuda backend available (README.md, \"CUDA backend\"), or pass"
                        + " --backend " + chosen + " if the host is meant");
            }
            return r;
        });
    }

    /** Why the cuda backend was passed over. */
    private static String cudaUnavailable() {
        for (BackendProvider p : Backends.providers()) {
            if (p.name().equals("cuda")) {
                BackendUnavailableException why = p.probe();
                return why == null ? "the cuda backend probes fine but was not chosen (-Djsae.backend?)"
                        : why.getMessage();
            }
        }
        return "no cuda backend is on the class path (jsae-cuda-kernels)";
    }
}

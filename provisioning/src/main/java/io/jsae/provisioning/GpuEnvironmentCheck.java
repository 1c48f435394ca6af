package io.jsae.provisioning;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks the GPUs of this machine through {@code nvidia-smi --query-gpu=name,memory.total,driver_version,
 * compute_cap --format=csv,noheader}: how many devices, their names, memory, driver and compute capability,
 * against expectations (minimum memory, minimum compute capability, minimum number of such devices).
 *
 * <p>A machine without nvidia-smi, or whose driver does not answer, yields a FAIL with a remedy, never an
 * exception. The executable path is configurable for machines where nvidia-smi is not on the PATH. The
 * {@code compute_cap} field needs an R510 or newer driver; older drivers fail the query, which is reported.
 */
public final class GpuEnvironmentCheck implements PreflightCheck {

    /** The query arguments passed to nvidia-smi. */
    public static final List<String> QUERY = List.of(
            "--query-gpu=name,memory.total,driver_version,compute_cap", "--format=csv,noheader");

    private static final Pattern MEMORY = Pattern.compile("(\\d+)\\s*MiB");
    private static final Pattern CAPABILITY = Pattern.compile("(\\d+)\\.(\\d+)");

    private final String executable;
    private final long minMemoryMiB;
    private final String minComputeCapability;
    private final int minDevices;
    private final Duration timeout;

    private GpuEnvironmentCheck(Builder b) {
        this.executable = b.executable;
        this.minMemoryMiB = b.minMemoryMiB;
        this.minComputeCapability = b.minComputeCapability;
        this.minDevices = b.minDevices;
        this.timeout = b.timeout;
    }

    /** A check that needs one GPU of any size, running {@code nvidia-smi} from the PATH. */
    public GpuEnvironmentCheck() {
        this(builder());
    }

    /**
     * A builder with the defaults: {@code nvidia-smi} from the PATH, at least one device, no memory or
     * compute-capability minimum, a 30-second timeout.
     *
     * @return the builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** Options of a {@link GpuEnvironmentCheck}. */
    public static final class Builder {
        private String executable = "nvidia-smi";
        private long minMemoryMiB;
        private String minComputeCapability;
        private int minDevices = 1;
        private Duration timeout = Duration.ofSeconds(30);

        private Builder() {
        }

        /**
         * The nvidia-smi to run: a name looked up on the PATH or a path to the executable.
         *
         * @param executable name or path
         * @return this builder
         */
        public Builder executable(String executable) {
            this.executable = Objects.requireNonNull(executable, "executable");
            return this;
        }

        /**
         * Minimum memory per device in GiB (1 GiB = 1024 MiB, as nvidia-smi reports).
         *
         * @param gib minimum memory
         * @return this builder
         */
        public Builder minMemoryGiB(int gib) {
            this.minMemoryMiB = gib * 1024L;
            return this;
        }

        /**
         * Minimum compute capability, e.g. "8.0" for Ampere (A100).
         *
         * @param capability major.minor
         * @return this builder
         */
        public Builder minComputeCapability(String capability) {
            if (capability == null || !CAPABILITY.matcher(capability).matches()) {
                throw new IllegalArgumentException("compute capability '" + capability
                        + "' is not of the form major.minor such as 8.0");
            }
            this.minComputeCapability = capability;
            return this;
        }

        /**
         * How many devices must meet the expectations.
         *
         * @param count at least 1
         * @return this builder
         */
        public Builder minDevices(int count) {
            if (count < 1) {
                throw new IllegalArgumentException("minDevices is " + count + "; give at least 1");
            }
            this.minDevices = count;
            return this;
        }

        /**
         * How long nvidia-smi may take before the check fails as hung.
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
         * Builds the check.
         *
         * @return the check
         */
        public GpuEnvironmentCheck build() {
            return new GpuEnvironmentCheck(this);
        }
    }

    /**
     * One GPU as nvidia-smi reports it.
     *
     * @param index             position in nvidia-smi's output, from 0
     * @param name              e.g. "NVIDIA A100-SXM4-40GB"
     * @param memoryMiB         total memory in MiB, or -1 when not reported
     * @param driverVersion     e.g. "535.104.05"
     * @param computeCapability e.g. "8.0"
     */
    public record GpuDevice(int index, String name, long memoryMiB, String driverVersion, String computeCapability) {
    }

    /**
     * Parses nvidia-smi's {@code csv,noheader} output of the {@link #QUERY} fields.
     *
     * @param output the output, one device per line
     * @return the devices
     * @throws IllegalArgumentException when a line does not have the four fields (the line is named)
     */
    public static List<GpuDevice> parse(String output) {
        List<GpuDevice> devices = new ArrayList<>();
        List<String> lines = output.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
        for (int i = 0; i < lines.size(); i++) {
            String[] fields = lines.get(i).split("\\s*,\\s*");
            if (fields.length != 4) {
                throw new IllegalArgumentException("nvidia-smi output line " + (i + 1) + " has " + fields.length
                        + " fields, expected 4 (name, memory.total, driver_version, compute_cap): " + lines.get(i));
            }
            Matcher memory = MEMORY.matcher(fields[1]);
            devices.add(new GpuDevice(i, fields[0], memory.matches() ? Long.parseLong(memory.group(1)) : -1,
                    fields[2], fields[3]));
        }
        return devices;
    }

    @Override
    public String name() {
        return "GPU environment";
    }

    @Override
    public CheckResult run() {
        List<String> command = new ArrayList<>();
        command.add(executable);
        command.addAll(QUERY);
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            return CheckResult.fail(name(), "cannot run " + executable + ": " + e.getMessage(),
                    "install the NVIDIA driver (it ships nvidia-smi) or, if it is installed elsewhere, configure"
                            + " the path of nvidia-smi; on a machine without an NVIDIA GPU, rent one before the run");
        }
        CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> readAll(process.getInputStream()));
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                return CheckResult.fail(name(), executable + " did not finish within " + timeout.toSeconds()
                                + " s (timeout)",
                        "the driver may be hung: check dmesg for Xid errors and reset or replace the machine");
            }
            String text = output.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (process.exitValue() != 0) {
                String first = text.lines().findFirst().orElse("(no output)");
                return CheckResult.fail(name(), executable + " exited with code " + process.exitValue() + ": " + first,
                        first.contains("compute_cap") ? "update the NVIDIA driver to R510 or newer (compute_cap"
                                + " needs it)" : "install or repair the NVIDIA driver (nvidia-smi cannot talk to it);"
                                + " on a rented machine pick an image with the driver, or replace the machine");
            }
            return judge(parse(text));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            return CheckResult.fail(name(), "interrupted while waiting for " + executable, "run the check again");
        } catch (ExecutionException | TimeoutException e) {
            process.destroyForcibly();
            return CheckResult.fail(name(), "cannot read the output of " + executable + ": " + e,
                    "run nvidia-smi by hand to see what it prints");
        } catch (IllegalArgumentException e) {
            return CheckResult.fail(name(), "unexpected output: " + e.getMessage(),
                    "run nvidia-smi " + String.join(" ", QUERY) + " by hand; an unusual driver may need updating");
        }
    }

    private static String readAll(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private CheckResult judge(List<GpuDevice> devices) {
        if (devices.isEmpty()) {
            return CheckResult.fail(name(), "nvidia-smi lists no GPU",
                    "check that the instance type has a GPU and that it is visible (CUDA_VISIBLE_DEVICES, container"
                            + " --gpus flag)");
        }
        List<String> found = new ArrayList<>();
        List<String> shortfalls = new ArrayList<>();
        int qualifying = 0;
        for (GpuDevice d : devices) {
            found.add("#" + d.index() + " " + d.name() + " " + (d.memoryMiB() < 0 ? "memory not reported"
                    : d.memoryMiB() + " MiB") + ", compute " + d.computeCapability() + ", driver " + d.driverVersion());
            List<String> why = new ArrayList<>();
            if (minMemoryMiB > 0 && d.memoryMiB() < minMemoryMiB) {
                why.add((d.memoryMiB() < 0 ? "memory not reported" : d.memoryMiB() + " MiB") + " < " + minMemoryMiB
                        + " MiB");
            }
            if (minComputeCapability != null && compareCapability(d.computeCapability(), minComputeCapability) < 0) {
                why.add("compute capability " + d.computeCapability() + " < " + minComputeCapability);
            }
            if (why.isEmpty()) {
                qualifying++;
            } else {
                shortfalls.add("#" + d.index() + ": " + String.join(", ", why));
            }
        }
        String summary = devices.size() + " GPU" + (devices.size() == 1 ? "" : "s") + ": " + String.join("; ", found);
        if (qualifying >= minDevices) {
            return CheckResult.pass(name(), summary);
        }
        return CheckResult.fail(name(), summary + ". " + qualifying + " of the required " + minDevices
                        + " meet the expectations (" + String.join("; ", shortfalls) + ")",
                "rent an instance whose GPUs meet the expectations"
                        + (minMemoryMiB > 0 ? ", at least " + minMemoryMiB / 1024 + " GiB each" : "")
                        + (minComputeCapability != null ? ", compute capability " + minComputeCapability + "+" : ""));
    }

    /** Compares "major.minor" capabilities numerically; an unparsable one counts as lowest. */
    static int compareCapability(String a, String b) {
        Matcher ma = CAPABILITY.matcher(a.strip());
        Matcher mb = CAPABILITY.matcher(b.strip());
        if (!ma.matches()) {
            return mb.matches() ? -1 : 0;
        }
        if (!mb.matches()) {
            return 1;
        }
        int major = Integer.compare(Integer.parseInt(ma.group(1)), Integer.parseInt(mb.group(1)));
        return major != 0 ? major : Integer.compare(Integer.parseInt(ma.group(2)), Integer.parseInt(mb.group(2)));
    }
}

package io.jsae.provisioning;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GpuEnvironmentCheckTest {

    private static final String A100 = "NVIDIA A100-SXM4-40GB, 40960 MiB, 535.104.05, 8.0";
    private static final String T4 = "Tesla T4, 15360 MiB, 535.104.05, 7.5";

    @TempDir
    Path dir;

    @BeforeEach
    void needsPosixShell() {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/bin/sh")), "fake nvidia-smi scripts need /bin/sh");
    }

    /** Writes an executable script standing in for nvidia-smi; it records its arguments. */
    private String fakeSmi(String body) throws IOException {
        Path script = dir.resolve("nvidia-smi");
        Files.writeString(script, "#!/bin/sh\necho \"$@\" > \"" + dir.resolve("args") + "\"\n" + body + "\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        return script.toString();
    }

    @Test
    void parsesDevicesAndPassesWithTheDocumentedQuery() throws IOException {
        String smi = fakeSmi("printf '%s\\n' '" + A100 + "' '" + A100 + "'");
        CheckResult r = GpuEnvironmentCheck.builder().executable(smi).minMemoryGiB(40).minComputeCapability("8.0")
                .minDevices(2).build().run();

        assertEquals(CheckResult.Status.PASS, r.status(), r.message());
        assertTrue(r.message().startsWith("2 GPUs: #0 NVIDIA A100-SXM4-40GB 40960 MiB, compute 8.0, driver 535.104.05"),
                r.message());
        assertEquals("--query-gpu=name,memory.total,driver_version,compute_cap --format=csv,noheader",
                Files.readString(dir.resolve("args")).strip());
    }

    @Test
    void failsWithEachShortfallNamed() throws IOException {
        String smi = fakeSmi("printf '%s\\n' '" + T4 + "' '" + A100 + "'");
        CheckResult r = GpuEnvironmentCheck.builder().executable(smi).minMemoryGiB(40).minComputeCapability("8.0")
                .minDevices(2).build().run();

        assertEquals(CheckResult.Status.FAIL, r.status());
        assertTrue(r.message().contains("1 of the required 2 meet the expectations"), r.message());
        assertTrue(r.message().contains("#0: 15360 MiB < 40960 MiB, compute capability 7.5 < 8.0"), r.message());
        assertTrue(r.remedy().contains("at least 40 GiB each, compute capability 8.0+"), r.remedy());
    }

    @Test
    void missingNvidiaSmiIsAFailWithRemedyNotAnException() {
        CheckResult r = GpuEnvironmentCheck.builder().executable(dir.resolve("no-such-nvidia-smi").toString())
                .build().run();

        assertEquals(CheckResult.Status.FAIL, r.status());
        assertTrue(r.message().startsWith("cannot run "), r.message());
        assertTrue(r.remedy().contains("install the NVIDIA driver"), r.remedy());
    }

    @Test
    void driverThatDoesNotAnswerIsAFail() throws IOException {
        String smi = fakeSmi("echo 'NVIDIA-SMI has failed because it couldn'\"'\"'t communicate with the NVIDIA driver.'"
                + "\nexit 9");
        CheckResult r = GpuEnvironmentCheck.builder().executable(smi).build().run();

        assertEquals(CheckResult.Status.FAIL, r.status());
        assertTrue(r.message().contains("exited with code 9: NVIDIA-SMI has failed"), r.message());
        assertTrue(r.remedy().contains("driver"), r.remedy());
    }

    @Test
    void oldDriverWithoutComputeCapIsNamed() throws IOException {
        String smi = fakeSmi("echo 'Field \"compute_cap\" is not a valid field to query.'\nexit 2");
        CheckResult r = GpuEnvironmentCheck.builder().executable(smi).build().run();

        assertEquals(CheckResult.Status.FAIL, r.status());
        assertTrue(r.remedy().contains("R510"), r.remedy());
    }

    @Test
    void hungNvidiaSmiTimesOut() throws IOException {
        String smi = fakeSmi("exec sleep 30");
        long start = System.nanoTime();
        CheckResult r = GpuEnvironmentCheck.builder().executable(smi).timeout(Duration.ofMillis(300)).build().run();

        assertEquals(CheckResult.Status.FAIL, r.status());
        assertTrue(r.message().contains("(timeout)"), r.message());
        assertTrue(System.nanoTime() - start < Duration.ofSeconds(20).toNanos(), "the timeout bounds the wait");
    }

    @Test
    void noDevicesIsAFail() throws IOException {
        CheckResult r = GpuEnvironmentCheck.builder().executable(fakeSmi("true")).build().run();

        assertEquals(CheckResult.Status.FAIL, r.status());
        assertTrue(r.message().contains("no GPU"), r.message());
    }

    @Test
    void parseNamesTheBadLine() {
        List<GpuEnvironmentCheck.GpuDevice> devices = GpuEnvironmentCheck.parse(A100 + "\nNVIDIA GH200, [N/A], 550.1, 9.0\n");
        assertEquals(2, devices.size());
        assertEquals(-1, devices.get(1).memoryMiB());
        assertEquals("9.0", devices.get(1).computeCapability());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GpuEnvironmentCheck.parse(A100 + "\ngarbage"));
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
    }

    @Test
    void capabilitiesCompareNumerically() {
        assertTrue(GpuEnvironmentCheck.compareCapability("10.0", "9.0") > 0);
        assertTrue(GpuEnvironmentCheck.compareCapability("8.6", "8.0") > 0);
        assertEquals(0, GpuEnvironmentCheck.compareCapability("8.0", "8.0"));
        assertTrue(GpuEnvironmentCheck.compareCapability("[N/A]", "8.0") < 0);
    }

    @Test
    @Tag("gpu")
    void realNvidiaSmiPassesOnAGpuMachine() {
        CheckResult r = new GpuEnvironmentCheck().run();
        Assumptions.assumeFalse(r.message().startsWith("cannot run") || r.message().contains("exited with code"),
                "no usable NVIDIA driver on this machine: " + r.message());
        assertEquals(CheckResult.Status.PASS, r.status(), r.message() + " / " + r.remedy());
        assertTrue(r.message().contains("compute "), r.message());
    }
}

package io.jsae.core;

import io.jsae.core.backend.cpu.CpuBackend;
import org.junit.jupiter.api.Assumptions;

/**
 * The CPU backend shared by the tests of one JVM, with two threads (the CI machine's cores, and the thread
 * count that bitwise-determinism tests rely on). Tests that need it call {@link #cpu()}, which skips the
 * test, with the reason, where the backend cannot load.
 */
public final class TestBackends {
    private static CpuBackend cpu;

    private TestBackends() {
    }

    /** @return the shared CPU backend; skips the calling test if it is unavailable */
    public static synchronized CpuBackend cpu() {
        if (cpu == null) {
            cpu = new CpuBackend(2);
        }
        Assumptions.assumeTrue(cpu.isAvailable(), () -> "CPU backend unavailable: " + cpu.unavailableReason());
        return cpu;
    }
}

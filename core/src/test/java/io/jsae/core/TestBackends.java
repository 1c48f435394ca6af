package io.jsae.core;

import io.jsae.core.backend.BackendUnavailableException;
import io.jsae.core.backend.cpu.CpuBackend;
import org.junit.jupiter.api.Assumptions;

/**
 * The CPU backend shared by the tests of one JVM, with two threads (the CI machine's cores, and the thread
 * count that bitwise-determinism tests rely on). Tests that need it call {@link #cpu()}, which skips the
 * test, with the reason, where the backend cannot load.
 */
public final class TestBackends {
    private static CpuBackend cpu;
    private static BackendUnavailableException unavailable;

    private TestBackends() {
    }

    /** @return the shared CPU backend; skips the calling test if it is unavailable */
    public static synchronized CpuBackend cpu() {
        if (cpu == null && unavailable == null) {
            try {
                cpu = new CpuBackend(2);
            } catch (BackendUnavailableException e) {
                unavailable = e;
            }
        }
        Assumptions.assumeTrue(cpu != null, () -> "CPU backend unavailable: " + unavailable.getMessage());
        return cpu;
    }
}

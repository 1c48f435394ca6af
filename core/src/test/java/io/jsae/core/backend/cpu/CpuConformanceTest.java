package io.jsae.core.backend.cpu;

import io.jsae.core.backend.Backend;
import io.jsae.core.backend.BackendUnavailableException;
import io.jsae.core.backend.conformance.BackendConformanceKit;
import org.junit.jupiter.api.Assumptions;

/** The CPU backend runs the conformance kit (two threads, as in CI). */
class CpuConformanceTest extends BackendConformanceKit {
    @Override
    protected Backend openBackend() {
        return openCpuBackend();
    }

    /** @return a two-thread CPU backend; aborts the test where the backend is unavailable */
    static Backend openCpuBackend() {
        try {
            return new CpuBackend(2);
        } catch (BackendUnavailableException e) {
            Assumptions.abort("CPU backend unavailable: " + e.getMessage());
            throw e;
        }
    }
}

package io.jsae.cuda;

import io.jsae.core.backend.Backend;
import io.jsae.core.backend.BackendUnavailableException;
import io.jsae.core.backend.Backends;
import io.jsae.core.backend.conformance.BackendConformanceKit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;

/**
 * The conformance kit on the real {@code cuda} backend, for every operand precision it lists. Skipped where
 * no GPU answers (the probe's reason is the skip message); {@code scripts/gpu-check.sh} runs it on a GPU.
 */
@Tag("gpu")
class CudaConformanceTest extends BackendConformanceKit {
    @Override
    protected Backend openBackend() {
        BackendUnavailableException why = new CudaBackendProvider().probe();
        Assumptions.assumeTrue(why == null, () -> "no GPU here: " + why.getMessage());
        return Backends.named(CudaBackendProvider.NAME, Integer.getInteger("jsae.device", 0));
    }
}

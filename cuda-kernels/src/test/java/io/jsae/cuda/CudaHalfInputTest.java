package io.jsae.cuda;

import io.jsae.core.backend.Backend;
import io.jsae.core.backend.BackendUnavailableException;
import io.jsae.core.backend.Backends;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;

/**
 * {@link HalfInputTest} on the real {@code cuda} backend. Skipped where no GPU answers; {@code GpuCheck} runs it
 * with the conformance kit.
 */
@Tag("gpu")
class CudaHalfInputTest extends HalfInputTest {
    @Override
    protected Backend openBackend() {
        BackendUnavailableException why = new CudaBackendProvider().probe();
        Assumptions.assumeTrue(why == null, () -> "no GPU here: " + why.getMessage());
        return Backends.named(CudaBackendProvider.NAME, Integer.getInteger("jsae.device", 0));
    }
}

package io.jsae.cuda;

import io.jsae.core.backend.Backend;
import io.jsae.core.backend.BackendUnavailableException;
import io.jsae.core.backend.Backends;
import io.jsae.core.backend.DeviceSae;
import io.jsae.core.backend.conformance.HalfInputKit;
import io.jsae.core.io.DType;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;

/**
 * {@link HalfInputKit} on the real {@code cuda} backend. Skipped where no GPU answers; {@code GpuCheck} runs it
 * with the conformance kit.
 */
@Tag("gpu")
class CudaHalfInputTest extends HalfInputKit {
    @Override
    protected Backend openBackend() {
        BackendUnavailableException why = new CudaBackendProvider().probe();
        Assumptions.assumeTrue(why == null, () -> "no GPU here: " + why.getMessage());
        return Backends.named(CudaBackendProvider.NAME, Integer.getInteger("jsae.device", 0));
    }

    @Override
    protected float[] convertInput(DeviceSae sae, DType type, int count) {
        return ((CudaSae) sae).convertInput(type, count);
    }
}

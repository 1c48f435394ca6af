package io.jsae.cuda;

import io.jsae.core.backend.Backend;
import io.jsae.core.backend.Backends;
import io.jsae.core.backend.DeviceSae;
import io.jsae.core.backend.conformance.HalfInputKit;
import io.jsae.core.io.DType;

/** {@link HalfInputKit} on {@code cuda-emulated}: the widening kernel and the typed step run by the host emulation. */
class EmulatedHalfInputTest extends HalfInputKit {
    @Override
    protected Backend openBackend() {
        return Backends.named(EmulatedCudaBackendProvider.NAME, 0);
    }

    @Override
    protected float[] convertInput(DeviceSae sae, DType type, int count) {
        return ((CudaSae) sae).convertInput(type, count);
    }
}

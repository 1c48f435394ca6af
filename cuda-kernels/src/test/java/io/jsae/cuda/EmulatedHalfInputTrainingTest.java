package io.jsae.cuda;

import io.jsae.core.backend.Backend;
import io.jsae.core.backend.Backends;
import io.jsae.core.backend.conformance.HalfInputTrainingKit;

/** {@link HalfInputTrainingKit} on {@code cuda-emulated}: half-precision shards trained undecoded, widened by the device. */
class EmulatedHalfInputTrainingTest extends HalfInputTrainingKit {
    @Override
    protected Backend openBackend() {
        return Backends.named(EmulatedCudaBackendProvider.NAME, 0);
    }
}

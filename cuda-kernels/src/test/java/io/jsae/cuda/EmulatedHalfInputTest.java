package io.jsae.cuda;

import io.jsae.core.backend.Backend;
import io.jsae.core.backend.Backends;

/** {@link HalfInputTest} on {@code cuda-emulated}: the widening kernel and the typed step run by the host emulation. */
class EmulatedHalfInputTest extends HalfInputTest {
    @Override
    protected Backend openBackend() {
        return Backends.named(EmulatedCudaBackendProvider.NAME, 0);
    }
}

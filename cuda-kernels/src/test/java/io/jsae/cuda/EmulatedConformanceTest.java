package io.jsae.cuda;

import io.jsae.core.backend.Backend;
import io.jsae.core.backend.Backends;
import io.jsae.core.backend.conformance.BackendConformanceKit;

/**
 * The conformance kit on {@code cuda-emulated}: the CUDA backend's Java code and its kernels, unchanged, run by
 * the host emulation. This is what checks the kernels' logic and indexing in CI, without a GPU.
 */
class EmulatedConformanceTest extends BackendConformanceKit {
    @Override
    protected Backend openBackend() {
        return Backends.named(EmulatedCudaBackendProvider.NAME, 0);
    }
}

package io.jsae.core.backend.cpu;

import io.jsae.core.backend.Backend;
import io.jsae.core.backend.conformance.HalfInputTrainingKit;

/** {@link HalfInputTrainingKit} on the CPU backend: half-precision shards trained undecoded, widened by its kernels. */
class CpuHalfInputTrainingTest extends HalfInputTrainingKit {
    @Override
    protected Backend openBackend() {
        return CpuConformanceTest.openCpuBackend();
    }
}

package io.jsae.cuda;

import io.jsae.core.Precision;
import io.jsae.core.backend.Backend;
import io.jsae.core.backend.conformance.BackendConformanceKit;

import java.util.EnumSet;

/**
 * The conformance kit on {@code cuda-emulated} with the per-row top-k's shared-memory candidates turned off, so
 * that every row goes through the other path (four radix passes and the ordered compaction): the kit's small
 * rows otherwise always fit in shared memory.
 */
class EmulatedRadixPathConformanceTest extends BackendConformanceKit {
    @Override
    protected Backend openBackend() {
        return new CudaBackend(KernelLibrary.EMULATED, EmulatedCudaBackendProvider.NAME, 0, EnumSet.of(Precision.FP32))
                .topkCandidates(0);
    }
}

package io.jsae.core.backend.cpu;

import io.jsae.core.backend.Backend;
import io.jsae.core.backend.DeviceSae;
import io.jsae.core.backend.conformance.HalfInputKit;
import io.jsae.core.io.DType;

/** {@link HalfInputKit} on the CPU backend (two threads, as in CI): half-precision rows widened by its kernels. */
class CpuHalfInputTest extends HalfInputKit {
    @Override
    protected Backend openBackend() {
        return CpuConformanceTest.openCpuBackend();
    }

    @Override
    protected float[] convertInput(DeviceSae sae, DType type, int count) {
        return ((CpuSae) sae).convertInput(type, count);
    }
}

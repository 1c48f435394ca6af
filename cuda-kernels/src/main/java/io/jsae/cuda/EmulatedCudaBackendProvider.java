package io.jsae.cuda;

import io.jsae.core.backend.Backend;
import io.jsae.core.backend.BackendProvider;
import io.jsae.core.backend.BackendUnavailableException;

/**
 * Provides "cuda-emulated": the CUDA backend's Java code and kernels unchanged, run on the CPU by the project's
 * host emulation of the CUDA built-ins (blocks on worker threads, a block's threads as fibers meeting at
 * barriers, bounds-checked memory) with a host GEMM in place of cuBLAS. It exists to test the kernels' logic and
 * indexing without a GPU; it is slow, never chosen by {@code Backends.best()}, and reached only with
 * {@code -Djsae.backend=cuda-emulated} or {@code Backends.named}. Only a real GPU checks speed, the memory model
 * and real TF32/BF16 rounding.
 */
public final class EmulatedCudaBackendProvider implements BackendProvider {
    /** The backend's name. */
    public static final String NAME = "cuda-emulated";

    /** Service constructor; loads nothing. */
    public EmulatedCudaBackendProvider() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int rank() {
        return -100;
    }

    @Override
    public boolean selectable() {
        return false;
    }

    @Override
    public BackendUnavailableException probe() {
        try {
            return KernelLibrary.EMULATED.open();
        } catch (Throwable t) {
            return new BackendUnavailableException(NAME + ": loading the emulated kernels failed: " + t, t);
        }
    }

    @Override
    public Backend create(int deviceIndex) {
        return new CudaBackend(KernelLibrary.EMULATED, NAME, deviceIndex);
    }
}

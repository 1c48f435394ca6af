package io.jsae.cuda;

import io.jsae.core.backend.Backend;
import io.jsae.core.backend.BackendProvider;
import io.jsae.core.backend.BackendUnavailableException;

/**
 * Provides the CUDA backend ("cuda", rank 100: preferred over the CPU wherever it runs). This version of the
 * module carries no CUDA kernels yet, so the provider reports the backend as not built, and
 * {@code Backends.best()} passes over it to the CPU with that reason in its log line.
 */
public final class CudaBackendProvider implements BackendProvider {
    /** The backend's name. */
    public static final String NAME = "cuda";

    /** Service constructor; loads nothing. */
    public CudaBackendProvider() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int rank() {
        return 100;
    }

    @Override
    public BackendUnavailableException probe() {
        return new BackendUnavailableException("this build of jsae-cuda-kernels carries no CUDA kernels "
                + "(the CUDA training step is not built yet); the CPU backend serves instead");
    }

    @Override
    public Backend create(int deviceIndex) {
        throw probe();
    }
}

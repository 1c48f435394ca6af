package io.jsae.cuda;

import io.jsae.core.backend.Backend;
import io.jsae.core.backend.BackendProvider;
import io.jsae.core.backend.BackendUnavailableException;

/**
 * Provides the CUDA backend ("cuda", rank 100: preferred over the CPU wherever it runs). {@link #probe()} loads
 * the binding and the device kernels and asks the CUDA runtime for devices; without a driver or a GPU it
 * returns the runtime's reason, which {@code Backends.best()} logs as it passes over to the CPU. cuBLAS is
 * opened when the backend is created (see the README for where it may come from).
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
        try {
            BackendUnavailableException why = KernelLibrary.DEVICE.open();
            if (why != null) {
                return why;
            }
            CudaBackend.deviceCount(KernelLibrary.DEVICE);
            return null;
        } catch (BackendUnavailableException e) {
            return e;
        } catch (Throwable t) {
            return new BackendUnavailableException(NAME + ": probing the CUDA runtime failed: " + t, t);
        }
    }

    @Override
    public Backend create(int deviceIndex) {
        try {
            return new CudaBackend(KernelLibrary.DEVICE, NAME, deviceIndex);
        } catch (CudaFailureException e) {
            throw new BackendUnavailableException(NAME + ": " + e.getMessage(), e);
        }
    }
}

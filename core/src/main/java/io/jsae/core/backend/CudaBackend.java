package io.jsae.core.backend;

import io.jsae.core.ParameterTensors;
import io.jsae.core.SaeConfig;

/**
 * The CUDA backend's entry point. Its kernels live in {@code jsae-cuda-kernels}; until that module ships a
 * native library for this platform the backend is unavailable and says so. It never throws from
 * construction, so {@link Backends#best()} can always ask it.
 */
public final class CudaBackend implements Backend {
    /** Binding class looked up by name so that core runs without the CUDA module's native library. */
    static final String BINDING_CLASS = "io.jsae.cuda.CudaKernels";

    private final String unavailableReason;

    /** Probes for the CUDA kernels binding; records why it is unusable. */
    public CudaBackend() {
        String reason;
        try {
            Class.forName(BINDING_CLASS, false, CudaBackend.class.getClassLoader());
            reason = "the CUDA training path is not implemented in this version of jsae-core";
        } catch (ClassNotFoundException e) {
            reason = "jsae-cuda-kernels was built without CUDA kernels (no " + BINDING_CLASS
                    + "); build it with nvcc on the path and run on a machine with an NVIDIA driver";
        } catch (Throwable t) {
            reason = "the CUDA kernels could not be loaded: " + t;
        }
        this.unavailableReason = reason;
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public boolean isAvailable() {
        return false;
    }

    @Override
    public String unavailableReason() {
        return unavailableReason;
    }

    @Override
    public DeviceSae load(SaeConfig config, ParameterTensors weights) {
        throw new IllegalStateException("CUDA backend unavailable: " + unavailableReason);
    }

    @Override
    public void close() {
        // nothing held
    }
}

package io.jsae.core.backend;

import io.jsae.core.ParameterTensors;
import io.jsae.core.SaeConfig;

/**
 * A compute backend (CPU on libtorch, CUDA). A backend that cannot run here is still constructible: it
 * answers {@link #isAvailable()} false and says why in {@link #unavailableReason()}, and never throws from
 * loading.
 */
public interface Backend extends AutoCloseable {

    /** @return short name ("cpu", "cuda") */
    String name();

    /** @return whether {@link #load} can be called */
    boolean isAvailable();

    /** @return why the backend is unavailable, or null when it is available */
    String unavailableReason();

    /**
     * Places an SAE on this backend's device: weights, gradients and Adam state stay there across steps.
     *
     * @param config  the configuration (its batch size bounds the rows of one call)
     * @param weights initial weights; Adam state starts at zero
     * @return the device-resident SAE, to be closed by the caller
     * @throws IllegalStateException if the backend is unavailable (the message carries the reason)
     */
    DeviceSae load(SaeConfig config, ParameterTensors weights);

    /** Releases the backend's threads and native resources. */
    @Override
    void close();
}

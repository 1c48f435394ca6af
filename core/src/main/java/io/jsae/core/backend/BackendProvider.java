package io.jsae.core.backend;

/**
 * A kind of backend, found through {@link java.util.ServiceLoader}: a module that contributes a backend lists its
 * provider class in {@code META-INF/services/io.jsae.core.backend.BackendProvider}. Providers are cheap to
 * construct and never throw from construction or from {@link #probe()}; the work of opening a device happens
 * in {@link #create(int)}.
 */
public interface BackendProvider {

    /** @return the backend's name, as {@code -Djsae.backend=NAME} selects it ("cpu", "cuda", "cuda-emulated") */
    String name();

    /** @return preference among available backends: {@link Backends#best()} takes the highest rank */
    int rank();

    /**
     * @return whether {@link Backends#best()} may pick this backend on its own; false for backends that exist
     * for testing (an emulation), which only {@code -Djsae.backend} or {@link Backends#named} select
     */
    default boolean selectable() {
        return true;
    }

    /**
     * Whether the backend can run here, answered cheaply (a library loads, a device is counted). Never throws.
     *
     * @return null when available, else the reason with its cause
     */
    BackendUnavailableException probe();

    /**
     * Opens the backend on a device.
     *
     * @param deviceIndex device to use, 0 for the first (the CPU backend has only device 0)
     * @return a new backend, owned by the caller
     * @throws BackendUnavailableException if it cannot run here or the device does not exist
     */
    Backend create(int deviceIndex);
}

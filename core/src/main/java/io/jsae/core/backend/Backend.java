package io.jsae.core.backend;

import io.jsae.core.Precision;
import io.jsae.core.SaeConfig;

import java.util.Set;

/**
 * An opened compute backend (the CPU, one GPU): it makes device SAEs and owns them. A backend implements
 * kernels and memory only; the training policy (learning rate, Adam's scalars, AuxK weighting, the batchtopk
 * threshold, input scaling, the NaN/Inf rule) is decided in core and reaches it as {@link StepParameters}.
 *
 * <p>Lifetime: {@link #close()} closes every {@link DeviceSae} this backend made and still open, then releases
 * the backend's threads and device; a device SAE used after that throws {@link IllegalStateException}.
 * Obtain backends from {@link Backends}.
 */
public interface Backend extends AutoCloseable {

    /** @return the provider's name ("cpu", "cuda", ...) */
    String name();

    /** @return the device this backend runs on (0 for the CPU) */
    int deviceIndex();

    /** @return a one-line description for logs: device name, threads or memory */
    String description();

    /** @return the operand precisions {@link #create} accepts */
    Set<Precision> precisions();

    /**
     * Allocates an SAE on the device with every state tensor zero (weights, moments, counters). Fill it through
     * {@link DeviceSae#stateTensors()} (initialization, a checkpoint) before training.
     *
     * @param config the configuration; its batch size bounds the rows of one call
     * @return the device SAE, owned by this backend and closable on its own
     * @throws IllegalArgumentException if the configuration asks for what this backend cannot do (a precision);
     *                                  a jumprelu SAE is made for inference and refuses training steps
     * @throws IllegalStateException    if the backend was closed
     */
    DeviceSae create(SaeConfig config);

    /** Closes every device SAE made by this backend and releases its threads and device; idempotent. */
    @Override
    void close();
}

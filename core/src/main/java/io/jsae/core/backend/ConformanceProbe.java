package io.jsae.core.backend;

import java.util.List;

/**
 * The small test SPI through which the conformance kit looks inside a device SAE. Not for training code: it
 * exposes what a production step never needs to show (gradients) and spoils what a step must overwrite.
 */
public interface ConformanceProbe {

    /**
     * Fills every scratch buffer, output and gradient with NaN (or an equally poisonous pattern), so that an
     * element a step forgets to write shows up as a wrong result.
     */
    void poison();

    /**
     * Forward and backward pass without the optimizer and without updating the dead-latent counters; the
     * gradients (before the decoder-row projection) become readable through {@link #gradients()}.
     *
     * @param rows   rows of the input buffer to use (read, and the input buffers switched, as by
     *               {@link DeviceSae#trainStep})
     * @param params the step's parameters
     * @return the batch's metrics
     */
    StepMetrics computeGradients(int rows, StepParameters params);

    /**
     * @return the gradients of the last {@link #computeGradients}, named like the parameters with a
     * {@code grad.} prefix ({@code grad.encoder_rows}, {@code grad.b_enc}, {@code grad.decoder_rows}, {@code grad.b_dec})
     */
    List<StateTensor> gradients();
}

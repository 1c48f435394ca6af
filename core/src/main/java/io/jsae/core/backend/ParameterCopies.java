package io.jsae.core.backend;

import io.jsae.core.ParameterTensors;

import java.nio.FloatBuffer;
import java.util.List;

/**
 * Copies between the four parameter-shaped state tensors of a device SAE ({@code encoder_rows}, {@code b_enc},
 * {@code decoder_rows}, {@code b_dec}, with an optional prefix such as {@code adam_m.} or {@code grad.}) and a
 * heap {@link ParameterTensors}: for export, loading a heap model, and tests. Models too large for the heap
 * go through {@link StateTensor} chunks instead.
 */
public final class ParameterCopies {
    private static final List<String> NAMES = List.of("encoder_rows", "b_enc", "decoder_rows", "b_dec");

    private ParameterCopies() {
    }

    /**
     * @param tensors state tensors (of a device SAE, or its probe's gradients)
     * @param prefix  name prefix: "" for the weights, {@code adam_m.}, {@code adam_v.}, {@code grad.}
     * @param dIn     input width
     * @param dSae    latents
     * @return the four tensors copied to the heap
     * @throws IllegalArgumentException if one of the four is missing
     */
    public static ParameterTensors read(List<StateTensor> tensors, String prefix, int dIn, int dSae) {
        ParameterTensors t = ParameterTensors.zeros(dIn, dSae);
        float[][] arrays = {t.wEnc(), t.bEnc(), t.wDec(), t.bDec()};
        for (int i = 0; i < 4; i++) {
            find(tensors, prefix + NAMES.get(i)).read(0, FloatBuffer.wrap(arrays[i]));
        }
        return t;
    }

    /**
     * @param tensors state tensors of a device SAE
     * @param prefix  name prefix: "" for the weights, {@code adam_m.}, {@code adam_v.}
     * @param values  the values to write, of the SAE's shape
     * @throws IllegalArgumentException if one of the four is missing
     */
    public static void write(List<StateTensor> tensors, String prefix, ParameterTensors values) {
        float[][] arrays = {values.wEnc(), values.bEnc(), values.wDec(), values.bDec()};
        for (int i = 0; i < 4; i++) {
            find(tensors, prefix + NAMES.get(i)).write(0, FloatBuffer.wrap(arrays[i]));
        }
    }

    private static StateTensor find(List<StateTensor> tensors, String name) {
        for (StateTensor t : tensors) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("no state tensor '" + name + "' among "
                + tensors.stream().map(StateTensor::name).toList());
    }
}

package io.jsae.benchmarks;

import io.jsae.core.ParameterTensors;

import java.util.SplittableRandom;

/** The starting weights both sides of every CPU comparison here use, so that they compute the same codes. */
public final class InitialWeights {
    private InitialWeights() {
    }

    /**
     * A random decoder with unit rows (seed 1), the encoder rows equal to the decoder rows, zero biases.
     *
     * @param dIn  input width
     * @param dSae latents
     * @return the weights
     */
    public static ParameterTensors of(int dIn, int dSae) {
        ParameterTensors w = ParameterTensors.zeros(dIn, dSae);
        SplittableRandom rnd = new SplittableRandom(1);
        for (int j = 0; j < dSae; j++) {
            double n = 0;
            for (int d = 0; d < dIn; d++) {
                float v = (float) (rnd.nextDouble() - 0.5);
                w.wDec()[j * dIn + d] = v;
                n += v * v;
            }
            for (int d = 0; d < dIn; d++) {
                w.wDec()[j * dIn + d] /= (float) Math.sqrt(n);
            }
        }
        System.arraycopy(w.wDec(), 0, w.wEnc(), 0, w.wDec().length);
        return w;
    }
}

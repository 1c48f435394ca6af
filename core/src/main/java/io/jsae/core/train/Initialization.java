package io.jsae.core.train;

import io.jsae.core.ParameterTensors;
import io.jsae.core.SaeConfig;

import java.util.SplittableRandom;

/**
 * The design's initialization: decoder rows random unit vectors (seeded), {@code W_enc = W_decᵀ}, b_enc = 0,
 * b_dec the geometric median (or mean) of a sample of (normalized) inputs; and the input-normalization factor
 * {@code s = sqrt(dIn / mean‖x‖²)}.
 */
final class Initialization {
    private Initialization() {
    }

    /** @return s such that the sample's mean squared norm becomes dIn, or 1 when normalization is off */
    static double inputScale(SaeConfig config, float[][] sample) {
        if (!config.normalizeInput()) {
            return 1.0;
        }
        double sum = 0;
        for (float[] r : sample) {
            for (float v : r) {
                sum += v * (double) v;
            }
        }
        double meanSq = sum / sample.length;
        if (!(meanSq > 0)) {
            throw new IllegalArgumentException("cannot normalize inputs: the sample's mean squared norm is " + meanSq);
        }
        return Math.sqrt(config.dIn() / meanSq);
    }

    static ParameterTensors weights(SaeConfig config, float[][] scaledSample) {
        int dIn = config.dIn();
        int dSae = config.dSae();
        ParameterTensors w = ParameterTensors.zeros(dIn, dSae);
        SplittableRandom rnd = new SplittableRandom(config.seed());
        for (int j = 0; j < dSae; j++) {
            double norm = 0;
            for (int d = 0; d < dIn; d++) {
                double g = Math.sqrt(-2 * Math.log(1 - rnd.nextDouble())) * Math.cos(2 * Math.PI * rnd.nextDouble());
                w.wDec()[j * dIn + d] = (float) g;
                norm += g * g;
            }
            float inv = (float) (1 / Math.sqrt(norm));
            for (int d = 0; d < dIn; d++) {
                w.wDec()[j * dIn + d] *= inv;
            }
        }
        System.arraycopy(w.wDec(), 0, w.wEnc(), 0, w.wDec().length);
        double[] b = switch (config.bDecInit()) {
            case ZERO -> new double[dIn];
            case MEAN -> mean(scaledSample, dIn);
            case GEOMETRIC_MEDIAN -> geometricMedian(scaledSample, dIn);
        };
        for (int d = 0; d < dIn; d++) {
            w.bDec()[d] = (float) b[d];
        }
        return w;
    }

    static double[] mean(float[][] sample, int dIn) {
        double[] m = new double[dIn];
        for (float[] r : sample) {
            for (int d = 0; d < dIn; d++) {
                m[d] += r[d];
            }
        }
        for (int d = 0; d < dIn; d++) {
            m[d] /= sample.length;
        }
        return m;
    }

    /** Weiszfeld's iterations from the mean, until the move is below 1e-6 of the scale or 100 iterations. */
    static double[] geometricMedian(float[][] sample, int dIn) {
        double[] y = mean(sample, dIn);
        for (int it = 0; it < 100; it++) {
            double[] num = new double[dIn];
            double den = 0;
            for (float[] r : sample) {
                double dist = 0;
                for (int d = 0; d < dIn; d++) {
                    double e = r[d] - y[d];
                    dist += e * e;
                }
                dist = Math.max(Math.sqrt(dist), 1e-12);
                for (int d = 0; d < dIn; d++) {
                    num[d] += r[d] / dist;
                }
                den += 1 / dist;
            }
            double move = 0;
            double scale = 0;
            for (int d = 0; d < dIn; d++) {
                double next = num[d] / den;
                move += (next - y[d]) * (next - y[d]);
                scale += next * next;
                y[d] = next;
            }
            if (Math.sqrt(move) <= 1e-6 * Math.max(1, Math.sqrt(scale))) {
                break;
            }
        }
        return y;
    }
}

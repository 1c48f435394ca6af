package io.jsae.core.train;

import io.jsae.core.SaeConfig;
import io.jsae.core.backend.DeviceSae;
import io.jsae.core.backend.StateTensor;

import java.nio.FloatBuffer;
import java.util.SplittableRandom;

/**
 * The design's initialization, written straight into a device SAE's state tensors in chunks (no model-sized
 * heap copy): decoder rows random unit vectors (seeded), {@code W_enc = W_decᵀ}, b_enc = 0, b_dec the geometric
 * median (or mean) of a sample of (normalized) inputs; and the input-normalization factor
 * {@code s = sqrt(dIn / mean‖x‖²)}.
 */
final class Initialization {
    /** Decoder rows generated and written per chunk. */
    private static final int ROWS_PER_CHUNK = 256;

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

    /**
     * Writes the initial weights into a fresh device SAE (whose state is all zero: b_enc and the moments stay so).
     *
     * @param config       configuration (seed, b_dec rule)
     * @param scaledSample sample of inputs, already multiplied by the input scale
     * @param sae          the device SAE to fill
     */
    static void initialize(SaeConfig config, float[][] scaledSample, DeviceSae sae) {
        int dIn = config.dIn();
        int dSae = config.dSae();
        StateTensor enc = sae.stateTensor("encoder_rows");
        StateTensor dec = sae.stateTensor("decoder_rows");
        SplittableRandom rnd = new SplittableRandom(config.seed());
        float[] rows = new float[ROWS_PER_CHUNK * dIn];
        for (int j0 = 0; j0 < dSae; j0 += ROWS_PER_CHUNK) {
            int n = Math.min(ROWS_PER_CHUNK, dSae - j0);
            for (int r = 0; r < n; r++) {
                unitGaussianRow(rnd, rows, r * dIn, dIn);
            }
            long offset = (long) j0 * dIn;
            dec.write(offset, FloatBuffer.wrap(rows, 0, n * dIn));
            enc.write(offset, FloatBuffer.wrap(rows, 0, n * dIn));
        }
        double[] b = switch (config.bDecInit()) {
            case ZERO -> new double[dIn];
            case MEAN -> mean(scaledSample, dIn);
            case GEOMETRIC_MEDIAN -> geometricMedian(scaledSample, dIn);
        };
        float[] bDec = new float[dIn];
        for (int d = 0; d < dIn; d++) {
            bDec[d] = (float) b[d];
        }
        sae.stateTensor("b_dec").write(0, FloatBuffer.wrap(bDec));
    }

    /** Fills {@code out[at, at + dIn)} with a Gaussian vector scaled to unit norm (Box–Muller). */
    private static void unitGaussianRow(SplittableRandom rnd, float[] out, int at, int dIn) {
        double norm = 0;
        for (int d = 0; d < dIn; d++) {
            double g = Math.sqrt(-2 * Math.log(1 - rnd.nextDouble())) * Math.cos(2 * Math.PI * rnd.nextDouble());
            out[at + d] = (float) g;
            norm += g * g;
        }
        float inv = (float) (1 / Math.sqrt(norm));
        for (int d = 0; d < dIn; d++) {
            out[at + d] *= inv;
        }
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

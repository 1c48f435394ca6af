package io.jsae.core.data;

import java.nio.FloatBuffer;
import java.util.SplittableRandom;

/**
 * Activations built from known ground-truth features, the standard test of whether an SAE recovers real
 * features: {@code nFeatures} random unit directions in {@code dIn} dimensions; each token activates each
 * feature independently with probability {@code meanActive / nFeatures} with a coefficient drawn uniformly
 * from {@code [0.5, 1.5)}, and sums them (plus optional Gaussian noise).
 *
 * <p>Row r of epoch e is a pure function of (seed, e, r), so {@link #seek} is exact and free, and every
 * epoch holds different tokens from the same distribution.
 */
public final class SyntheticActivations implements ActivationSource {
    private final int dIn;
    private final int nFeatures;
    private final double activeProbability;
    private final double noise;
    private final long seed;
    private final long rowsPerEpoch;
    private final float[][] features;
    private long epoch;
    private long row;

    /**
     * @param dIn          width of a row
     * @param nFeatures    number of ground-truth features
     * @param meanActive   expected active features per token (at most nFeatures)
     * @param noise        standard deviation of added Gaussian noise per element (0 for none)
     * @param rowsPerEpoch tokens per epoch
     * @param seed         seed of the features and the tokens
     */
    public SyntheticActivations(int dIn, int nFeatures, double meanActive, double noise, long rowsPerEpoch, long seed) {
        if (dIn < 1) {
            throw new IllegalArgumentException("dIn must be >= 1, was " + dIn);
        }
        if (nFeatures < 1) {
            throw new IllegalArgumentException("nFeatures must be >= 1, was " + nFeatures);
        }
        if (!(meanActive > 0 && meanActive <= nFeatures)) {
            throw new IllegalArgumentException("meanActive must be in (0, nFeatures], was " + meanActive);
        }
        if (!(noise >= 0) || !Double.isFinite(noise)) {
            throw new IllegalArgumentException("noise must be finite and >= 0, was " + noise);
        }
        if (rowsPerEpoch < 1) {
            throw new IllegalArgumentException("rowsPerEpoch must be >= 1, was " + rowsPerEpoch);
        }
        this.dIn = dIn;
        this.nFeatures = nFeatures;
        this.activeProbability = meanActive / nFeatures;
        this.noise = noise;
        this.seed = seed;
        this.rowsPerEpoch = rowsPerEpoch;
        this.features = new float[nFeatures][dIn];
        SplittableRandom rnd = new SplittableRandom(seed);
        for (float[] f : features) {
            double norm = 0;
            for (int d = 0; d < dIn; d++) {
                f[d] = (float) gaussian(rnd);
                norm += f[d] * f[d];
            }
            for (int d = 0; d < dIn; d++) {
                f[d] /= (float) Math.sqrt(norm);
            }
        }
    }

    /** @return the ground-truth unit feature directions (copies), {@code [nFeatures][dIn]} */
    public float[][] trueFeatures() {
        float[][] out = new float[nFeatures][];
        for (int i = 0; i < nFeatures; i++) {
            out[i] = features[i].clone();
        }
        return out;
    }

    @Override
    public int dIn() {
        return dIn;
    }

    @Override
    public long rowsPerEpoch() {
        return rowsPerEpoch;
    }

    @Override
    public int read(FloatBuffer dst, int maxRows) {
        if (maxRows < 1) {
            throw new IllegalArgumentException("maxRows must be >= 1, was " + maxRows);
        }
        int rows = (int) Math.min(maxRows, rowsPerEpoch - row);
        if (dst.remaining() < (long) rows * dIn) {
            throw new IllegalArgumentException("buffer has room for " + dst.remaining() + " floats, " + rows
                    + " rows need " + (long) rows * dIn);
        }
        float[] out = new float[dIn];
        for (int r = 0; r < rows; r++) {
            generate(epoch, row + r, out);
            dst.put(out);
        }
        row += rows;
        return rows;
    }

    private void generate(long e, long r, float[] out) {
        SplittableRandom rnd = new SplittableRandom(mix(seed, e, r));
        java.util.Arrays.fill(out, 0f);
        for (float[] f : features) {
            if (rnd.nextDouble() < activeProbability) {
                float c = (float) (0.5 + rnd.nextDouble());
                for (int d = 0; d < dIn; d++) {
                    out[d] += c * f[d];
                }
            }
        }
        if (noise > 0) {
            for (int d = 0; d < dIn; d++) {
                out[d] += (float) (noise * gaussian(rnd));
            }
        }
    }

    private static long mix(long seed, long epoch, long row) {
        long h = seed * 0x9E3779B97F4A7C15L + epoch;
        h = (h ^ (h >>> 31)) * 0xBF58476D1CE4E5B9L + row;
        h = (h ^ (h >>> 29)) * 0x94D049BB133111EBL;
        return h ^ (h >>> 32);
    }

    private static double gaussian(SplittableRandom rnd) {
        return Math.sqrt(-2 * Math.log(1 - rnd.nextDouble())) * Math.cos(2 * Math.PI * rnd.nextDouble());
    }

    @Override
    public SourcePosition position() {
        return new SourcePosition(epoch, row);
    }

    @Override
    public void seek(SourcePosition position) {
        if (position.row() > rowsPerEpoch) {
            throw new IllegalArgumentException("row " + position.row() + " is past the epoch's " + rowsPerEpoch + " rows");
        }
        epoch = position.epoch();
        row = position.row();
    }

    @Override
    public void close() {
        // nothing held
    }
}

package io.jsae.core.data;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Activations built from known ground-truth features, the standard test of whether an SAE recovers real
 * features: {@code nFeatures} random unit directions in {@code dIn} dimensions; each token activates each
 * feature independently with probability {@code meanActive / nFeatures} with a coefficient drawn uniformly
 * from {@code [0.5, 1.5)}, and sums them (plus optional Gaussian noise).
 *
 * <p>Row r of epoch e is a pure function of (seed, e, r), so {@link #seek} is exact and free, and every
 * epoch holds different tokens from the same distribution.
 *
 * <p>{@link #labeled} adds ground truth for span detection (the PII question: which latents fire on emails,
 * phone numbers, names): each row belongs to at most one {@link LabeledClass}, whose features fire only on
 * its rows, and {@link #label} gives a row's label (0 none, 1..C a class) with optional label noise. The
 * public constructor makes no classes and yields exactly the stream it always has.
 */
public final class SyntheticActivations implements ActivationSource {
    private final int dIn;
    private final int nFeatures;
    private final double activeProbability;
    private final double noise;
    private final long seed;
    private final long rowsPerEpoch;
    private final float[][] features;
    private final LabeledClass[] classes;
    private final boolean[] classFeature;
    private final double labelNoise;
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
        this(dIn, nFeatures, meanActive, noise, rowsPerEpoch, seed, List.of(), 0);
    }

    /**
     * Synthetic activations with labeled classes. A row is drawn as one of: a row of class c (probability
     * {@code rate}), a look-alike of class c (probability {@code lookAlikeRate}), or an unlabeled row (the
     * rest). A class row adds one of its class's features (chosen uniformly) with a coefficient in
     * {@code [0.5, 1.5)}; a look-alike row adds the same kind of feature plus the class's context feature, and
     * is labeled 0. Every row also draws the background features as the plain generator does, except that a
     * class's features never fire in the background (they fire only on the class's rows and look-alikes).
     * With probability {@code labelNoise} a row's label is then replaced by one drawn uniformly from
     * {@code 0..C}.
     *
     * @param dIn          width of a row
     * @param nFeatures    number of ground-truth features, class features included
     * @param meanActive   expected background features per token, as for the plain generator
     * @param noise        standard deviation of added Gaussian noise per element (0 for none)
     * @param rowsPerEpoch tokens per epoch
     * @param seed         seed of the features, the tokens and the labels
     * @param classes      the classes; class {@code i} of the list has label {@code i + 1}
     * @param labelNoise   probability in {@code [0, 1)} that a row's label is replaced by a random one
     * @return the generator; {@link #label} gives the labels
     */
    public static SyntheticActivations labeled(int dIn, int nFeatures, double meanActive, double noise,
                                               long rowsPerEpoch, long seed, List<LabeledClass> classes,
                                               double labelNoise) {
        if (classes.isEmpty()) {
            throw new IllegalArgumentException("classes is empty; use the constructor for unlabeled activations");
        }
        return new SyntheticActivations(dIn, nFeatures, meanActive, noise, rowsPerEpoch, seed, classes, labelNoise);
    }

    private SyntheticActivations(int dIn, int nFeatures, double meanActive, double noise, long rowsPerEpoch, long seed,
                                 List<LabeledClass> classes, double labelNoise) {
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
        if (!(labelNoise >= 0 && labelNoise < 1)) {
            throw new IllegalArgumentException("labelNoise must be in [0, 1), was " + labelNoise);
        }
        this.classes = classes.toArray(new LabeledClass[0]);
        this.classFeature = new boolean[nFeatures];
        this.labelNoise = labelNoise;
        double total = 0;
        for (LabeledClass c : this.classes) {
            total += c.rate() + c.lookAlikeRate();
            for (int f : c.features()) {
                if (f >= nFeatures || classFeature[f]) {
                    throw new IllegalArgumentException("class " + c.name() + " names feature " + f + ", which is "
                            + (f >= nFeatures ? "not below nFeatures=" + nFeatures : "another class's or its own twice"));
                }
                classFeature[f] = true;
            }
        }
        for (LabeledClass c : this.classes) {
            if (c.context() >= nFeatures || c.context() >= 0 && classFeature[c.context()]) {
                throw new IllegalArgumentException("class " + c.name() + " has context feature " + c.context()
                        + ", which must be below nFeatures=" + nFeatures + " and no class's feature");
            }
        }
        if (total > 1) {
            throw new IllegalArgumentException("the classes' rates and look-alike rates add up to " + total
                    + ", more than 1");
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

    /** @return the classes' names; name {@code i} is label {@code i + 1} (empty for unlabeled activations) */
    public List<String> classNames() {
        return Arrays.stream(classes).map(LabeledClass::name).toList();
    }

    /**
     * The label of a row: 0 for none, {@code i + 1} for the {@code i}-th class, after label noise.
     *
     * @param epoch the epoch
     * @param row   the row within it
     * @return the row's label (always 0 for unlabeled activations)
     */
    public int label(long epoch, long row) {
        return generate(epoch, row, null);
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

    /** Writes row r of epoch e to {@code out} (unless null) and returns its label. */
    private int generate(long e, long r, float[] out) {
        SplittableRandom rnd = new SplittableRandom(mix(seed, e, r));
        if (classes.length == 0) {
            if (out == null) {
                return 0;
            }
            // the plain generator's stream, draw for draw
            Arrays.fill(out, 0f);
            for (float[] f : features) {
                if (rnd.nextDouble() < activeProbability) {
                    addFeature(out, f, (float) (0.5 + rnd.nextDouble()));
                }
            }
            addNoise(out, rnd);
            return 0;
        }
        // The row's kind and label are drawn first, so that label() stops before the features.
        double u = rnd.nextDouble();
        int kind = -1;
        boolean lookAlike = false;
        double upTo = 0;
        for (int c = 0; c < classes.length && kind < 0; c++) {
            upTo += classes[c].rate();
            if (u < upTo) {
                kind = c;
            } else {
                upTo += classes[c].lookAlikeRate();
                if (u < upTo) {
                    kind = c;
                    lookAlike = true;
                }
            }
        }
        int label = kind >= 0 && !lookAlike ? kind + 1 : 0;
        if (labelNoise > 0 && rnd.nextDouble() < labelNoise) {
            label = rnd.nextInt(classes.length + 1);
        }
        if (out == null) {
            return label;
        }
        Arrays.fill(out, 0f);
        for (int j = 0; j < nFeatures; j++) {
            // every feature draws, so a row's background does not depend on which features belong to classes
            if (rnd.nextDouble() < activeProbability && !classFeature[j]) {
                addFeature(out, features[j], (float) (0.5 + rnd.nextDouble()));
            }
        }
        if (kind >= 0) {
            int[] own = classes[kind].features();
            addFeature(out, features[own[rnd.nextInt(own.length)]], (float) (0.5 + rnd.nextDouble()));
            if (lookAlike) {
                addFeature(out, features[classes[kind].context()], (float) (0.5 + rnd.nextDouble()));
            }
        }
        addNoise(out, rnd);
        return label;
    }

    private void addFeature(float[] out, float[] f, float c) {
        for (int d = 0; d < dIn; d++) {
            out[d] += c * f[d];
        }
    }

    private void addNoise(float[] out, SplittableRandom rnd) {
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

    /**
     * A labeled class of {@link #labeled} activations.
     *
     * @param name          the class's name, e.g. {@code "email"}
     * @param rate          probability in {@code [0, 1]} that a row belongs to the class
     * @param features      the class's ground-truth features (indices, at least one); a class row adds one of
     *                      them, chosen uniformly, so with two features each covers about half the rows
     * @param lookAlikeRate probability in {@code [0, 1]} that a row is an unlabeled look-alike: one of the
     *                      class's features plus {@code context}
     * @param context       the feature that marks a look-alike (a background feature), or -1 when
     *                      {@code lookAlikeRate} is 0
     */
    public record LabeledClass(String name, double rate, int[] features, double lookAlikeRate, int context) {
        /** Checks the fields; see the record's description. */
        public LabeledClass {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("a class needs a name");
            }
            if (!(rate >= 0 && rate <= 1) || !(lookAlikeRate >= 0 && lookAlikeRate <= 1)) {
                throw new IllegalArgumentException("class " + name + ": rate " + rate + " and lookAlikeRate "
                        + lookAlikeRate + " must be in [0, 1]");
            }
            if (features == null || features.length == 0 || Arrays.stream(features).anyMatch(f -> f < 0)) {
                throw new IllegalArgumentException("class " + name + " needs at least one feature index >= 0");
            }
            features = features.clone();
            if (lookAlikeRate > 0 ? context < 0 : context != -1) {
                throw new IllegalArgumentException("class " + name + ": context " + context
                        + " must be a feature index when lookAlikeRate > 0, and -1 otherwise");
            }
        }

        /** @return the class's features (a copy) */
        @Override
        public int[] features() {
            return features.clone();
        }
    }
}

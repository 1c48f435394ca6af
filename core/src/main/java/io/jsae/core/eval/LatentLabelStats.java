package io.jsae.core.eval;

import io.jsae.core.SparseCodes;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Per class and latent, how the latent's activation detects the class against the rest, accumulated in one
 * streaming pass with memory independent of the number of rows: for every latent and every label value
 * {@code 0..C}, a histogram of the latent's positive activations over fixed bins and their sum. Nothing is kept
 * per row.
 *
 * <p><b>Bins.</b> A positive activation {@code v} falls in bin {@code (e - MIN_EXPONENT) * 4 + m}, where
 * {@code e} is the binary exponent of {@code v} and {@code m} the top two bits of its float mantissa: four bins
 * per octave ({@code [1, 1.25), [1.25, 1.5), [1.5, 1.75), [1.75, 2)} times {@code 2^e}) over
 * {@value #OCTAVES} octaves from {@code 2^MIN_EXPONENT}; smaller activations join the first bin and larger
 * ones the last. Binning is monotone, so two activations in different bins are ordered as their bins are. A
 * latent that does not fire has activation 0: rows where it did not fire are counted as a point mass at 0
 * (rows of the label minus its firings), never as a bin.
 *
 * <p><b>AUROC and its error bound.</b> For class {@code c} and latent {@code j}, positives are rows labeled
 * {@code c} and negatives all other rows. The AUROC is the Mann-Whitney statistic computed from the zero mass
 * and the bins in order, with a positive and a negative in the same bin counted as a tie (one half). At zero
 * that is exact (the activations are equal); within a positive bin the true share of such a pair is anywhere
 * in {@code [0, 1]}, so the result differs from the exact AUROC by at most
 * {@code 0.5 * Σ_b pos_b * neg_b / (P * N)}, which {@link LatentScore#aurocErrorBound()} reports for each
 * score. Points of the ROC curve and the precision, recall and F1 at a bin's lower edge are exact, since a
 * threshold at a bin edge splits no bin.
 *
 * <p>Memory: {@code 4 * dSae * (C + 1) * BINS} bytes of counts plus {@code 8 * dSae * (C + 1)} of sums; a
 * 65,536-latent SAE with three classes takes 134 MB.
 */
public final class LatentLabelStats {

    /** Smallest binary exponent with bins of its own. */
    public static final int MIN_EXPONENT = -20;
    /** Octaves covered by bins. */
    public static final int OCTAVES = 32;
    /** Bins per octave, from the top two mantissa bits. */
    public static final int BINS_PER_OCTAVE = 4;
    /** Bins per (latent, label value). */
    public static final int BINS = OCTAVES * BINS_PER_OCTAVE;

    private static final int MANTISSA_SHIFT = 23 - 2;

    private final int dSae;
    private final int labelValues;
    private final int[] counts;
    private final double[] sums;
    private final long[] rowsPerLabel;
    private long rows;

    /**
     * @param dSae    latents of the SAE
     * @param classes classes C, labeled 1..C (0 is "none")
     * @throws IllegalArgumentException when the histograms would not fit one Java array
     */
    public LatentLabelStats(int dSae, int classes) {
        if (dSae < 1 || classes < 1) {
            throw new IllegalArgumentException("dSae and classes must be >= 1, were " + dSae + " and " + classes);
        }
        long cells = (long) dSae * (classes + 1) * BINS;
        if (cells > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException(dSae + " latents and " + classes + " classes need " + cells
                    + " histogram cells, more than one array holds; score fewer classes at a time");
        }
        this.dSae = dSae;
        this.labelValues = classes + 1;
        this.counts = new int[(int) cells];
        this.sums = new double[dSae * labelValues];
        this.rowsPerLabel = new long[labelValues];
    }

    /**
     * @param v a positive activation
     * @return its bin, in {@code [0, BINS)}
     */
    public static int bin(float v) {
        int bits = Float.floatToRawIntBits(v);
        int exponent = (bits >>> 23) - 127;
        if (exponent < MIN_EXPONENT) {
            return 0;
        }
        if (exponent >= MIN_EXPONENT + OCTAVES) {
            return BINS - 1;
        }
        return (exponent - MIN_EXPONENT) * BINS_PER_OCTAVE + ((bits >>> MANTISSA_SHIFT) & (BINS_PER_OCTAVE - 1));
    }

    /**
     * @param b a bin
     * @return the smallest activation of the bin; 0 for bin 0, which also holds every activation below
     *         {@code 2^MIN_EXPONENT}
     */
    public static double binLowerEdge(int b) {
        if (b <= 0) {
            return 0;
        }
        int octave = b / BINS_PER_OCTAVE;
        int step = b % BINS_PER_OCTAVE;
        return Math.scalb(1.0 + step / (double) BINS_PER_OCTAVE, MIN_EXPONENT + octave);
    }

    /**
     * Adds a batch of encoded rows.
     *
     * @param codes  the rows' codes (values of active latents are positive; others are ignored as not firing)
     * @param labels labels, row {@code r}'s at {@code labels[offset + r]}, each in {@code 0..C}
     * @param offset where the batch's labels start
     */
    public void add(SparseCodes codes, int[] labels, int offset) {
        int n = codes.rows();
        if (offset < 0 || offset + n > labels.length) {
            throw new IllegalArgumentException(n + " rows from label " + offset + " run past " + labels.length + " labels");
        }
        if (rows + n > Integer.MAX_VALUE) {
            throw new IllegalStateException("more than " + Integer.MAX_VALUE + " rows would overflow a bin's count");
        }
        int[] start = codes.rowStart();
        int[] idx = codes.indices();
        float[] val = codes.values();
        for (int r = 0; r < n; r++) {
            int y = labels[offset + r];
            if (y < 0 || y >= labelValues) {
                throw new IllegalArgumentException("label " + y + " of batch row " + r + " is not in 0.." + (labelValues - 1));
            }
            rowsPerLabel[y]++;
            for (int p = start[r]; p < start[r + 1]; p++) {
                float v = val[p];
                if (v > 0) {
                    int cell = idx[p] * labelValues + y;
                    counts[cell * BINS + bin(v)]++;
                    sums[cell] += v;
                }
            }
        }
        rows += n;
    }

    /** @return rows added */
    public long rows() {
        return rows;
    }

    /** @return latents */
    public int dSae() {
        return dSae;
    }

    /** @return classes C */
    public int classes() {
        return labelValues - 1;
    }

    /**
     * @param label a label value, 0..C
     * @return rows added with it
     */
    public long rowsWithLabel(int label) {
        return rowsPerLabel[label];
    }

    /** Positive and negative counts of one latent per bin, with the zero masses. */
    private record Split(long[] pos, long[] neg, long pos0, long neg0, long positives, long negatives,
                         double posSum, double negSum) {
    }

    private Split split(int c, int j) {
        checkClass(c);
        if (j < 0 || j >= dSae) {
            throw new IllegalArgumentException("latent " + j + " is not in 0.." + (dSae - 1));
        }
        long[] pos = new long[BINS];
        long[] neg = new long[BINS];
        long posFires = 0;
        long negFires = 0;
        double posSum = 0;
        double negSum = 0;
        for (int y = 0; y < labelValues; y++) {
            int cell = j * labelValues + y;
            long[] into = y == c ? pos : neg;
            long fires = 0;
            for (int b = 0; b < BINS; b++) {
                int k = counts[cell * BINS + b];
                into[b] += k;
                fires += k;
            }
            if (y == c) {
                posFires += fires;
                posSum += sums[cell];
            } else {
                negFires += fires;
                negSum += sums[cell];
            }
        }
        long positives = rowsPerLabel[c];
        long negatives = rows - positives;
        return new Split(pos, neg, positives - posFires, negatives - negFires, positives, negatives, posSum, negSum);
    }

    private void checkClass(int c) {
        if (c < 1 || c >= labelValues) {
            throw new IllegalArgumentException("class " + c + " is not in 1.." + (labelValues - 1));
        }
    }

    /**
     * Everything about latent {@code j} as a detector of class {@code c}; the threshold is the bin edge of best
     * F1 (a row is predicted positive when the latent fires with at least that activation).
     *
     * @param c a class, 1..C
     * @param j a latent
     * @return its score
     */
    public LatentScore score(int c, int j) {
        Split s = split(c, j);
        double pairs = 0.5 * s.pos0 * (double) s.neg0;
        double tied = 0;
        long negBelow = s.neg0;
        for (int b = 0; b < BINS; b++) {
            pairs += s.pos[b] * (double) negBelow + 0.5 * s.pos[b] * (double) s.neg[b];
            tied += s.pos[b] * (double) s.neg[b];
            negBelow += s.neg[b];
        }
        double pn = (double) s.positives * s.negatives;
        double auroc = pn == 0 ? Double.NaN : pairs / pn;
        double bound = pn == 0 ? Double.NaN : 0.5 * tied / pn;
        // best F1 over thresholds at bin lower edges, from the top bin down
        long tp = 0;
        long fp = 0;
        long bestTp = 0;
        long bestFp = 0;
        double bestF1 = 0;
        int bestBin = -1;
        for (int b = BINS - 1; b >= 0; b--) {
            tp += s.pos[b];
            fp += s.neg[b];
            double f1 = tp == 0 ? 0 : 2.0 * tp / (2.0 * tp + fp + (s.positives - tp));
            if (f1 > bestF1) {
                bestF1 = f1;
                bestTp = tp;
                bestFp = fp;
                bestBin = b;
            }
        }
        DetectionScore best = bestBin < 0
                ? new DetectionScore(Double.POSITIVE_INFINITY, 0, 0, s.positives, s.negatives, auroc)
                : new DetectionScore(binLowerEdge(bestBin), bestTp, bestFp, s.positives - bestTp,
                        s.negatives - bestFp, auroc);
        return new LatentScore(c, j, s.positives, s.negatives, rate(s.positives - s.pos0, s.positives),
                rate(s.negatives - s.neg0, s.negatives), s.positives == 0 ? 0 : s.posSum / s.positives,
                s.negatives == 0 ? 0 : s.negSum / s.negatives, auroc, bound, best);
    }

    private static double rate(long part, long of) {
        return of == 0 ? 0 : part / (double) of;
    }

    /**
     * The ROC curve of latent {@code j} for class {@code c} at the bins' lower edges, from threshold "above
     * every activation" (0, 0) through "fires at all" to "every row" (1, 1); the last segment crosses the zero
     * mass as a straight line (ties). Bins where nothing fired add no point.
     *
     * @param c a class, 1..C
     * @param j a latent
     * @return false-positive rates and true-positive rates, aligned, both rising
     */
    public RocCurve roc(int c, int j) {
        Split s = split(c, j);
        List<double[]> points = new ArrayList<>();
        points.add(new double[] {0, 0});
        long tp = 0;
        long fp = 0;
        for (int b = BINS - 1; b >= 0; b--) {
            if (s.pos[b] == 0 && s.neg[b] == 0) {
                continue;
            }
            tp += s.pos[b];
            fp += s.neg[b];
            points.add(new double[] {rate(fp, s.negatives), rate(tp, s.positives)});
        }
        if (s.pos0 + s.neg0 > 0) {
            points.add(new double[] {1, 1});
        }
        double[] fpr = new double[points.size()];
        double[] tpr = new double[points.size()];
        for (int i = 0; i < fpr.length; i++) {
            fpr[i] = points.get(i)[0];
            tpr[i] = points.get(i)[1];
        }
        return new RocCurve(fpr, tpr);
    }

    /**
     * The latents of highest AUROC for class {@code c} (ties broken by the higher F1, then the lower index).
     *
     * @param c a class, 1..C
     * @param n how many
     * @return up to {@code n} scores, best first
     */
    public List<LatentScore> top(int c, int n) {
        checkClass(c);
        Integer[] order = new Integer[dSae];
        double[] auroc = new double[dSae];
        for (int j = 0; j < dSae; j++) {
            order[j] = j;
            auroc[j] = aurocOnly(c, j);
        }
        // a wide shortlist by AUROC, then the full scores decide among near-ties
        Arrays.sort(order, Comparator.comparingDouble((Integer j) -> -nanLast(auroc[j])).thenComparingInt(j -> j));
        List<LatentScore> shortlist = new ArrayList<>();
        for (int i = 0; i < Math.min(dSae, Math.max(n, 1) * 4); i++) {
            shortlist.add(score(c, order[i]));
        }
        shortlist.sort(Comparator.comparingDouble((LatentScore s) -> -nanLast(s.auroc()))
                .thenComparingDouble(s -> -s.best().f1()).thenComparingInt(LatentScore::latent));
        return List.copyOf(shortlist.subList(0, Math.min(n, shortlist.size())));
    }

    private static double nanLast(double v) {
        return Double.isNaN(v) ? Double.NEGATIVE_INFINITY : v;
    }

    private double aurocOnly(int c, int j) {
        long positives = rowsPerLabel[c];
        long negatives = rows - positives;
        if (positives == 0 || negatives == 0) {
            return Double.NaN;
        }
        double pairs = 0;
        long posFires = 0;
        long negFires = 0;
        long[] neg = new long[BINS];
        long[] pos = new long[BINS];
        for (int y = 0; y < labelValues; y++) {
            int base = (j * labelValues + y) * BINS;
            long[] into = y == c ? pos : neg;
            for (int b = 0; b < BINS; b++) {
                into[b] += counts[base + b];
            }
        }
        for (int b = 0; b < BINS; b++) {
            posFires += pos[b];
            negFires += neg[b];
        }
        long pos0 = positives - posFires;
        long negBelow = negatives - negFires;
        pairs += 0.5 * pos0 * (double) negBelow;
        for (int b = 0; b < BINS; b++) {
            pairs += pos[b] * (double) negBelow + 0.5 * pos[b] * (double) neg[b];
            negBelow += neg[b];
        }
        return pairs / ((double) positives * negatives);
    }
}

package io.jsae.core.eval;

import io.jsae.core.SparseCodes;

import java.util.ArrayList;
import java.util.List;

/**
 * Which latents of an SAE detect labeled spans (the PII question: emails, phone numbers, names), and how well.
 * Feed it the codes of every row once, in row order ({@link #add}); {@link #finish} reports per class:
 *
 * <ul>
 *   <li>the top latents by AUROC over all rows, with firing rates, mean activations, the best-F1 threshold and
 *       ROC curves, from the streaming {@link LatentLabelStats} (nothing kept per row);</li>
 *   <li>two detectors fitted on a training sample and scored on a held-out sample: the best single latent
 *       (highest F1 on the training sample, at its best-F1 threshold there) and a {@link SparseLogisticProbe}
 *       over all latents (its threshold also the training sample's best-F1 one). Both are scored on the same
 *       held-out rows: precision, recall, F1 at the chosen threshold, and the exact AUROC.</li>
 * </ul>
 *
 * <p><b>Splits.</b> Rows are grouped in blocks of {@link Settings#splitBlockRows()} consecutive rows, and a
 * block is held out when a hash of (seed, block) falls below {@link Settings#heldOutFraction()}: neighbouring
 * tokens of one document land on the same side, and no range of the data is wholly on one side. Each split is
 * sampled (a hash of (seed, row)) down to about {@link Settings#probeRows()} rows, whose codes are kept for the
 * detectors; that sample is the only per-row storage.
 */
public final class LatentLabelAnalysis {

    /**
     * @param heldOutFraction fraction of blocks held out, in (0, 1)
     * @param splitBlockRows  rows per split block, at least 1
     * @param seed            seed of the split and the sampling
     * @param probeRows       most rows kept per split for the detectors, at least 1
     * @param l1              the probe's L1 weight λ, at least 0
     * @param probeIterations the probe solver's step limit, at least 1
     * @param topLatents      latents listed per class, at least 1
     */
    public record Settings(double heldOutFraction, int splitBlockRows, long seed, int probeRows, double l1,
                           int probeIterations, int topLatents) {
        /** Checks the ranges. */
        public Settings {
            if (!(heldOutFraction > 0 && heldOutFraction < 1)) {
                throw new IllegalArgumentException("heldOutFraction must be in (0, 1), was " + heldOutFraction);
            }
            if (splitBlockRows < 1 || probeRows < 1 || probeIterations < 1 || topLatents < 1) {
                throw new IllegalArgumentException("splitBlockRows, probeRows, probeIterations and topLatents must be"
                        + " >= 1, were " + splitBlockRows + ", " + probeRows + ", " + probeIterations + ", " + topLatents);
            }
            if (!(l1 >= 0) || Double.isInfinite(l1)) {
                throw new IllegalArgumentException("l1 must be finite and >= 0, was " + l1);
            }
        }

        /** @return the defaults: 20% held out in blocks of 256 rows, 100,000 rows per split, λ 1e-4, 2,000 steps, top 10 */
        public static Settings defaults() {
            return new Settings(0.2, 256, 1, 100_000, 1e-4, 2000, 10);
        }
    }

    /**
     * A detector of one class, fitted on the training sample and scored on the held-out sample.
     *
     * @param kind      {@code "single latent"} or {@code "probe"}
     * @param latents   the latents it reads (one for a single latent; the probe's non-zero weights)
     * @param weights   their weights (1 for a single latent, whose score is its activation)
     * @param bias      the probe's bias (0 for a single latent)
     * @param train     the score on the training sample at the chosen threshold (its best-F1 one)
     * @param heldOut   the score on the held-out sample at the same threshold
     */
    public record Detector(String kind, int[] latents, double[] weights, double bias, DetectionScore train,
                           DetectionScore heldOut) {
    }

    /**
     * The findings for one class.
     *
     * @param label        the class's label, 1..C
     * @param name         its name
     * @param positives    rows labeled with it
     * @param topLatents   latents of highest AUROC over all rows, best first
     * @param rocCurves    their ROC curves, aligned with {@code topLatents}
     * @param singleLatent the best single latent as a detector
     * @param probe        the sparse logistic probe as a detector
     */
    public record ClassResult(int label, String name, long positives, List<LatentScore> topLatents,
                              List<RocCurve> rocCurves, Detector singleLatent, Detector probe) {
    }

    /**
     * @param rows            rows analysed
     * @param trainRows       rows in the training sample
     * @param heldOutRows     rows in the held-out sample
     * @param settings        the settings used
     * @param classes         per class, in label order
     */
    public record Result(long rows, int trainRows, int heldOutRows, Settings settings, List<ClassResult> classes) {
    }

    private final List<String> classNames;
    private final Settings settings;
    private final LatentLabelStats stats;
    private final LabeledCodes train;
    private final LabeledCodes heldOut;
    private final double trainKeep;
    private final double heldOutKeep;
    private long nextRow;

    /**
     * @param dSae       latents of the SAE
     * @param classNames the classes' names; name {@code i} is label {@code i + 1}
     * @param totalRows  rows that will be added (sets the sampling rate of each split)
     * @param settings   splits, sample size, probe and listing settings
     */
    public LatentLabelAnalysis(int dSae, List<String> classNames, long totalRows, Settings settings) {
        if (classNames.isEmpty()) {
            throw new IllegalArgumentException("no classes to analyse");
        }
        this.classNames = List.copyOf(classNames);
        this.settings = settings;
        this.stats = new LatentLabelStats(dSae, classNames.size());
        this.train = new LabeledCodes(dSae);
        this.heldOut = new LabeledCodes(dSae);
        double expectedHeldOut = Math.max(1, totalRows * settings.heldOutFraction());
        double expectedTrain = Math.max(1, totalRows - expectedHeldOut);
        this.trainKeep = Math.min(1, settings.probeRows() / expectedTrain);
        this.heldOutKeep = Math.min(1, settings.probeRows() / expectedHeldOut);
    }

    /**
     * Whether a row is in the held-out split.
     *
     * @param row      the row's index in the data
     * @param settings the split's settings
     * @return true when held out
     */
    public static boolean heldOut(long row, Settings settings) {
        return uniform(settings.seed(), row / settings.splitBlockRows()) < settings.heldOutFraction();
    }

    /**
     * Adds the next rows, in order.
     *
     * @param codes  their codes
     * @param labels labels, row {@code r}'s at {@code labels[offset + r]}
     * @param offset where the batch's labels start
     */
    public void add(SparseCodes codes, int[] labels, int offset) {
        stats.add(codes, labels, offset);
        int[] start = codes.rowStart();
        for (int r = 0; r < codes.rows(); r++) {
            long row = nextRow + r;
            boolean held = heldOut(row, settings);
            LabeledCodes into = held ? heldOut : train;
            double keep = held ? heldOutKeep : trainKeep;
            if (into.rows() < settings.probeRows() && (keep >= 1 || uniform(~settings.seed(), row) < keep)) {
                into.add(codes.indices(), codes.values(), start[r], start[r + 1], labels[offset + r]);
            }
        }
        nextRow += codes.rows();
    }

    /** @return the streaming statistics so far */
    public LatentLabelStats stats() {
        return stats;
    }

    /**
     * Scores the latents and fits and scores the detectors.
     *
     * @return the findings per class
     * @throws IllegalStateException when either sample is empty (too few rows for the split)
     */
    public Result finish() {
        if (train.rows() == 0 || heldOut.rows() == 0) {
            throw new IllegalStateException("the training sample has " + train.rows() + " rows and the held-out"
                    + " sample " + heldOut.rows() + "; both need rows: add more data or use smaller split blocks");
        }
        List<ClassResult> out = new ArrayList<>();
        for (int c = 1; c <= classNames.size(); c++) {
            List<LatentScore> top = stats.top(c, settings.topLatents());
            List<RocCurve> rocs = new ArrayList<>();
            for (LatentScore s : top) {
                rocs.add(stats.roc(c, s.latent()));
            }
            out.add(new ClassResult(c, classNames.get(c - 1), stats.rowsWithLabel(c), top, rocs, singleLatent(c),
                    probe(c)));
        }
        return new Result(stats.rows(), train.rows(), heldOut.rows(), settings, out);
    }

    /** The latent of best training F1 (ties: higher AUROC, then lower index), scored on the held-out rows. */
    private Detector singleLatent(int c) {
        int dSae = train.dSae();
        // the training sample by latent: each latent's activations and whether their rows are positives
        int[] count = new int[dSae + 1];
        int entries = train.end(train.rows() - 1);
        for (int p = 0; p < entries; p++) {
            count[train.indices()[p] + 1]++;
        }
        for (int j = 0; j < dSae; j++) {
            count[j + 1] += count[j];
        }
        double[] acts = new double[entries];
        boolean[] positive = new boolean[entries];
        int[] fill = count.clone();
        long positives = 0;
        for (int r = 0; r < train.rows(); r++) {
            boolean pos = train.label(r) == c;
            positives += pos ? 1 : 0;
            for (int p = train.start(r); p < train.end(r); p++) {
                int at = fill[train.indices()[p]]++;
                acts[at] = train.values()[p];
                positive[at] = pos;
            }
        }
        long negatives = train.rows() - positives;
        int best = -1;
        DetectionScore bestScore = null;
        for (int j = 0; j < dSae; j++) {
            if (count[j + 1] == count[j]) {
                continue;
            }
            double[] a = java.util.Arrays.copyOfRange(acts, count[j], count[j + 1]);
            boolean[] p = java.util.Arrays.copyOfRange(positive, count[j], count[j + 1]);
            long firedPositives = 0;
            for (boolean b : p) {
                firedPositives += b ? 1 : 0;
            }
            DetectionScore s = ExactScores.bestF1(a, p, positives - firedPositives,
                    negatives - (p.length - firedPositives));
            if (bestScore == null || s.f1() > bestScore.f1()
                    || s.f1() == bestScore.f1() && s.auroc() > bestScore.auroc()) {
                best = j;
                bestScore = s;
            }
        }
        if (best < 0) {
            // nothing fired in the training sample: latent 0 at a threshold above every activation
            DetectionScore none = new DetectionScore(Double.POSITIVE_INFINITY, 0, 0, positives, negatives, Double.NaN);
            return new Detector("single latent", new int[] {0}, new double[] {1}, 0, none,
                    ExactScores.at(activations(heldOut, 0), heldOut.isLabel(c), Double.POSITIVE_INFINITY));
        }
        return new Detector("single latent", new int[] {best}, new double[] {1}, 0, bestScore,
                ExactScores.at(activations(heldOut, best), heldOut.isLabel(c), bestScore.threshold()));
    }

    private static double[] activations(LabeledCodes rows, int latent) {
        double[] a = new double[rows.rows()];
        for (int r = 0; r < a.length; r++) {
            a[r] = rows.activation(r, latent);
        }
        return a;
    }

    private Detector probe(int c) {
        SparseLogisticProbe.Fit fit = SparseLogisticProbe.fit(train, c, settings.l1(), settings.probeIterations());
        DetectionScore onTrain = ExactScores.bestF1(fit.logits(train), train.isLabel(c));
        DetectionScore onHeldOut = ExactScores.at(fit.logits(heldOut), heldOut.isLabel(c), onTrain.threshold());
        return new Detector("probe", fit.latents(), fit.weights(), fit.bias(), onTrain, onHeldOut);
    }

    /** A hash of (seed, key) as a uniform number in [0, 1). */
    private static double uniform(long seed, long key) {
        long h = seed * 0x9E3779B97F4A7C15L + key;
        h = (h ^ (h >>> 30)) * 0xBF58476D1CE4E5B9L;
        h = (h ^ (h >>> 27)) * 0x94D049BB133111EBL;
        h ^= h >>> 31;
        return (h >>> 11) * 0x1.0p-53;
    }
}

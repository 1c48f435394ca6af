package io.jsae.core.eval;

import java.util.Arrays;

/**
 * Exact, sort-based detection metrics for scores held in memory: the AUROC as the Mann-Whitney statistic
 * (ties between a positive and a negative count one half), the threshold of best F1, and the confusion at a
 * threshold. It is the reference the streaming {@link LatentLabelStats} is tested against, and it scores the
 * detectors on the held-out rows.
 */
public final class ExactScores {

    private ExactScores() {
    }

    /**
     * @param scores   one score per row
     * @param positive whether each row is a positive
     * @return P(score of a random positive > score of a random negative) + P(equal) / 2; NaN when there are no
     *         positives or no negatives
     */
    public static double auroc(double[] scores, boolean[] positive) {
        return auroc(groups(scores, positive, 0, 0));
    }

    /**
     * The threshold of highest F1 among the rows' own scores (predict positive when score >= threshold), with
     * the confusion there and the scores' AUROC.
     *
     * @param scores   one score per row
     * @param positive whether each row is a positive
     * @return the best threshold's score; with no positives, a threshold above every score
     */
    public static DetectionScore bestF1(double[] scores, boolean[] positive) {
        return bestF1(scores, positive, 0, 0);
    }

    /**
     * As {@link #bestF1(double[], boolean[])} for sparse scores: the listed rows plus {@code zeroPositives}
     * positives and {@code zeroNegatives} negatives that are not listed and score 0 (a latent's rows where it
     * does not fire).
     *
     * @param scores        scores of the listed rows
     * @param positive      whether each listed row is a positive
     * @param zeroPositives unlisted positives, score 0
     * @param zeroNegatives unlisted negatives, score 0
     * @return the best threshold's score over all rows; the threshold is above 0 when there are unlisted zeros
     */
    public static DetectionScore bestF1(double[] scores, boolean[] positive, long zeroPositives, long zeroNegatives) {
        double[][] g = groups(scores, positive, zeroPositives, zeroNegatives);
        double auroc = auroc(g);
        long positives = 0;
        long negatives = 0;
        for (int i = 0; i < g[0].length; i++) {
            positives += (long) g[1][i];
            negatives += (long) g[2][i];
        }
        long tp = 0;
        long fp = 0;
        long bestTp = 0;
        long bestFp = 0;
        double bestF1 = 0;
        double bestThreshold = Double.POSITIVE_INFINITY;
        // from the highest score down: after each group of equal scores, everything at or above it is positive.
        // With unlisted zeros (a latent's rows where it does not fire) the threshold stays above 0: a threshold
        // at 0 would call every row positive, fired or not, which detects nothing.
        boolean sparse = zeroPositives + zeroNegatives > 0;
        for (int i = g[0].length - 1; i >= 0 && !(sparse && g[0][i] <= 0); i--) {
            tp += (long) g[1][i];
            fp += (long) g[2][i];
            double f1 = tp == 0 ? 0 : 2.0 * tp / (2.0 * tp + fp + (positives - tp));
            if (f1 > bestF1) {
                bestF1 = f1;
                bestTp = tp;
                bestFp = fp;
                bestThreshold = g[0][i];
            }
        }
        return new DetectionScore(bestThreshold, bestTp, bestFp, positives - bestTp, negatives - bestFp, auroc);
    }

    /** AUROC from ascending groups of equal scores. */
    private static double auroc(double[][] g) {
        double pairs = 0;
        double negativesBelow = 0;
        double positives = 0;
        for (int i = 0; i < g[0].length; i++) {
            pairs += g[1][i] * negativesBelow + 0.5 * g[1][i] * g[2][i];
            negativesBelow += g[2][i];
            positives += g[1][i];
        }
        return positives == 0 || negativesBelow == 0 ? Double.NaN : pairs / (positives * negativesBelow);
    }

    /**
     * The distinct scores ascending, with the positives and negatives at each: {@code {score[], pos[], neg[]}};
     * the unlisted zeros join the group at 0 (made if absent).
     */
    private static double[][] groups(double[] scores, boolean[] positive, long zeroPositives, long zeroNegatives) {
        checkLengths(scores, positive);
        int[] order = sortedOrder(scores);
        int n = order.length;
        double[] score = new double[n + 1];
        double[] pos = new double[n + 1];
        double[] neg = new double[n + 1];
        int k = 0;
        boolean zerosPlaced = zeroPositives + zeroNegatives == 0;
        for (int i = 0; i < n; ) {
            double s = scores[order[i]];
            if (!zerosPlaced && s > 0) {
                score[k] = 0;
                pos[k] = zeroPositives;
                neg[k] = zeroNegatives;
                k++;
                zerosPlaced = true;
            }
            score[k] = s;
            while (i < n && scores[order[i]] == s) {
                if (positive[order[i]]) {
                    pos[k]++;
                } else {
                    neg[k]++;
                }
                i++;
            }
            if (!zerosPlaced && s == 0) {
                pos[k] += zeroPositives;
                neg[k] += zeroNegatives;
                zerosPlaced = true;
            }
            k++;
        }
        if (!zerosPlaced) {
            score[k] = 0;
            pos[k] = zeroPositives;
            neg[k] = zeroNegatives;
            k++;
        }
        return new double[][] {Arrays.copyOf(score, k), Arrays.copyOf(pos, k), Arrays.copyOf(neg, k)};
    }

    /**
     * @param scores    one score per row
     * @param positive  whether each row is a positive
     * @param threshold predict positive when score >= threshold
     * @return the confusion at the threshold and the scores' AUROC
     */
    public static DetectionScore at(double[] scores, boolean[] positive, double threshold) {
        checkLengths(scores, positive);
        long tp = 0;
        long fp = 0;
        long fn = 0;
        long tn = 0;
        for (int i = 0; i < scores.length; i++) {
            boolean predicted = scores[i] >= threshold;
            if (positive[i]) {
                if (predicted) {
                    tp++;
                } else {
                    fn++;
                }
            } else if (predicted) {
                fp++;
            } else {
                tn++;
            }
        }
        return new DetectionScore(threshold, tp, fp, fn, tn, auroc(scores, positive));
    }

    private static void checkLengths(double[] scores, boolean[] positive) {
        if (scores.length != positive.length) {
            throw new IllegalArgumentException(scores.length + " scores but " + positive.length + " labels");
        }
        for (int i = 0; i < scores.length; i++) {
            if (Double.isNaN(scores[i])) {
                throw new IllegalArgumentException("score " + i + " is NaN");
            }
        }
    }

    private static int[] sortedOrder(double[] scores) {
        return java.util.stream.IntStream.range(0, scores.length).boxed()
                .sorted((a, b) -> Double.compare(scores[a], scores[b])).mapToInt(Integer::intValue).toArray();
    }
}

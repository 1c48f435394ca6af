package io.jsae.core.eval;

/**
 * How well a score detects one class against the rest on a set of rows: the confusion counts at a threshold
 * and the AUROC of the score.
 *
 * @param threshold      a row is predicted positive when its score is at least this (and, for a latent's
 *                       activation, the latent fires); see where the score was made
 * @param truePositives  positives predicted positive
 * @param falsePositives negatives predicted positive
 * @param falseNegatives positives predicted negative
 * @param trueNegatives  negatives predicted negative
 * @param auroc          area under the ROC curve of the score, in [0, 1] (NaN without positives or negatives)
 */
public record DetectionScore(double threshold, long truePositives, long falsePositives, long falseNegatives,
                             long trueNegatives, double auroc) {

    /** @return TP / (TP + FP), 0 when nothing is predicted positive */
    public double precision() {
        long predicted = truePositives + falsePositives;
        return predicted == 0 ? 0 : truePositives / (double) predicted;
    }

    /** @return TP / (TP + FN), 0 without positives */
    public double recall() {
        long positives = truePositives + falseNegatives;
        return positives == 0 ? 0 : truePositives / (double) positives;
    }

    /** @return the harmonic mean of precision and recall, 2 TP / (2 TP + FP + FN); 0 when TP is 0 */
    public double f1() {
        return truePositives == 0 ? 0 : 2.0 * truePositives / (2.0 * truePositives + falsePositives + falseNegatives);
    }

    /** @return positives among the rows */
    public long positives() {
        return truePositives + falseNegatives;
    }

    /** @return negatives among the rows */
    public long negatives() {
        return falsePositives + trueNegatives;
    }
}

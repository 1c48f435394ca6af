package io.jsae.core.eval;

/**
 * One latent as a detector of one class against the rest, from {@link LatentLabelStats}.
 *
 * @param classLabel             the class, 1..C
 * @param latent                 the latent
 * @param positives              rows of the class
 * @param negatives              all other rows
 * @param firingRatePositive     fraction of positives on which the latent fires
 * @param firingRateNegative     fraction of negatives on which the latent fires
 * @param meanActivationPositive mean activation over the positives (0 where it does not fire)
 * @param meanActivationNegative mean activation over the negatives (0 where it does not fire)
 * @param auroc                  AUROC of the activation as a score (histogram-based, see {@link LatentLabelStats})
 * @param aurocErrorBound        the exact AUROC lies within this of {@code auroc}
 * @param best                   precision, recall and F1 at the bin edge of best F1 (its threshold)
 */
public record LatentScore(int classLabel, int latent, long positives, long negatives, double firingRatePositive,
                          double firingRateNegative, double meanActivationPositive, double meanActivationNegative,
                          double auroc, double aurocErrorBound, DetectionScore best) {
}

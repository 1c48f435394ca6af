package io.jsae.core.backend;

/**
 * Scalars of one training or evaluation batch (names as SAELens users know them). A backend returns only
 * these per step; nothing model-sized comes back.
 *
 * @param rows            tokens in the batch
 * @param loss            total loss (mse + aux + l1)
 * @param mse             mean over rows of the squared reconstruction error, summed over dIn
 * @param auxLoss         AuxK loss (0 when no latent is dead or AuxK is off)
 * @param l1Loss          L1 penalty (relu only)
 * @param l0              mean number of latents with z > 0 per row
 * @param sse             sum of squared reconstruction errors
 * @param totalVariance   sum over the batch of ‖x - mean_batch(x)‖²
 * @param deadLatents     latents dead after this step (counters ≥ deadTokens; 0 for evaluation)
 * @param minPositiveKept smallest z > 0 kept in the batch (what the batchtopk threshold tracks); +Inf when none
 * @param nonFiniteRow    first row holding NaN or Inf after scaling, -1 when none; when ≥ 0 the backend
 *                        changed nothing of the model and the other fields are meaningless
 */
public record StepMetrics(int rows, double loss, double mse, double auxLoss, double l1Loss, double l0, double sse,
                          double totalVariance, long deadLatents, double minPositiveKept, long nonFiniteRow) {

    /**
     * @param rows the batch's rows
     * @param row  first row with NaN or Inf
     * @return the metrics of a batch rejected for a non-finite value
     */
    public static StepMetrics rejected(int rows, long row) {
        return new StepMetrics(rows, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                Double.NaN, 0, Double.NaN, row);
    }

    /** @return whether the backend rejected the batch for a non-finite value */
    public boolean rejected() {
        return nonFiniteRow >= 0;
    }

    /** @return fraction of variance unexplained: sse / totalVariance */
    public double fvu() {
        return totalVariance > 0 ? sse / totalVariance : Double.NaN;
    }

    /** @return explained variance: 1 - fvu */
    public double explainedVariance() {
        return 1 - fvu();
    }
}

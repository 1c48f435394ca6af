package io.jsae.core.backend;

/**
 * Scalars of one training or evaluation batch (names as SAELens users know them).
 *
 * @param rows          tokens in the batch
 * @param loss          total loss (mse + aux + l1)
 * @param mse           mean over rows of the squared reconstruction error, summed over dIn
 * @param auxLoss       AuxK loss (0 when no latent is dead or AuxK is off)
 * @param l1Loss        L1 penalty (relu only)
 * @param l0            mean number of latents with z > 0 per row
 * @param sse           sum of squared reconstruction errors
 * @param totalVariance sum over the batch of ‖x - mean_batch(x)‖²
 * @param deadLatents   latents dead after this batch (0 for evaluation)
 */
public record StepMetrics(int rows, double loss, double mse, double auxLoss, double l1Loss, double l0, double sse,
                          double totalVariance, long deadLatents) {

    /** @return fraction of variance unexplained: sse / totalVariance */
    public double fvu() {
        return totalVariance > 0 ? sse / totalVariance : Double.NaN;
    }

    /** @return explained variance: 1 - fvu */
    public double explainedVariance() {
        return 1 - fvu();
    }
}

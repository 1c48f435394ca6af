package io.jsae.core.backend;

/**
 * Everything a backend needs to take one training step besides the batch and its state, decided by the training
 * policy in core ({@code io.jsae.core.train.TrainingPolicy}). A backend applies these numbers as given; it
 * never derives a learning rate, a bias correction or an AuxK weight itself.
 *
 * @param adamStep       Adam's step count t of this step (1 for the first)
 * @param learningRate   learning rate of this step
 * @param adamStepSize   {@code learningRate / (1 - β1^t)}
 * @param adamBias2Sqrt  {@code sqrt(1 - β2^t)}
 * @param beta1          Adam β1
 * @param beta2          Adam β2
 * @param eps            Adam ε
 * @param auxLatents     AuxK latents per row, {@code min(kAux, #dead)}; 0 means no AuxK this step
 * @param auxScale       AuxK weight before normalization, {@code auxCoefficient · min(#dead / kAux, 1)}; the
 *                       backend divides it by the batch's mse (and skips AuxK when that mse is 0)
 * @param l1Coefficient  L1 penalty λ (relu SAEs), 0 otherwise
 * @param inputScale     factor the backend multiplies the batch by before anything else (1 when off)
 * @param deadTokens     tokens without firing after which a latent counts as dead
 */
public record StepParameters(long adamStep, double learningRate, double adamStepSize, double adamBias2Sqrt,
                             double beta1, double beta2, double eps, int auxLatents, double auxScale,
                             double l1Coefficient, double inputScale, long deadTokens) {
}

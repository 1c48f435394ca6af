package io.jsae.core;

/**
 * Operand precision of the encoder GEMM. Master weights, gradients and Adam moments stay float32 in every
 * case, and the GEMM accumulates in float32; only the GEMM's inputs are rounded. A backend lists the
 * precisions it supports ({@code Backend.precisions()}); the CPU backend supports {@link #FP32} only.
 */
public enum Precision {
    /** Float32 operands. Agreement with the float64 reference: relative error 1e-5 per tensor. */
    FP32(1e-5),
    /** TensorFloat-32 operands (10-bit mantissa), on GPUs with tensor cores. Agreement bound 5e-3. */
    TF32(5e-3),
    /** bfloat16 operands (8-bit mantissa); the backend keeps a bf16 copy of the weights it multiplies. Bound 2e-2. */
    BF16(2e-2);

    private final double agreementBound;

    Precision(double agreementBound) {
        this.agreementBound = agreementBound;
    }

    /** @return the per-tensor relative error a backend must stay within against the float64 reference */
    public double agreementBound() {
        return agreementBound;
    }
}

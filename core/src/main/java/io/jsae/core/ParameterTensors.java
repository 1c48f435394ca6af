package io.jsae.core;

import java.util.Arrays;

/**
 * The four parameter-shaped tensors of an SAE, as float32 arrays on the heap, in the layout the backends
 * use internally: {@code wEnc} is stored transposed, one row per latent ({@code [dSae, dIn]}, row j is the
 * encoder direction of latent j), so that the sparse encoder gradient is a scatter into rows. SAELens's
 * {@code W_enc [dIn, dSae]} is its transpose; {@code io.jsae.core.io.SaeFolders.save} writes that layout.
 *
 * <p>The same shape serves the weights, their gradients and both Adam moments. Instances are mutable
 * holders used to move state in and out of a backend (checkpoints, tests, export), never on the hot path.
 */
public final class ParameterTensors {
    private final int dIn;
    private final int dSae;
    private final float[] wEnc;
    private final float[] bEnc;
    private final float[] wDec;
    private final float[] bDec;

    /**
     * @param dIn  input width
     * @param dSae latents
     * @param wEnc encoder rows {@code [dSae, dIn]}
     * @param bEnc {@code [dSae]}
     * @param wDec decoder rows {@code [dSae, dIn]}
     * @param bDec {@code [dIn]}
     */
    public ParameterTensors(int dIn, int dSae, float[] wEnc, float[] bEnc, float[] wDec, float[] bDec) {
        this.dIn = dIn;
        this.dSae = dSae;
        this.wEnc = check("wEnc", wEnc, (long) dSae * dIn);
        this.bEnc = check("bEnc", bEnc, dSae);
        this.wDec = check("wDec", wDec, (long) dSae * dIn);
        this.bDec = check("bDec", bDec, dIn);
    }

    /** @return all-zero tensors of the given shape */
    public static ParameterTensors zeros(int dIn, int dSae) {
        return new ParameterTensors(dIn, dSae, new float[dSae * dIn], new float[dSae], new float[dSae * dIn], new float[dIn]);
    }

    private static float[] check(String name, float[] a, long expected) {
        if (a == null || a.length != expected) {
            throw new IllegalArgumentException(name + " must hold " + expected + " floats, had "
                    + (a == null ? "null" : a.length));
        }
        return a;
    }

    /** @return input width */
    public int dIn() { return dIn; }
    /** @return latent count */
    public int dSae() { return dSae; }
    /** @return encoder rows {@code [dSae, dIn]} (live array) */
    public float[] wEnc() { return wEnc; }
    /** @return encoder bias {@code [dSae]} (live array) */
    public float[] bEnc() { return bEnc; }
    /** @return decoder rows {@code [dSae, dIn]} (live array) */
    public float[] wDec() { return wDec; }
    /** @return decoder bias {@code [dIn]} (live array) */
    public float[] bDec() { return bDec; }

    /** @return a deep copy */
    public ParameterTensors copy() {
        return new ParameterTensors(dIn, dSae, wEnc.clone(), bEnc.clone(), wDec.clone(), bDec.clone());
    }

    /** @return whether every element is bitwise equal to {@code other}'s */
    public boolean bitwiseEquals(ParameterTensors other) {
        return dIn == other.dIn && dSae == other.dSae && Arrays.equals(wEnc, other.wEnc)
                && Arrays.equals(bEnc, other.bEnc) && Arrays.equals(wDec, other.wDec) && Arrays.equals(bDec, other.bDec);
    }
}

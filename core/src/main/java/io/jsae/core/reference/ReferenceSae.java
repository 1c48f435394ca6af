package io.jsae.core.reference;

import io.jsae.core.Activation;
import io.jsae.core.ParameterTensors;
import io.jsae.core.SaeConfig;

import java.util.Arrays;

/**
 * The float64 reference of the project's SAE math: forward, loss, backward, AuxK, decoder-norm projection
 * and Adam, written for clarity and exactness, not speed. Every backend is tested against it.
 *
 * <p>Conventions fixed here and followed by every backend:
 * <ul>
 *   <li>Selection (topk, batchtopk, AuxK) ranks pre-activations by value, descending ({@code -0.0} below
 *       {@code +0.0}), ties by the lower index (flat index {@code b·dSae + j} for batchtopk); {@code z = relu(pre)} on the kept entries, so a
 *       kept entry with {@code pre <= 0} contributes nothing and does not count toward L0.</li>
 *   <li>AuxK: a latent is dead when its tokens-since-fired counter, as it stood before this step, is at
 *       least {@code deadTokens}. Per row the top {@code min(kAux, #dead)} dead pre-activations reconstruct
 *       the detached residual {@code r = x - x̂} without bias; the loss added is
 *       {@code auxCoefficient · min(#dead/kAux, 1) · mean_b‖ê_b - r_b‖² / mean_b‖r_b‖²}.</li>
 *   <li>After the step every latent's counter grows by the batch's token count and the counters of
 *       latents with {@code z > 0} somewhere in the batch reset to 0.</li>
 *   <li>Adam (PyTorch's form): {@code p -= lr/(1-β1ᵗ) · m / (sqrt(v)/sqrt(1-β2ᵗ) + ε)}. Before it each decoder
 *       row's gradient loses its component along the row; after it each decoder row is renormalized.</li>
 *   <li>The smallest positive kept value of a batch ({@link Forward#minPositiveKept()}) is what the training
 *       policy's batchtopk inference threshold tracks; the rule itself is policy, not math, and lives in
 *       {@code io.jsae.core.train.TrainingPolicy}.</li>
 * </ul>
 */
public final class ReferenceSae {
    private final SaeConfig config;
    private final int dIn;
    private final int dSae;
    final double[] wEnc;
    final double[] bEnc;
    final double[] wDec;
    final double[] bDec;
    final double[] mWEnc, mBEnc, mWDec, mBDec, vWEnc, vBEnc, vWDec, vBDec;
    final long[] tokensSinceFired;
    long adamStep;
    private double[] jumpThresholds;

    /**
     * @param config  configuration (activation, Adam and AuxK settings)
     * @param weights initial weights; Adam state starts at zero
     */
    public ReferenceSae(SaeConfig config, ParameterTensors weights) {
        this.config = config;
        this.dIn = config.dIn();
        this.dSae = config.dSae();
        wEnc = toDouble(weights.wEnc());
        bEnc = toDouble(weights.bEnc());
        wDec = toDouble(weights.wDec());
        bDec = toDouble(weights.bDec());
        mWEnc = new double[wEnc.length];
        mBEnc = new double[dSae];
        mWDec = new double[wDec.length];
        mBDec = new double[dIn];
        vWEnc = new double[wEnc.length];
        vBEnc = new double[dSae];
        vWDec = new double[wDec.length];
        vBDec = new double[dIn];
        tokensSinceFired = new long[dSae];
    }

    /**
     * Sets the Adam state (moments and step count), e.g. to test a step from a non-trivial state.
     *
     * @param m    first moments
     * @param v    second moments
     * @param step steps already taken
     */
    public void setAdamState(ParameterTensors m, ParameterTensors v, long step) {
        copyInto(m.wEnc(), mWEnc);
        copyInto(m.bEnc(), mBEnc);
        copyInto(m.wDec(), mWDec);
        copyInto(m.bDec(), mBDec);
        copyInto(v.wEnc(), vWEnc);
        copyInto(v.bEnc(), vBEnc);
        copyInto(v.wDec(), vWDec);
        copyInto(v.bDec(), vBDec);
        adamStep = step;
    }

    /**
     * Sets the per-latent thresholds of a jumprelu SAE (forward only: jumprelu is run, not trained).
     *
     * @param theta one threshold per latent
     */
    public void setJumpThresholds(float[] theta) {
        if (theta.length != dSae) {
            throw new IllegalArgumentException("jumprelu needs " + dSae + " thresholds, had " + theta.length);
        }
        jumpThresholds = toDouble(theta);
    }

    /** @param counters tokens since each latent last fired */
    public void setTokensSinceFired(long[] counters) {
        System.arraycopy(counters, 0, tokensSinceFired, 0, dSae);
    }

    /** @return tokens since each latent last fired (copy) */
    public long[] tokensSinceFired() {
        return tokensSinceFired.clone();
    }

    /** Sparse codes of a batch in CSR form: row b's entries are {@code [rowStart[b], rowStart[b+1])}. */
    public record Codes(int[] rowStart, int[] index, double[] pre, double[] value) {
        /** @return entries held */
        public int size() {
            return index.length;
        }
    }

    /** Everything the forward pass computes, kept for the backward pass and for tests. */
    public record Forward(double[][] x, double[][] xc, double[][] pre, Codes codes, double[][] xHat, double mse,
                          double l1, Codes auxCodes, double[][] auxHat, double auxLoss, double auxWeight,
                          double l0, int deadCount) {
        /** @return the total loss (mse + aux + l1) */
        public double loss() {
            return mse + auxLoss + l1;
        }

        /** @return the smallest z > 0 kept in the batch, +Inf when none */
        public double minPositiveKept() {
            double min = Double.POSITIVE_INFINITY;
            for (double v : codes.value()) {
                if (v > 0) {
                    min = Math.min(min, v);
                }
            }
            return min;
        }
    }

    /** Gradients of the loss, in the internal layout. */
    public record Gradients(double[] wEnc, double[] bEnc, double[] wDec, double[] bDec) {
    }

    /**
     * Runs the forward pass and loss on a batch.
     *
     * @param x rows of width dIn
     * @return the forward state
     */
    public Forward forward(double[][] x) {
        return forward(x, null);
    }

    /**
     * Forward pass whose AuxK residual and weight are taken from an earlier forward pass (they are detached
     * from the graph: the gradient treats them as constants). Used to check gradients by finite differences.
     *
     * @param x            rows of width dIn
     * @param detachedFrom earlier forward pass on the same rows, or null for this pass's own values
     * @return the forward state
     */
    Forward forward(double[][] x, Forward detachedFrom) {
        int rows = x.length;
        double[][] xc = new double[rows][dIn];
        double[][] pre = new double[rows][dSae];
        for (int b = 0; b < rows; b++) {
            for (int d = 0; d < dIn; d++) {
                xc[b][d] = x[b][d] - bDec[d];
            }
            for (int j = 0; j < dSae; j++) {
                double s = bEnc[j];
                for (int d = 0; d < dIn; d++) {
                    s += xc[b][d] * wEnc[j * dIn + d];
                }
                pre[b][j] = s;
            }
        }
        Codes codes = select(pre);
        double[][] xHat = decode(codes, rows, true);
        double sse = 0;
        for (int b = 0; b < rows; b++) {
            for (int d = 0; d < dIn; d++) {
                double e = xHat[b][d] - x[b][d];
                sse += e * e;
            }
        }
        double mse = sse / rows;
        double l1 = 0;
        if (config.activation() instanceof Activation.Relu relu) {
            for (int e = 0; e < codes.size(); e++) {
                l1 += codes.value[e] * rowNorm(wDec, codes.index[e]);
            }
            l1 *= relu.l1Coefficient() / rows;
        }
        int fired = 0;
        for (double v : codes.value) {
            if (v > 0) {
                fired++;
            }
        }
        double l0 = fired / (double) rows;

        // AuxK on the residual, with the dead set as it stood before this step.
        boolean[] dead = new boolean[dSae];
        int deadCount = 0;
        for (int j = 0; j < dSae; j++) {
            if (tokensSinceFired[j] >= config.deadTokens()) {
                dead[j] = true;
                deadCount++;
            }
        }
        Codes auxCodes = null;
        double[][] auxHat = null;
        double auxLoss = 0;
        double auxWeight = 0;
        double[][] residualOf = detachedFrom != null ? detachedFrom.xHat() : xHat;
        double residualMse = detachedFrom != null ? detachedFrom.mse() : mse;
        if (config.usesAuxK() && deadCount > 0 && residualMse > 0) {
            int kAux = Math.min(config.kAux(), deadCount);
            auxCodes = selectPerRow(pre, kAux, dead);
            auxHat = decode(auxCodes, rows, false);
            double auxSse = 0;
            for (int b = 0; b < rows; b++) {
                for (int d = 0; d < dIn; d++) {
                    double r = x[b][d] - residualOf[b][d];
                    double e = auxHat[b][d] - r;
                    auxSse += e * e;
                }
            }
            double scale = Math.min(deadCount / (double) config.kAux(), 1.0);
            auxWeight = config.auxCoefficient() * scale / residualMse;
            auxLoss = auxWeight * auxSse / rows;
        }
        return new Forward(x, xc, pre, codes, xHat, mse, l1, auxCodes, auxHat, auxLoss, auxWeight, l0, deadCount);
    }

    private Codes select(double[][] pre) {
        Activation act = config.activation();
        if (act instanceof Activation.TopK topK) {
            return selectPerRow(pre, topK.k(), null);
        }
        if (act instanceof Activation.BatchTopK batchTopK) {
            return selectBatch(pre, (long) batchTopK.k() * pre.length);
        }
        if (act instanceof Activation.Relu) {
            return selectAboveThresholds(pre, new double[dSae]); // relu: every entry above 0
        }
        if (act instanceof Activation.JumpRelu) {
            if (jumpThresholds == null) {
                throw new IllegalStateException("a jumprelu reference needs its thresholds: call setJumpThresholds");
            }
            return selectAboveThresholds(pre, jumpThresholds);
        }
        throw new IllegalStateException("activation " + act.architecture() + " is not supported");
    }

    /** Per row, the k best allowed entries (value desc, index asc), returned in ascending index order. */
    static Codes selectPerRow(double[][] pre, int k, boolean[] allowed) {
        int rows = pre.length;
        int[] rowStart = new int[rows + 1];
        int[] index = new int[rows * k];
        int n = 0;
        for (int b = 0; b < rows; b++) {
            double[] row = pre[b];
            Integer[] order = new Integer[row.length];
            for (int j = 0; j < row.length; j++) {
                order[j] = j;
            }
            Arrays.sort(order, (a, c) -> {
                int byValue = Double.compare(row[c], row[a]); // -0.0 ranks below +0.0, as in the kernels
                return byValue != 0 ? byValue : Integer.compare(a, c);
            });
            int[] kept = new int[k];
            int taken = 0;
            for (int i = 0; i < order.length && taken < k; i++) {
                if (allowed == null || allowed[order[i]]) {
                    kept[taken++] = order[i];
                }
            }
            Arrays.sort(kept, 0, taken);
            System.arraycopy(kept, 0, index, n, taken);
            n += taken;
            rowStart[b + 1] = n;
        }
        return finish(pre, rowStart, Arrays.copyOf(index, n));
    }

    private static Codes selectBatch(double[][] pre, long keep) {
        int rows = pre.length;
        int width = pre[0].length;
        Integer[] order = new Integer[rows * width];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, c) -> {
            double va = pre[a / width][a % width];
            double vc = pre[c / width][c % width];
            int byValue = Double.compare(vc, va);
            return byValue != 0 ? byValue : Integer.compare(a, c);
        });
        int n = (int) Math.min(keep, order.length);
        int[] flat = new int[n];
        for (int i = 0; i < n; i++) {
            flat[i] = order[i];
        }
        Arrays.sort(flat);
        int[] rowStart = new int[rows + 1];
        int[] index = new int[n];
        for (int i = 0; i < n; i++) {
            index[i] = flat[i] % width;
            rowStart[flat[i] / width + 1]++;
        }
        for (int b = 0; b < rows; b++) {
            rowStart[b + 1] += rowStart[b];
        }
        return finish(pre, rowStart, index);
    }

    /** Per row the entries with pre > θ_j, in index order; z = relu(pre) on them (jumprelu; relu with θ = 0). */
    private static Codes selectAboveThresholds(double[][] pre, double[] theta) {
        int rows = pre.length;
        int[] rowStart = new int[rows + 1];
        int[] index = new int[rows * pre[0].length];
        int n = 0;
        for (int b = 0; b < rows; b++) {
            for (int j = 0; j < pre[b].length; j++) {
                if (pre[b][j] > theta[j]) {
                    index[n++] = j;
                }
            }
            rowStart[b + 1] = n;
        }
        return finish(pre, rowStart, Arrays.copyOf(index, n));
    }

    private static Codes finish(double[][] pre, int[] rowStart, int[] index) {
        double[] p = new double[index.length];
        double[] v = new double[index.length];
        for (int b = 0; b + 1 < rowStart.length; b++) {
            for (int e = rowStart[b]; e < rowStart[b + 1]; e++) {
                p[e] = pre[b][index[e]];
                v[e] = Math.max(p[e], 0.0);
            }
        }
        return new Codes(rowStart, index, p, v);
    }

    private double[][] decode(Codes codes, int rows, boolean withBias) {
        double[][] out = new double[rows][dIn];
        for (int b = 0; b < rows; b++) {
            if (withBias) {
                System.arraycopy(bDec, 0, out[b], 0, dIn);
            }
            for (int e = codes.rowStart[b]; e < codes.rowStart[b + 1]; e++) {
                int j = codes.index[e];
                for (int d = 0; d < dIn; d++) {
                    out[b][d] += codes.value[e] * wDec[j * dIn + d];
                }
            }
        }
        return out;
    }

    private double rowNorm(double[] w, int j) {
        double s = 0;
        for (int d = 0; d < dIn; d++) {
            s += w[j * dIn + d] * w[j * dIn + d];
        }
        return Math.sqrt(s);
    }

    /**
     * Backward pass of {@link Forward#loss()} with respect to every parameter.
     *
     * @param f a forward state of this model with the current weights
     * @return the gradients
     */
    public Gradients backward(Forward f) {
        int rows = f.x().length;
        double[] gWEnc = new double[wEnc.length];
        double[] gBEnc = new double[dSae];
        double[] gWDec = new double[wDec.length];
        double[] gBDec = new double[dIn];
        double l1 = config.activation() instanceof Activation.Relu relu ? relu.l1Coefficient() : 0;
        for (int b = 0; b < rows; b++) {
            double[] dxHat = new double[dIn];
            for (int d = 0; d < dIn; d++) {
                dxHat[d] = 2.0 * (f.xHat()[b][d] - f.x()[b][d]) / rows;
                gBDec[d] += dxHat[d];
            }
            double[] dxc = new double[dIn];
            backwardEntries(f.codes(), b, dxHat, l1 / rows, f.xc()[b], gWEnc, gBEnc, gWDec, dxc);
            if (f.auxCodes() != null) {
                double[] dAuxHat = new double[dIn];
                for (int d = 0; d < dIn; d++) {
                    double r = f.x()[b][d] - f.xHat()[b][d];
                    dAuxHat[d] = f.auxWeight() * 2.0 * (f.auxHat()[b][d] - r) / rows;
                }
                backwardEntries(f.auxCodes(), b, dAuxHat, 0, f.xc()[b], gWEnc, gBEnc, gWDec, dxc);
            }
            for (int d = 0; d < dIn; d++) {
                gBDec[d] -= dxc[d];
            }
        }
        return new Gradients(gWEnc, gBEnc, gWDec, gBDec);
    }

    private void backwardEntries(Codes codes, int b, double[] dOut, double l1PerRow, double[] xc, double[] gWEnc,
                                 double[] gBEnc, double[] gWDec, double[] dxc) {
        for (int e = codes.rowStart()[b]; e < codes.rowStart()[b + 1]; e++) {
            int j = codes.index()[e];
            double z = codes.value()[e];
            double norm = l1PerRow != 0 ? rowNorm(wDec, j) : 0;
            double dz = l1PerRow * norm;
            for (int d = 0; d < dIn; d++) {
                dz += dOut[d] * wDec[j * dIn + d];
                gWDec[j * dIn + d] += z * dOut[d];
                if (l1PerRow != 0 && norm > 0) {
                    gWDec[j * dIn + d] += l1PerRow * z * wDec[j * dIn + d] / norm;
                }
            }
            double dPre = codes.pre()[e] > 0 ? dz : 0;
            gBEnc[j] += dPre;
            for (int d = 0; d < dIn; d++) {
                gWEnc[j * dIn + d] += dPre * xc[d];
                dxc[d] += dPre * wEnc[j * dIn + d];
            }
        }
    }

    /**
     * Applies the optimizer step: decoder-gradient projection, Adam at the given rate, decoder renormalization,
     * then the dead-latent counters.
     *
     * @param f            the forward state the gradients came from
     * @param g            gradients (the decoder gradient is projected in place)
     * @param learningRate the rate of this step
     */
    public void applyStep(Forward f, Gradients g, double learningRate) {
        for (int j = 0; j < dSae; j++) {
            double gw = 0;
            double ww = 0;
            for (int d = 0; d < dIn; d++) {
                gw += g.wDec()[j * dIn + d] * wDec[j * dIn + d];
                ww += wDec[j * dIn + d] * wDec[j * dIn + d];
            }
            if (ww > 0) {
                for (int d = 0; d < dIn; d++) {
                    g.wDec()[j * dIn + d] -= gw / ww * wDec[j * dIn + d];
                }
            }
        }
        adamStep++;
        double b1 = config.adamBeta1();
        double b2 = config.adamBeta2();
        double stepSize = learningRate / (1 - Math.pow(b1, adamStep));
        double bc2Sqrt = Math.sqrt(1 - Math.pow(b2, adamStep));
        adam(wEnc, g.wEnc(), mWEnc, vWEnc, b1, b2, stepSize, bc2Sqrt);
        adam(bEnc, g.bEnc(), mBEnc, vBEnc, b1, b2, stepSize, bc2Sqrt);
        adam(wDec, g.wDec(), mWDec, vWDec, b1, b2, stepSize, bc2Sqrt);
        adam(bDec, g.bDec(), mBDec, vBDec, b1, b2, stepSize, bc2Sqrt);
        for (int j = 0; j < dSae; j++) {
            double norm = rowNorm(wDec, j);
            if (norm > 0) {
                for (int d = 0; d < dIn; d++) {
                    wDec[j * dIn + d] /= norm;
                }
            }
        }
        updateCounters(f);
    }

    private void adam(double[] p, double[] g, double[] m, double[] v, double b1, double b2, double stepSize,
                      double bc2Sqrt) {
        double eps = config.adamEps();
        for (int i = 0; i < p.length; i++) {
            m[i] = b1 * m[i] + (1 - b1) * g[i];
            v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
            p[i] -= stepSize * m[i] / (Math.sqrt(v[i]) / bc2Sqrt + eps);
        }
    }

    private void updateCounters(Forward f) {
        int rows = f.x().length;
        boolean[] fired = new boolean[dSae];
        for (int e = 0; e < f.codes().size(); e++) {
            if (f.codes().value()[e] > 0) {
                fired[f.codes().index()[e]] = true;
            }
        }
        for (int j = 0; j < dSae; j++) {
            tokensSinceFired[j] = fired[j] ? 0 : tokensSinceFired[j] + rows;
        }
    }

    /**
     * One whole training step: forward, backward, optimizer.
     *
     * @param x            rows of width dIn
     * @param learningRate rate of this step
     * @return the forward state (loss parts, codes) of the step
     */
    public Forward trainStep(double[][] x, double learningRate) {
        Forward f = forward(x);
        applyStep(f, backward(f), learningRate);
        return f;
    }

    /** @return the current weights rounded to float32 */
    public ParameterTensors weights() {
        return new ParameterTensors(dIn, dSae, toFloat(wEnc), toFloat(bEnc), toFloat(wDec), toFloat(bDec));
    }

    /** @return Adam first moments rounded to float32 */
    public ParameterTensors adamM() {
        return new ParameterTensors(dIn, dSae, toFloat(mWEnc), toFloat(mBEnc), toFloat(mWDec), toFloat(mBDec));
    }

    /** @return Adam second moments rounded to float32 */
    public ParameterTensors adamV() {
        return new ParameterTensors(dIn, dSae, toFloat(vWEnc), toFloat(vBEnc), toFloat(vWDec), toFloat(vBDec));
    }

    /** @return steps taken by Adam */
    public long adamStep() {
        return adamStep;
    }

    static double[] toDouble(float[] a) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i];
        }
        return out;
    }

    static float[] toFloat(double[] a) {
        float[] out = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = (float) a[i];
        }
        return out;
    }

    private static void copyInto(float[] from, double[] to) {
        for (int i = 0; i < to.length; i++) {
            to[i] = from[i];
        }
    }
}

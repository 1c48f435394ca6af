package io.jsae.core;

import java.util.Arrays;
import java.util.Objects;

/**
 * A trained (or loaded) sparse autoencoder: its configuration, weights and, where the activation needs them,
 * thresholds. It encodes and decodes on the heap in plain Java, for embedding in services; training runs
 * on a {@link io.jsae.core.backend.Backend}.
 *
 * <p>Inputs are raw activations. When the model was trained with input normalization, {@link #inputScale()}
 * is the factor s applied before the SAE ({@code x' = s·x}) and reconstructions are returned in the raw scale.
 *
 * <p>Saving and loading are in {@code io.jsae.core.io.SaeFolders}: {@code SaeFolders.save(model, dir)} writes
 * the SAELens folder layout with the scale folded into the weights, {@code SaeFolders.load(dir)} reads it and
 * sparsify's. (They are not methods here so that this package depends on none of its sub-packages.)
 */
public final class SparseAutoencoder {
    private final SaeConfig config;
    private final ParameterTensors weights;
    private final float[] jumpThresholds;
    private final double batchTopKThreshold;
    private final double inputScale;
    private final SaeMetadata metadata;

    /**
     * A model without metadata.
     *
     * @param config             configuration (widths, activation)
     * @param weights            weights in the internal layout (see {@link ParameterTensors})
     * @param jumpThresholds     per-latent θ for jumprelu, else null
     * @param batchTopKThreshold inference threshold for batchtopk (NaN: fall back to per-row top-k)
     * @param inputScale         input normalization factor (1 when none)
     */
    public SparseAutoencoder(SaeConfig config, ParameterTensors weights, float[] jumpThresholds,
                             double batchTopKThreshold, double inputScale) {
        this(config, weights, jumpThresholds, batchTopKThreshold, inputScale, SaeMetadata.NONE);
    }

    /**
     * @param config             configuration (widths, activation)
     * @param weights            weights in the internal layout (see {@link ParameterTensors})
     * @param jumpThresholds     per-latent θ for jumprelu, else null
     * @param batchTopKThreshold inference threshold for batchtopk (NaN: fall back to per-row top-k)
     * @param inputScale         input normalization factor (1 when none)
     * @param metadata           the model and hook the inputs come from ({@link SaeMetadata#NONE} when unknown)
     */
    public SparseAutoencoder(SaeConfig config, ParameterTensors weights, float[] jumpThresholds,
                             double batchTopKThreshold, double inputScale, SaeMetadata metadata) {
        this.metadata = Objects.requireNonNull(metadata, "metadata");
        this.config = Objects.requireNonNull(config, "config");
        this.weights = Objects.requireNonNull(weights, "weights");
        if (weights.dIn() != config.dIn() || weights.dSae() != config.dSae()) {
            throw new IllegalArgumentException("weights have dIn=" + weights.dIn() + ", dSae=" + weights.dSae()
                    + " but the config says dIn=" + config.dIn() + ", dSae=" + config.dSae());
        }
        if (config.activation() instanceof Activation.JumpRelu
                && (jumpThresholds == null || jumpThresholds.length != config.dSae())) {
            throw new IllegalArgumentException("jumprelu needs one threshold per latent (" + config.dSae() + "), had "
                    + (jumpThresholds == null ? "none" : jumpThresholds.length));
        }
        if (!(inputScale > 0) || !Double.isFinite(inputScale)) {
            throw new IllegalArgumentException("inputScale must be finite and > 0, was " + inputScale);
        }
        this.jumpThresholds = jumpThresholds == null ? null : jumpThresholds.clone();
        this.batchTopKThreshold = batchTopKThreshold;
        this.inputScale = inputScale;
    }

    /** @return the configuration */
    public SaeConfig config() {
        return config;
    }

    /** @return input width */
    public int dIn() {
        return config.dIn();
    }

    /** @return latent count */
    public int dSae() {
        return config.dSae();
    }

    /** @return a copy of the weights (internal layout) */
    public ParameterTensors weights() {
        return weights.copy();
    }

    /** @return per-latent jumprelu thresholds (copy), or null */
    public float[] jumpThresholds() {
        return jumpThresholds == null ? null : jumpThresholds.clone();
    }

    /** @return the batchtopk inference threshold, NaN when none */
    public double batchTopKThreshold() {
        return batchTopKThreshold;
    }

    /** @return input normalization factor s (1 when none) */
    public double inputScale() {
        return inputScale;
    }

    /** @return the model and hook the inputs come from; {@link SaeMetadata#NONE} when unknown */
    public SaeMetadata metadata() {
        return metadata;
    }

    /**
     * @param metadata the model and hook the inputs come from
     * @return this model with that metadata; it shares this model's weights, which neither changes
     */
    public SparseAutoencoder withMetadata(SaeMetadata metadata) {
        return new SparseAutoencoder(config, weights, jumpThresholds, batchTopKThreshold, inputScale, metadata);
    }

    /**
     * @param j latent index
     * @return the decoder row of latent j (its feature direction), in the normalized input space
     */
    public float[] decoderRow(int j) {
        Objects.checkIndex(j, dSae());
        return Arrays.copyOfRange(weights.wDec(), j * dIn(), (j + 1) * dIn());
    }

    /**
     * Encodes rows of raw activations.
     *
     * @param rows rows of width dIn
     * @return their sparse codes
     * @throws IllegalArgumentException naming the row with a wrong width or a NaN/Inf value
     */
    public SparseCodes encode(float[][] rows) {
        int dIn = dIn();
        int dSae = dSae();
        float[][] xc = new float[rows.length][];
        for (int b = 0; b < rows.length; b++) {
            float[] x = rows[b];
            if (x == null || x.length != dIn) {
                throw new IllegalArgumentException("row " + b + " has width " + (x == null ? "null" : x.length)
                        + ", the SAE takes dIn=" + dIn);
            }
            xc[b] = new float[dIn];
            for (int d = 0; d < dIn; d++) {
                if (!Float.isFinite(x[d])) {
                    throw new IllegalArgumentException("row " + b + " holds " + x[d] + " at column " + d);
                }
                xc[b][d] = (float) (x[d] * inputScale) - weights.bDec()[d];
            }
        }
        int[] rowStart = new int[rows.length + 1];
        int[] idx = new int[0];
        float[] val = new float[0];
        int n = 0;
        float[][] pre = new float[ENCODE_BLOCK][dSae];
        for (int b0 = 0; b0 < rows.length; b0 += ENCODE_BLOCK) {
            int nb = Math.min(ENCODE_BLOCK, rows.length - b0);
            preActivations(xc, b0, nb, pre);
            for (int r = 0; r < nb; r++) {
                int[] kept = select(pre[r]);
                if (n + kept.length > idx.length) {
                    int cap = Math.max(n + kept.length, idx.length * 2 + 16);
                    idx = Arrays.copyOf(idx, cap);
                    val = Arrays.copyOf(val, cap);
                }
                for (int j : kept) {
                    idx[n] = j;
                    val[n] = pre[r][j];
                    n++;
                }
                rowStart[b0 + r + 1] = n;
            }
        }
        return new SparseCodes(rowStart, Arrays.copyOf(idx, n), Arrays.copyOf(val, n));
    }

    /**
     * {@link #encode} on all cores: blocks of rows encoded in parallel on the common fork-join pool and joined in
     * row order, so the codes are those of {@code encode(rows)}. For large passes over data (inspection, encoding
     * files, labeled-span statistics); a service encoding a few rows per request should call {@link #encode}.
     *
     * @param rows input rows of width dIn
     * @return their codes, in row order
     */
    public SparseCodes encodeInParallel(float[][] rows) {
        int blocks = (rows.length + ENCODE_BLOCK - 1) / ENCODE_BLOCK;
        SparseCodes[] parts = new SparseCodes[blocks];
        java.util.stream.IntStream.range(0, blocks).parallel().forEach(c -> parts[c] = encode(
                Arrays.copyOfRange(rows, c * ENCODE_BLOCK, Math.min(rows.length, (c + 1) * ENCODE_BLOCK))));
        int total = 0;
        for (SparseCodes p : parts) {
            total += p.indices().length;
        }
        int[] rowStart = new int[rows.length + 1];
        int[] indices = new int[total];
        float[] values = new float[total];
        int row = 0;
        int at = 0;
        for (SparseCodes p : parts) {
            int n = p.indices().length;
            System.arraycopy(p.indices(), 0, indices, at, n);
            System.arraycopy(p.values(), 0, values, at, n);
            for (int r = 0; r < p.rows(); r++) {
                rowStart[row + r + 1] = at + p.rowStart()[r + 1];
            }
            row += p.rows();
            at += n;
        }
        return new SparseCodes(rowStart, indices, values);
    }

    /** Rows encoded per pass over the encoder weights: the weights are read once per block, not once per row. */
    private static final int ENCODE_BLOCK = 32;

    /**
     * pre[r][j] = xc[b0 + r] · W_enc[j] + b_enc[j] for the block's rows. Each weight row is used for every row of the
     * block while it is in the cache, four rows at a time with one accumulator each, so the adds do not wait on one
     * another; every dot product still sums its columns in order, so the codes are bitwise those of one row at a
     * time.
     */
    private void preActivations(float[][] xc, int b0, int nb, float[][] pre) {
        int dIn = dIn();
        int dSae = dSae();
        float[] wEnc = weights.wEnc();
        float[] bEnc = weights.bEnc();
        for (int j = 0; j < dSae; j++) {
            int base = j * dIn;
            int r = 0;
            for (; r + 4 <= nb; r += 4) {
                float[] x0 = xc[b0 + r];
                float[] x1 = xc[b0 + r + 1];
                float[] x2 = xc[b0 + r + 2];
                float[] x3 = xc[b0 + r + 3];
                float s0 = 0;
                float s1 = 0;
                float s2 = 0;
                float s3 = 0;
                for (int d = 0; d < dIn; d++) {
                    float w = wEnc[base + d];
                    s0 += x0[d] * w;
                    s1 += x1[d] * w;
                    s2 += x2[d] * w;
                    s3 += x3[d] * w;
                }
                pre[r][j] = s0 + bEnc[j];
                pre[r + 1][j] = s1 + bEnc[j];
                pre[r + 2][j] = s2 + bEnc[j];
                pre[r + 3][j] = s3 + bEnc[j];
            }
            for (; r < nb; r++) {
                float[] x = xc[b0 + r];
                float s = 0;
                for (int d = 0; d < dIn; d++) {
                    s += x[d] * wEnc[base + d];
                }
                pre[r][j] = s + bEnc[j];
            }
        }
    }

    private int[] select(float[] pre) {
        Activation act = config.activation();
        int count = 0;
        int[] out = new int[pre.length];
        if (act instanceof Activation.TopK || (act instanceof Activation.BatchTopK && Double.isNaN(batchTopKThreshold))) {
            int k = act.k();
            // rank by value desc, lower index first; keep positives only
            Integer[] order = new Integer[pre.length];
            for (int j = 0; j < pre.length; j++) {
                order[j] = j;
            }
            Arrays.sort(order, (a, c) -> {
                int byValue = Float.compare(pre[c], pre[a]);
                return byValue != 0 ? byValue : Integer.compare(a, c);
            });
            for (int i = 0; i < k; i++) {
                if (pre[order[i]] > 0) {
                    out[count++] = order[i];
                }
            }
            Arrays.sort(out, 0, count);
            return Arrays.copyOf(out, count);
        }
        for (int j = 0; j < pre.length; j++) {
            boolean on;
            if (act instanceof Activation.BatchTopK) {
                on = pre[j] > batchTopKThreshold;
            } else if (act instanceof Activation.JumpRelu) {
                on = pre[j] > jumpThresholds[j] && pre[j] > 0;
            } else {
                on = pre[j] > 0;
            }
            if (on) {
                out[count++] = j;
            }
        }
        return Arrays.copyOf(out, count);
    }

    /**
     * Decodes sparse codes to raw-scale activations: {@code x̂ = (z·W_dec + b_dec) / s}.
     *
     * @param codes codes of this SAE
     * @return reconstructed rows
     */
    public float[][] decode(SparseCodes codes) {
        int dIn = dIn();
        float[][] out = new float[codes.rows()][];
        float[] wDec = weights.wDec();
        for (int b = 0; b < codes.rows(); b++) {
            float[] row = weights.bDec().clone();
            for (int e = codes.rowStart()[b]; e < codes.rowStart()[b + 1]; e++) {
                int j = codes.indices()[e];
                if (j < 0 || j >= dSae()) {
                    throw new IllegalArgumentException("row " + b + " names latent " + j + ", outside [0, " + dSae() + ")");
                }
                float v = codes.values()[e];
                for (int d = 0; d < dIn; d++) {
                    row[d] += v * wDec[j * dIn + d];
                }
            }
            if (inputScale != 1) {
                for (int d = 0; d < dIn; d++) {
                    row[d] = (float) (row[d] / inputScale);
                }
            }
            out[b] = row;
        }
        return out;
    }

    /**
     * @param rows raw activations
     * @return their reconstructions
     */
    public float[][] reconstruct(float[][] rows) {
        return decode(encode(rows));
    }
}

package io.jsae.core.eval;

import java.util.Arrays;

/**
 * Sparse codes of a sample of rows with their labels, in CSR form, grown by appending rows: the training and
 * held-out samples the detectors of {@link LatentLabelAnalysis} are fitted and scored on.
 */
public final class LabeledCodes {
    private final int dSae;
    private int rows;
    private int[] rowStart = new int[1025];
    private int[] labels = new int[1024];
    private int[] indices = new int[8192];
    private float[] values = new float[8192];

    /** @param dSae latents of the SAE the codes come from */
    public LabeledCodes(int dSae) {
        if (dSae < 1) {
            throw new IllegalArgumentException("dSae must be >= 1, was " + dSae);
        }
        this.dSae = dSae;
    }

    /**
     * Appends a row.
     *
     * @param latents its active latents (below dSae)
     * @param acts    their activations
     * @param from    first entry of the row in both arrays
     * @param to      end of the row's entries (exclusive)
     * @param label   the row's label
     */
    public void add(int[] latents, float[] acts, int from, int to, int label) {
        int n = to - from;
        int at = rowStart[rows];
        if (rows + 1 >= labels.length) {
            labels = Arrays.copyOf(labels, labels.length * 2);
            rowStart = Arrays.copyOf(rowStart, rowStart.length * 2);
        }
        if (at + n > indices.length) {
            int size = Math.max(at + n, indices.length * 2);
            indices = Arrays.copyOf(indices, size);
            values = Arrays.copyOf(values, size);
        }
        for (int p = from; p < to; p++) {
            if (latents[p] < 0 || latents[p] >= dSae) {
                throw new IllegalArgumentException("latent " + latents[p] + " is not in 0.." + (dSae - 1));
            }
        }
        System.arraycopy(latents, from, indices, at, n);
        System.arraycopy(acts, from, values, at, n);
        labels[rows] = label;
        rows++;
        rowStart[rows] = at + n;
    }

    /** @return rows held */
    public int rows() {
        return rows;
    }

    /** @return latents of the SAE */
    public int dSae() {
        return dSae;
    }

    /** @param row a row @return its label */
    public int label(int row) {
        return labels[row];
    }

    /** @param row a row @return index of its first entry in {@link #indices()} and {@link #values()} */
    public int start(int row) {
        return rowStart[row];
    }

    /** @param row a row @return index after its last entry */
    public int end(int row) {
        return rowStart[row + 1];
    }

    /** @return the active latents of all rows, concatenated (the live array: do not modify) */
    int[] indices() {
        return indices;
    }

    /** @return the activations of all rows, aligned with {@link #indices()} (the live array: do not modify) */
    float[] values() {
        return values;
    }

    /**
     * @param row   a row
     * @param latent a latent
     * @return the latent's activation in the row, 0 when it is not active
     */
    public float activation(int row, int latent) {
        for (int p = rowStart[row]; p < rowStart[row + 1]; p++) {
            if (indices[p] == latent) {
                return values[p];
            }
        }
        return 0;
    }

    /**
     * @param c a label value
     * @return for each row whether it has that label
     */
    public boolean[] isLabel(int c) {
        boolean[] out = new boolean[rows];
        for (int r = 0; r < rows; r++) {
            out[r] = labels[r] == c;
        }
        return out;
    }
}

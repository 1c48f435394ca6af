package io.jsae.core;

import java.util.Arrays;

/**
 * Sparse codes of a batch: per row the active latent indices (ascending) and their values, in CSR form.
 * Row b's entries are {@code [rowStart[b], rowStart[b+1])} of {@link #indices()} and {@link #values()}.
 *
 * @param rowStart offsets, length rows + 1
 * @param indices  active latents
 * @param values   their activations (all > 0)
 */
public record SparseCodes(int[] rowStart, int[] indices, float[] values) {

    /** @return rows in the batch */
    public int rows() {
        return rowStart.length - 1;
    }

    /** @param row row @return active latent indices of the row */
    public int[] indices(int row) {
        return Arrays.copyOfRange(indices, rowStart[row], rowStart[row + 1]);
    }

    /** @param row row @return activations of the row, aligned with {@link #indices(int)} */
    public float[] values(int row) {
        return Arrays.copyOfRange(values, rowStart[row], rowStart[row + 1]);
    }

    /** @param row row @return active latents in the row (its L0) */
    public int count(int row) {
        return rowStart[row + 1] - rowStart[row];
    }

    /** @return mean active latents per row */
    public double meanL0() {
        return rows() == 0 ? 0 : indices.length / (double) rows();
    }
}

package io.jsae.core.data;

/**
 * Position of an {@link ActivationSource}: the epoch and the number of rows already read in it.
 *
 * @param epoch zero-based epoch number
 * @param row   rows already read in that epoch
 */
public record SourcePosition(long epoch, long row) {
    /** Checks both fields are non-negative. */
    public SourcePosition {
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must be >= 0, was " + epoch);
        }
        if (row < 0) {
            throw new IllegalArgumentException("row must be >= 0, was " + row);
        }
    }

    /** The first row of the first epoch. */
    public static final SourcePosition START = new SourcePosition(0, 0);
}

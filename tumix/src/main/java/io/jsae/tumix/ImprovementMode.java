package io.jsae.tumix;

/** How {@link TumixTermination} measures a round's improvement against the improvement threshold. */
public enum ImprovementMode {
    /**
     * The gain over the best earlier value divided by the magnitude of that value: {@code gain / |best|}.
     * Using the magnitude keeps the sign meaningful when the best value is negative. When the best value is
     * exactly zero the ratio is undefined, and the absolute gain is used instead (as if {@code |best|} were 1).
     */
    RELATIVE,
    /** The gain over the best earlier value in the monitored unit, like Keras and Lightning {@code min_delta}. */
    ABSOLUTE
}

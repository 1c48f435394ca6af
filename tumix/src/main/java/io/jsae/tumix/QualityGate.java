package io.jsae.tumix;

import java.util.OptionalDouble;

/**
 * A bound a named value of the latest round must meet before {@link TumixTermination} allows an early stop
 * (CONVERGED, CONSENSUS or JUDGE), for example {@code explained_variance >= 0.8} or {@code l0 <= 64}.
 *
 * <p>Gates never block a hard stop (NON_FINITE, DIVERGED, BUDGET, MAX_ROUNDS). A gate whose value the latest
 * round does not report, or reports as non-finite, is unmet: keeping going is the safe side, and the decision's
 * reasoning says so.
 *
 * @param metric     the field or metric name, resolved as in {@link RefinementResult#value(String)}
 * @param comparison whether the value must be at least or at most the bound
 * @param bound      the finite bound
 */
public record QualityGate(String metric, Comparison comparison, double bound) {

    /** How a gate compares the value with its bound; both include the bound itself. */
    public enum Comparison {
        /** The value must be greater than or equal to the bound. */
        AT_LEAST(">="),
        /** The value must be less than or equal to the bound. */
        AT_MOST("<=");

        private final String symbol;

        Comparison(String symbol) {
            this.symbol = symbol;
        }

        /**
         * The comparison as a symbol.
         *
         * @return {@code >=} or {@code <=}
         */
        public String symbol() {
            return symbol;
        }
    }

    /**
     * Validates the arguments.
     *
     * @param metric the field or metric name
     * @param comparison at least or at most
     * @param bound the finite bound
     * @throws IllegalArgumentException naming the wrong field
     */
    public QualityGate {
        if (metric == null || metric.isBlank()) {
            throw new IllegalArgumentException("quality gate metric must not be blank");
        }
        if (comparison == null) {
            throw new IllegalArgumentException("quality gate comparison for '" + metric + "' must not be null");
        }
        if (!Double.isFinite(bound)) {
            throw new IllegalArgumentException("quality gate bound for '" + metric + "' must be finite, got " + bound);
        }
    }

    /**
     * A gate {@code metric >= bound}.
     *
     * @param metric the field or metric name
     * @param bound  the smallest acceptable value
     * @return the gate
     */
    public static QualityGate atLeast(String metric, double bound) {
        return new QualityGate(metric, Comparison.AT_LEAST, bound);
    }

    /**
     * A gate {@code metric <= bound}.
     *
     * @param metric the field or metric name
     * @param bound  the largest acceptable value
     * @return the gate
     */
    public static QualityGate atMost(String metric, double bound) {
        return new QualityGate(metric, Comparison.AT_MOST, bound);
    }

    /**
     * Whether a round meets this gate.
     *
     * @param result the round
     * @return true if the round reports a finite value within the bound
     */
    public boolean isMet(RefinementResult result) {
        OptionalDouble v = result.value(metric);
        if (v.isEmpty() || !Double.isFinite(v.getAsDouble())) {
            return false;
        }
        double x = v.getAsDouble();
        return comparison == Comparison.AT_LEAST ? x >= bound : x <= bound;
    }

    /**
     * The gate as text, e.g. {@code explained_variance >= 0.8}.
     *
     * @return the description
     */
    public String describe() {
        return metric + " " + comparison.symbol() + " " + Numbers.format(bound);
    }
}

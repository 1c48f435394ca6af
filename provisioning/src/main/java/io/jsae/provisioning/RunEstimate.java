package io.jsae.provisioning;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a planned run should cost, with the tolerance its {@link CostMeter} is held to: the guide's
 * "$15.48 ± 10%". The cost is {@link CostEstimator#runCost} of the offer for the run's hours, so a plan and a
 * metered run agree on it.
 *
 * <p>{@link #line()} is the one-line form a plan prints ({@code estimate: $15.48 ± 10% (A100 Lambda on-demand,
 * 12 h)}); {@link Budget#parse} reads back its amount and tolerance, so that a training command can take the
 * line (or just {@code 15.48}) as its budget.
 *
 * @param offer     the offer the run is billed on
 * @param hours     wall-clock hours of the run on that offer's instance
 * @param cost      the estimate in US dollars, unrounded
 * @param tolerance the allowed relative deviation, e.g. 0.10 for ±10%
 */
public record RunEstimate(Offer offer, BigDecimal hours, BigDecimal cost, BigDecimal tolerance) {

    /** The guide's tolerance: ±10%. */
    public static final BigDecimal DEFAULT_TOLERANCE = new BigDecimal("0.10");

    private static final BigDecimal HUNDRED = BigDecimal.valueOf(100);

    /**
     * Validates the fields.
     *
     * @param offer the offer the run is billed on
     * @param hours wall-clock hours of the run, positive
     * @param cost the estimate in US dollars, positive
     * @param tolerance the allowed relative deviation, 0 or more
     */
    public RunEstimate {
        Objects.requireNonNull(offer, "offer");
        Objects.requireNonNull(hours, "hours");
        Objects.requireNonNull(cost, "cost");
        Objects.requireNonNull(tolerance, "tolerance");
        if (hours.signum() <= 0 || cost.signum() <= 0 || tolerance.signum() < 0) {
            throw new IllegalArgumentException("an estimate needs positive hours (" + hours + ") and cost (" + cost
                    + ") and a tolerance of 0 or more (" + tolerance + ")");
        }
    }

    /**
     * The estimate of a run of {@code hours} on an offer: {@code estimator.runCost(offer, hours)}.
     *
     * @param estimator the estimator (its stale limit and clock play no part)
     * @param offer     the offer the run is billed on
     * @param hours     wall-clock hours of the run, positive
     * @param tolerance the allowed relative deviation, e.g. 0.10
     * @return the estimate
     */
    public static RunEstimate of(CostEstimator estimator, Offer offer, BigDecimal hours, BigDecimal tolerance) {
        return new RunEstimate(offer, hours, estimator.runCost(offer, hours), tolerance);
    }

    /**
     * The amount and tolerance alone.
     *
     * @return the budget a meter is checked against
     */
    public Budget budget() {
        return new Budget(cost, tolerance);
    }

    /**
     * Compares a running meter's projection with this estimate.
     *
     * @param meter        the meter of the run
     * @param fractionDone work done so far, in (0, 1]
     * @return the comparison
     */
    public CostMeter.BudgetCheck check(CostMeter meter, double fractionDone) {
        return meter.check(cost, tolerance, fractionDone);
    }

    /**
     * "$15.48 ± 10% (A100 Lambda on-demand, 12 h)"; a multi-GPU offer names its GPUs ("8x A100 AWS on-demand").
     *
     * @return the description
     */
    public String describe() {
        return budget() + " (" + (offer.gpuCount() > 1 ? offer.gpuCount() + "x " : "") + offer.gpuModel() + " "
                + CostEstimator.label(offer) + ", " + Money.hours(hours) + " h)";
    }

    /**
     * The line a plan prints: "estimate: $15.48 ± 10% (A100 Lambda on-demand, 12 h)".
     *
     * @return the line, without a line break
     */
    public String line() {
        return "estimate: " + describe();
    }

    @Override
    public String toString() {
        return describe();
    }

    /**
     * An amount in US dollars and the relative deviation allowed around it.
     *
     * @param cost      US dollars, positive
     * @param tolerance relative deviation, 0 or more (0.10 = ±10%)
     */
    public record Budget(BigDecimal cost, BigDecimal tolerance) {

        private static final Pattern FORM = Pattern.compile(
                "(?:estimate:\\s*)?\\$?\\s*(\\d+(?:\\.\\d+)?)\\s*(?:(?:±|\\+/?-)\\s*(\\d+(?:\\.\\d+)?)\\s*%)?"
                        + "\\s*(?:\\(.*\\))?\\s*");

        /**
         * Validates the amounts.
         *
         * @param cost US dollars, positive
         * @param tolerance relative deviation, 0 or more
         */
        public Budget {
            Objects.requireNonNull(cost, "cost");
            Objects.requireNonNull(tolerance, "tolerance");
            if (cost.signum() <= 0 || tolerance.signum() < 0) {
                throw new IllegalArgumentException("a budget needs a positive amount (" + cost
                        + ") and a tolerance of 0 or more (" + tolerance + ")");
            }
        }

        /**
         * Reads a budget as a plan prints it: {@code estimate: $15.48 ± 10% (A100 Lambda on-demand, 12 h)},
         * {@code $15.48 ± 10%}, {@code 15.48+-10%} or a bare {@code 15.48} (tolerance
         * {@link #DEFAULT_TOLERANCE}). The part in parentheses is ignored.
         *
         * @param text the text
         * @return the budget
         * @throws IllegalArgumentException when the text has none of these forms (the message shows them)
         */
        public static Budget parse(String text) {
            Matcher m = FORM.matcher(Objects.requireNonNull(text, "text").strip());
            if (!m.matches()) {
                throw new IllegalArgumentException("'" + text + "' is not an estimate; give dollars and optionally a"
                        + " tolerance, such as 15.48, '$15.48 ± 10%' or the plan's line"
                        + " 'estimate: $15.48 ± 10% (...)'");
            }
            BigDecimal tolerance = m.group(2) == null ? DEFAULT_TOLERANCE
                    : new BigDecimal(m.group(2)).divide(HUNDRED, Money.CONTEXT);
            return new Budget(new BigDecimal(m.group(1)), tolerance);
        }

        /**
         * "$15.48 ± 10%": cents, and the tolerance in percent without trailing zeros.
         *
         * @return the text
         */
        @Override
        public String toString() {
            BigDecimal percent = tolerance.multiply(HUNDRED).setScale(2, RoundingMode.HALF_UP).stripTrailingZeros();
            return Money.usd(cost) + " ± " + (percent.scale() < 0 ? percent.setScale(0) : percent).toPlainString()
                    + "%";
        }
    }
}

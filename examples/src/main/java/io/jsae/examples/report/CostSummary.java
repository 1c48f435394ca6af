package io.jsae.examples.report;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Objects;

/**
 * What the run has cost so far against what it was estimated to cost.
 *
 * @param offer        the machine offer the run is priced on
 * @param pricePerHour its price in US dollars per hour
 * @param costSoFar    dollars spent so far
 * @param estimate     nullable: the estimated total, absent when no estimate was given
 * @param tolerance    nullable: the estimate's tolerance as a fraction (0.10 for ±10%); absent counts as 0
 * @param fractionDone how much of the run is done, in [0, 1]
 */
public record CostSummary(String offer, BigDecimal pricePerHour, BigDecimal costSoFar, BigDecimal estimate,
                          BigDecimal tolerance, double fractionDone) {

    /**
     * Checks the amounts once, so the writer can trust them.
     *
     * @param offer        the machine offer the run is priced on
     * @param pricePerHour its price in US dollars per hour
     * @param costSoFar    dollars spent so far
     * @param estimate     nullable: the estimated total, absent when no estimate was given
     * @param tolerance    nullable: the estimate's tolerance as a fraction (0.10 for ±10%); absent counts as 0
     * @param fractionDone how much of the run is done, in [0, 1]
     * @throws IllegalArgumentException when fractionDone is outside [0, 1] or tolerance is negative
     */
    public CostSummary {
        Objects.requireNonNull(costSoFar, "costSoFar");
        if (!(fractionDone >= 0 && fractionDone <= 1)) {
            throw new IllegalArgumentException("fractionDone must be in [0, 1], got " + fractionDone);
        }
        if (tolerance != null && tolerance.signum() < 0) {
            throw new IllegalArgumentException("tolerance must not be negative, got " + tolerance);
        }
    }

    /** @return costSoFar / fractionDone, or null when nothing is done yet so no total can be projected */
    public BigDecimal projectedTotal() {
        if (fractionDone <= 0) {
            return null;
        }
        return costSoFar.divide(BigDecimal.valueOf(fractionDone), MathContext.DECIMAL64);
    }

    /** @return estimate × (1 - tolerance), or null without an estimate */
    public BigDecimal bandLow() {
        return estimate == null ? null : estimate.multiply(BigDecimal.ONE.subtract(toleranceOrZero()));
    }

    /** @return estimate × (1 + tolerance), or null without an estimate */
    public BigDecimal bandHigh() {
        return estimate == null ? null : estimate.multiply(BigDecimal.ONE.add(toleranceOrZero()));
    }

    /**
     * @return whether the projected total lies in the estimate's band (edges included), or null when there is no
     *         estimate or no projection to compare
     */
    public Boolean projectedWithinBand() {
        BigDecimal projected = projectedTotal();
        if (projected == null || estimate == null) {
            return null;
        }
        return projected.compareTo(bandLow()) >= 0 && projected.compareTo(bandHigh()) <= 0;
    }

    private BigDecimal toleranceOrZero() {
        return tolerance == null ? BigDecimal.ZERO : tolerance;
    }
}

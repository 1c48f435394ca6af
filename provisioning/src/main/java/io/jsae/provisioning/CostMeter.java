package io.jsae.provisioning;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * The running cost of a paid run: started with an offer when the run starts, it tells the cost so far, the
 * total projected from the fraction done, and whether that projection stays within a tolerance of the
 * estimate made before the run (the guide's "$15.48 ± 10%").
 *
 * <p>The meter counts wall-clock time on the given clock from {@link #start}; it assumes the instance is
 * billed for all of it.
 */
public final class CostMeter {

    private final Offer offer;
    private final Clock clock;
    private final Instant startedAt;
    private final Duration billedBefore;

    private CostMeter(Offer offer, Clock clock, Duration billedBefore) {
        this.offer = Objects.requireNonNull(offer, "offer");
        this.clock = Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(billedBefore, "billedBefore");
        if (billedBefore.isNegative()) {
            throw new IllegalArgumentException("billedBefore is " + billedBefore + "; give zero or more");
        }
        this.billedBefore = billedBefore;
        this.startedAt = clock.instant();
    }

    /**
     * Starts a meter now on the system clock.
     *
     * @param offer the offer the run is billed on
     * @return the running meter
     */
    public static CostMeter start(Offer offer) {
        return new CostMeter(offer, Clock.systemUTC(), Duration.ZERO);
    }

    /**
     * Starts a meter now on the given clock.
     *
     * @param offer the offer the run is billed on
     * @param clock the clock to read elapsed time from
     * @return the running meter
     */
    public static CostMeter start(Offer offer, Clock clock) {
        return new CostMeter(offer, clock, Duration.ZERO);
    }

    /**
     * Starts a meter for a run that resumes after an interruption: the time billed before it (by the earlier
     * processes of the same run, lost work included, since it was paid for) counts as already elapsed.
     *
     * @param offer        the offer the run is billed on
     * @param clock        the clock to read elapsed time from
     * @param billedBefore wall time already billed to this run, zero or more
     * @return the running meter
     */
    public static CostMeter resume(Offer offer, Clock clock, Duration billedBefore) {
        return new CostMeter(offer, clock, billedBefore);
    }

    /**
     * The offer the run is billed on.
     *
     * @return the offer
     */
    public Offer offer() {
        return offer;
    }

    /**
     * Wall-clock time billed to the run: since the start, plus the time billed before a resume.
     *
     * @return elapsed time, never negative
     */
    public Duration elapsed() {
        Duration d = Duration.between(startedAt, clock.instant());
        return billedBefore.plus(d.isNegative() ? Duration.ZERO : d);
    }

    /**
     * Cost so far, unrounded.
     *
     * @return US dollars
     */
    public BigDecimal costSoFar() {
        return offer.pricePerHour().multiply(CostEstimator.hours(elapsed()));
    }

    /**
     * Total cost projected from the fraction of the work done, assuming the rest goes at the same pace.
     *
     * @param fractionDone work done so far, in (0, 1]
     * @return projected total in US dollars, unrounded
     */
    public BigDecimal projectedTotal(double fractionDone) {
        if (!(fractionDone > 0 && fractionDone <= 1)) {
            throw new IllegalArgumentException("fractionDone is " + fractionDone + "; give a number in (0, 1]"
                    + " (a projection needs some progress)");
        }
        return costSoFar().divide(BigDecimal.valueOf(fractionDone), Money.CONTEXT);
    }

    /**
     * Compares the projected total with an estimate.
     *
     * @param estimate     the estimate made before the run, positive
     * @param tolerance    allowed relative deviation, e.g. 0.10 for ±10%
     * @param fractionDone work done so far, in (0, 1]
     * @return the comparison
     */
    public BudgetCheck check(BigDecimal estimate, BigDecimal tolerance, double fractionDone) {
        Objects.requireNonNull(estimate, "estimate");
        Objects.requireNonNull(tolerance, "tolerance");
        if (estimate.signum() <= 0 || tolerance.signum() < 0) {
            throw new IllegalArgumentException("estimate " + estimate + " and tolerance " + tolerance
                    + " must be positive and non-negative");
        }
        BigDecimal projected = projectedTotal(fractionDone);
        BigDecimal deviation = Money.percentBelow(estimate, projected).negate();
        boolean within = projected.subtract(estimate).abs().compareTo(estimate.multiply(tolerance)) <= 0;
        return new BudgetCheck(estimate, tolerance, projected, deviation, within);
    }

    /**
     * A projection compared with an estimate.
     *
     * @param estimate         the estimate
     * @param tolerance        allowed relative deviation (0.10 = ±10%)
     * @param projected        projected total, unrounded
     * @param deviationPercent how many percent the projection is above the estimate (negative: below)
     * @param within           whether the projection is within the tolerance
     */
    public record BudgetCheck(BigDecimal estimate, BigDecimal tolerance, BigDecimal projected,
                              BigDecimal deviationPercent, boolean within) {

        /**
         * A one-line summary such as "projected $15.90, 2.7% above the estimate $15.48 (within ±10.0%)".
         *
         * @return the summary
         */
        public String describe() {
            String direction = deviationPercent.signum() >= 0 ? "above" : "below";
            return "projected " + Money.usd(projected) + ", " + Money.percent(deviationPercent.abs()) + " "
                    + direction + " the estimate " + Money.usd(estimate) + " (" + (within ? "within" : "outside")
                    + " ±" + Money.percent(tolerance.multiply(BigDecimal.valueOf(100))) + ")";
        }
    }
}

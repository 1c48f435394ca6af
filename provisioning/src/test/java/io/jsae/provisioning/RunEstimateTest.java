package io.jsae.provisioning;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RunEstimateTest {

    private static final BigDecimal TWELVE = BigDecimal.valueOf(12);

    @Test
    void theGuidesEstimateIsTheRunCostWithItsTolerance() {
        CostEstimator estimator = new CostEstimator();
        RunEstimate e = RunEstimate.of(estimator, GuideOffers.lambda(), TWELVE, RunEstimate.DEFAULT_TOLERANCE);

        assertEquals(0, e.cost().compareTo(estimator.runCost(GuideOffers.lambda(), TWELVE)));
        assertEquals("estimate: $15.48 ± 10% (A100 Lambda on-demand, 12 h)", e.line());
        assertEquals("$15.48 ± 10%", e.budget().toString());
        Offer eight = new Offer("AWS", "A100", 8, 40, new BigDecimal("21.957642"), PricingModel.ON_DEMAND,
                GuideOffers.TODAY, "test", "");
        assertEquals("$32.94 ± 12.5% (8x A100 AWS on-demand, 1.5 h)",
                RunEstimate.of(estimator, eight, new BigDecimal("1.5"), new BigDecimal("0.125")).describe());
    }

    @Test
    void budgetsParseFromThePlansLineOrABareAmount() {
        RunEstimate.Budget b = RunEstimate.Budget.parse("estimate: $15.48 ± 10% (A100 Lambda on-demand, 12 h)");
        assertEquals(0, b.cost().compareTo(new BigDecimal("15.48")));
        assertEquals(0, b.tolerance().compareTo(new BigDecimal("0.1")));
        assertEquals(0, RunEstimate.Budget.parse("15.48").tolerance().compareTo(RunEstimate.DEFAULT_TOLERANCE));
        assertEquals(0, RunEstimate.Budget.parse("$20 +-5%").tolerance().compareTo(new BigDecimal("0.05")));
        assertEquals(0, RunEstimate.Budget.parse(" 20+/-2.5% ").tolerance().compareTo(new BigDecimal("0.025")));
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> RunEstimate.Budget.parse("about fifteen dollars"));
        assertTrue(bad.getMessage().contains("'$15.48 ± 10%'"), bad.getMessage());
        assertThrows(IllegalArgumentException.class, () -> RunEstimate.Budget.parse("0"));
    }

    @Test
    void aMeterIsCheckedAgainstTheEstimate() {
        Instant start = Instant.parse("2026-01-01T00:00:00Z");
        MutableClock clock = new MutableClock(start);
        CostMeter meter = CostMeter.start(GuideOffers.lambda(), clock);
        RunEstimate e = RunEstimate.of(new CostEstimator(), GuideOffers.lambda(), TWELVE, RunEstimate.DEFAULT_TOLERANCE);

        clock.now = start.plus(Duration.ofHours(6));
        assertTrue(e.check(meter, 0.5).within(), "on pace");
        clock.now = start.plus(Duration.ofHours(8));
        assertFalse(e.check(meter, 0.5).within(), "a third over the estimate");
    }

    private static final class MutableClock extends Clock {
        private Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}

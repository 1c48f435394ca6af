package io.jsae.provisioning;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CostMeterTest {

    /** A clock the test moves by hand. */
    static final class ManualClock extends Clock {
        private Instant now = Instant.parse("2026-11-28T08:00:00Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private static final BigDecimal ESTIMATE = new BigDecimal("15.48");
    private static final BigDecimal TEN_PERCENT = new BigDecimal("0.10");

    @Test
    void costSoFarAndProjectionFollowTheClock() {
        ManualClock clock = new ManualClock();
        CostMeter meter = CostMeter.start(GuideOffers.lambda(), clock);
        assertEquals(0, meter.costSoFar().signum());

        clock.advance(Duration.ofHours(6));
        assertEquals(Duration.ofHours(6), meter.elapsed());
        assertEquals("7.74", meter.costSoFar().setScale(2, RoundingMode.HALF_UP).toPlainString());
        assertEquals("15.48", meter.projectedTotal(0.5).setScale(2, RoundingMode.HALF_UP).toPlainString());
    }

    @Test
    void aResumedMeterCountsTheTimeBilledBeforeTheInterruption() {
        ManualClock clock = new ManualClock();
        CostMeter meter = CostMeter.resume(GuideOffers.lambda(), clock, Duration.ofHours(4));
        assertEquals(Duration.ofHours(4), meter.elapsed());
        clock.advance(Duration.ofHours(2));
        assertEquals(Duration.ofHours(6), meter.elapsed());
        assertEquals("7.74", meter.costSoFar().setScale(2, RoundingMode.HALF_UP).toPlainString(),
                "4 h before the interruption and 2 h after cost what 6 h in one go cost");
        assertThrows(IllegalArgumentException.class,
                () -> CostMeter.resume(GuideOffers.lambda(), clock, Duration.ofHours(-1)));
    }

    @Test
    void withinTheGuidesTenPercentAndOutsideIt() {
        ManualClock clock = new ManualClock();
        CostMeter meter = CostMeter.start(GuideOffers.lambda(), clock);
        clock.advance(Duration.ofMinutes(390)); // 6.5 h for half the work: projection 13 h = $16.77, +8.3%

        CostMeter.BudgetCheck ok = meter.check(ESTIMATE, TEN_PERCENT, 0.5);
        assertTrue(ok.within(), ok.describe());
        assertEquals("projected $16.77, 8.3% above the estimate $15.48 (within ±10.0%)", ok.describe());

        clock.advance(Duration.ofMinutes(30)); // 7 h for half: projection $18.06, +16.7%
        CostMeter.BudgetCheck over = meter.check(ESTIMATE, TEN_PERCENT, 0.5);
        assertFalse(over.within(), over.describe());
        assertTrue(over.describe().contains("outside"), over.describe());

        CostMeter.BudgetCheck under = meter.check(ESTIMATE, TEN_PERCENT, 1.0); // 7 h for all: $9.03
        assertFalse(under.within());
        assertTrue(under.describe().contains("below"), under.describe());
    }

    @Test
    void projectionNeedsProgress() {
        CostMeter meter = CostMeter.start(GuideOffers.lambda(), new ManualClock());
        assertThrows(IllegalArgumentException.class, () -> meter.projectedTotal(0));
        assertThrows(IllegalArgumentException.class, () -> meter.projectedTotal(1.5));
        assertThrows(IllegalArgumentException.class, () -> meter.projectedTotal(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> meter.check(BigDecimal.ZERO, TEN_PERCENT, 0.5));
    }
}

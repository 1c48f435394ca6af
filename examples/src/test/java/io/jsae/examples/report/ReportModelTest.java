package io.jsae.examples.report;

import io.jsae.core.eval.EvalMetrics;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReportModelTest {

    @Test
    void densityCountsDeadAndDenseAndBinsLiveLatentsByLog10() {
        // 1000 tokens: dead; 1/1000 = 1e-3 (bin (-3 + 8) / 0.5 = 10); 0.5 (log10 -0.30, bin 15); 1 (log10 0, the top
        // edge, kept in the last bin); 100/1000 = 0.1 is not dense (dense means above 0.1).
        Density density = new Density(1000, new long[] {0, 1, 500, 1000, 100});
        assertEquals(1, density.deadCount());
        assertEquals(2, density.denseCount());
        long[] expected = new long[Density.binCount()];
        expected[10] = 1;
        expected[14] = 1;
        expected[15] = 2;
        assertArrayEquals(expected, density.log10Histogram(), Arrays.toString(density.log10Histogram()));
        assertEquals(16, Density.binCount());
        assertEquals(EvalMetrics.HISTOGRAM_MIN + 3 * EvalMetrics.HISTOGRAM_BIN_WIDTH, Density.binLowerEdge(3));
    }

    @Test
    void densityWithNoTokensHasOnlyDeadLatentsAndRejectsImpossibleCounts() {
        Density none = new Density(0, new long[] {0, 0});
        assertEquals(2, none.deadCount());
        assertEquals(0, Arrays.stream(none.log10Histogram()).sum());
        assertThrows(IllegalArgumentException.class, () -> new Density(10, new long[] {11}));
    }

    @Test
    void costBandIncludesItsEdgesAndProjectsFromTheFractionDone() {
        CostSummary atTop = new CostSummary("o", BigDecimal.ONE, new BigDecimal("17.028"), new BigDecimal("15.48"),
                new BigDecimal("0.10"), 1.0);
        assertEquals(0, new BigDecimal("17.028").compareTo(atTop.bandHigh()));
        assertEquals(0, new BigDecimal("13.932").compareTo(atTop.bandLow()));
        assertTrue(atTop.projectedWithinBand());

        CostSummary justBelow = new CostSummary("o", BigDecimal.ONE, new BigDecimal("3.48"), new BigDecimal("15.48"),
                new BigDecimal("0.10"), 0.25);
        assertEquals(0, new BigDecimal("13.92").compareTo(justBelow.projectedTotal()));
        assertFalse(justBelow.projectedWithinBand());

        CostSummary noEstimate = new CostSummary("o", BigDecimal.ONE, BigDecimal.TEN, null, null, 0.5);
        assertNull(noEstimate.projectedWithinBand());
        assertEquals(0, new BigDecimal("20").compareTo(noEstimate.projectedTotal()));
        assertThrows(IllegalArgumentException.class,
                () -> new CostSummary("o", BigDecimal.ONE, BigDecimal.ONE, null, null, 1.5));
    }

    @Test
    void axesCoverTheDataWithRoundDistinctTicks() {
        Axis a = Axis.around(0.0213, 0.5187, 5, false);
        assertTrue(a.lo() <= 0.0213 && a.hi() >= 0.5187, a.toString());
        assertEquals(0.1, a.step(), 1e-12);
        assertEquals("0", a.label(a.lo()));
        assertEquals("0.2", a.label(0.2));
        assertEquals("0.6", a.label(a.hi()));

        Axis constant = Axis.around(3, 3, 5, false);
        assertTrue(constant.lo() < 3 && constant.hi() > 3, constant.toString());
        Axis zero = Axis.around(0, 0, 5, false);
        assertTrue(zero.lo() < 0 && zero.hi() > 0, zero.toString());
        Axis oneStep = Axis.around(100, 100, 10, true);
        assertTrue(oneStep.step() >= 1 && oneStep.lo() < 100 && oneStep.hi() > 100, oneStep.toString());

        Axis steps = Axis.around(100, 30_000, 10, true);
        assertEquals("30k", steps.label(30_000));
        assertEquals("2k", steps.label(2_000));
        Axis tiny = Axis.around(1.00e-4, 1.10e-4, 5, false);
        assertEquals(tiny.ticks().size(), tiny.ticks().stream().map(tiny::label).distinct().count(),
                "tiny ticks keep distinct labels: " + tiny.ticks().stream().map(tiny::label).toList());
    }
}

package io.jsae.provisioning;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CostEstimatorTest {

    private static final BigDecimal TWELVE = BigDecimal.valueOf(12);
    private final CostEstimator estimator = new CostEstimator(Duration.ofDays(90),
            Clock.fixed(GuideOffers.TODAY.atStartOfDay().toInstant(ZoneOffset.UTC), ZoneOffset.UTC));

    private static String cents(BigDecimal amount) {
        return amount.setScale(2, RoundingMode.HALF_UP).toPlainString();
    }

    @Test
    void guideRunCostsAreComputedFromThePrices() {
        BigDecimal lambda = estimator.runCost(GuideOffers.lambda(), TWELVE);
        BigDecimal runPod = estimator.runCost(GuideOffers.runPodSpot(), TWELVE);

        assertEquals("15.48", cents(lambda));
        assertEquals("8.28", cents(runPod));
        BigDecimal percent = CostEstimator.percentCheaper(lambda, runPod);
        assertEquals("46.5", percent.setScale(1, RoundingMode.HALF_UP).toPlainString());
        assertTrue(percent.compareTo(BigDecimal.valueOf(55)) < 0, "the guide's '55% less' is wrong");
    }

    @Test
    void threeRunsCostWhatTheGuideSays() {
        assertEquals("46.44", cents(estimator.runsCost(GuideOffers.lambda(), TWELVE, 3)));
        assertEquals("24.84", cents(estimator.runsCost(GuideOffers.runPodSpot(), TWELVE, 3)));
        assertEquals(0, estimator.runsCost(GuideOffers.lambda(), TWELVE, 0).signum());
        assertThrows(IllegalArgumentException.class, () -> estimator.runsCost(GuideOffers.lambda(), TWELVE, -1));
    }

    @Test
    void durationsConvertToHoursExactly() {
        assertEquals(0, CostEstimator.hours(Duration.ofMinutes(90)).compareTo(new BigDecimal("1.5")));
        assertEquals("15.48", cents(estimator.runCost(GuideOffers.lambda(), CostEstimator.hours(Duration.ofHours(12)))));
        assertThrows(IllegalArgumentException.class,
                () -> estimator.runCost(GuideOffers.lambda(), BigDecimal.valueOf(-1)));
    }

    @Test
    void comparisonTableUsesTheGuideColumnsAndComputedPercentages() {
        List<Offer> offers = PriceCatalog.bundled().withGpuCount(1).offers();
        CostEstimator.Comparison comparison = estimator.compare(GuideOffers.lambda(), offers, TWELVE);
        String md = comparison.toMarkdown();
        List<String> lines = md.lines().toList();

        assertEquals("| Provider | GPU | VRAM | $/hr | run cost (12 GPU-h) | vs baseline (per GPU-h) | $/GPU-hr | hours |",
                lines.get(0));
        assertTrue(lines.get(2).matches("\\| Lambda\\[\\^\\d] \\| 1x A100 \\| 40 GB \\| \\$1\\.29 \\| \\$15\\.48 \\| "
                + "baseline \\| \\$1\\.29 \\| 12 \\|"), lines.get(2));
        assertTrue(md.contains("| $0.69 | $8.28 | 46.5% cheaper |"), md);
        assertTrue(md.contains("| $0.77 | $9.24 | 40.3% cheaper |"), md);
        assertTrue(md.contains("| $0.66 | $7.92 | 48.8% cheaper |"), md);
        assertTrue(md.contains("| $1.79 | $21.48 | 38.8% more expensive |"), md);
        assertFalse(md.contains("55%"), md);
        assertEquals(1, comparison.rows().stream().filter(CostEstimator.ComparisonRow::baseline).count());
        assertTrue(comparison.rows().get(0).baseline(), "the baseline comes first");
    }

    @Test
    void staleAndMarketplaceRowsGetGeneratedFootnotes() {
        String md = estimator.compare(GuideOffers.lambda(), PriceCatalog.bundled().offers(), TWELVE).toMarkdown();

        assertTrue(md.contains("[^1]: Price as of 2025-10-01, source: GPU guide table (as quoted by the guide); 423 days"
                + " old on 2026-11-28, over the 90-day limit"), md);
        assertTrue(md.contains("| TensorDock[^1][^3] |"), "stale and marketplace: " + md);
        assertTrue(md.contains("[^2]: Price as of 2026-05-07"), "the newer Lambda row is stale too: " + md);
        assertTrue(md.contains("[^3]: Marketplace price: set by individual hosts, it moves often and varies between"
                + " hosts (the guide quoted a range of $1.80-2.50/h"), md);
        assertTrue(md.contains("| RunPod (Secure Cloud) | 1x A100 SXM | 80 GB |"), "fresh rows carry no marker: "
                + md);
        assertTrue(md.contains("| AWS | 8x A100 | 8x 40 GB | $21.96 | $32.94 | 112.8% more expensive | $2.74 | 1.5 |"),
                "the 8-GPU instance does the 12 GPU-hours in 1.5 h: " + md);
        assertTrue(md.contains("| TensorDock[^1][^3] | 1x A100 | not stated |"), md);
    }

    @Test
    void datedRenderingShowsEachRowsDateAndPrefixesFootnotes() {
        List<Offer> offers = PriceCatalog.guide().offers();
        String md = estimator.compare(GuideOffers.lambda(), offers, TWELVE)
                .toMarkdown(CostEstimator.Rendering.dated("g"));
        List<String> lines = md.lines().toList();

        assertEquals("| Provider | GPU | VRAM | $/hr | as of | run cost (12 GPU-h) | vs baseline (per GPU-h) | $/GPU-hr"
                + " | hours |", lines.get(0));
        assertEquals("| Lambda[^g1] | 1x A100 | 40 GB | $1.29 | 2025-10-01 | $15.48 | baseline | $1.29 | 12 |",
                lines.get(2));
        assertTrue(md.contains("| RunPod (spot)[^g1] | 1x A100 | 80 GB | $0.69 | 2025-10-01 | $8.28 | 46.5% cheaper |"),
                md);
        assertTrue(md.contains("| TensorDock[^g1][^g2] |"), md);
        assertTrue(md.contains("\n[^g1]: Price as of 2025-10-01") && md.contains("\n[^g2]: Marketplace price"), md);
        assertFalse(md.contains("[^1]"), "every label carries the prefix: " + md);
        assertEquals(estimator.compare(GuideOffers.lambda(), offers, TWELVE).toMarkdown(),
                estimator.compare(GuideOffers.lambda(), offers, TWELVE).toMarkdown(CostEstimator.Rendering.PLAIN));

        String runs = estimator.compareRuns(GuideOffers.lambda(), GuideOffers.runPodSpot(), TWELVE, 1)
                .toMarkdown(CostEstimator.Rendering.dated(""));
        assertTrue(runs.startsWith("| Runs (12 h each) | Lambda on-demand ($1.29/h as of 2025-10-01) | RunPod spot"
                + " ($0.69/h as of 2025-10-01) | saving |"), runs);
        assertThrows(IllegalArgumentException.class, () -> CostEstimator.Rendering.dated("a]"));
    }

    @Test
    void freshOnDemandRowsHaveNoFootnotes() {
        Offer a = GuideOffers.offer("A", "2.00", PricingModel.ON_DEMAND, GuideOffers.TODAY);
        Offer b = GuideOffers.offer("B", "2.50", PricingModel.SPOT, GuideOffers.TODAY.minusDays(90));
        String md = estimator.compare(a, List.of(a, b), BigDecimal.ONE).toMarkdown();

        assertFalse(md.contains("[^"), md);
        assertTrue(md.contains("| B (spot) |"), md);
        assertTrue(md.contains("25.0% more expensive"), md);
    }

    @Test
    void runsComparisonShowsEachCount() {
        String md = estimator.compareRuns(GuideOffers.lambda(), GuideOffers.runPodSpot(), TWELVE, 3).toMarkdown();

        assertTrue(md.contains("| Runs (12 h each) | Lambda on-demand ($1.29/h) | RunPod spot ($0.69/h) | saving |"),
                md);
        assertTrue(md.contains("| 3 | $46.44 | $24.84 | $21.60 (46.5% cheaper) |"), md);
        assertTrue(md.contains("| 1 | $15.48 | $8.28 | $7.20 (46.5% cheaper) |"), md);
    }

    /** An 8-GPU instance at eight times a 1-GPU price is the same price per GPU-hour, and the same work costs the same. */
    @Test
    void multiGpuInstancesCompareForTheSameWorkNotPerInstanceHour() {
        Offer one = GuideOffers.offer("One", "1.50", PricingModel.ON_DEMAND, GuideOffers.TODAY);
        Offer eight = new Offer("Eight", "A100", 8, 40, new BigDecimal("12.00"), PricingModel.ON_DEMAND,
                GuideOffers.TODAY, "test", "p4d-like");
        Offer dearEight = new Offer("DearEight", "A100", 8, 40, new BigDecimal("24.00"), PricingModel.SPOT,
                GuideOffers.TODAY, "test", "");

        CostEstimator.Comparison c = estimator.compare(one, List.of(one, eight, dearEight), TWELVE);
        CostEstimator.ComparisonRow row = c.rows().get(1);
        assertEquals(0, row.runCost().compareTo(new BigDecimal("18")), "12 GPU-h at $1.50/GPU-h: " + row);
        assertEquals(0, row.hours().compareTo(new BigDecimal("1.5")), "8 GPUs do 12 GPU-h in 1.5 h: " + row);
        assertEquals(0, row.percentCheaper().signum(), "same price per GPU-hour, not 700% more expensive: " + row);
        assertEquals(0, eight.pricePerGpuHour().compareTo(new BigDecimal("1.5")));
        assertEquals("100.0", c.rows().get(2).percentCheaper().negate().setScale(1, RoundingMode.HALF_UP)
                .toPlainString(), "twice the price per GPU-hour is 100% more expensive");
        String md = c.toMarkdown();
        assertTrue(md.contains("| Eight | 8x A100 | 8x 40 GB | $12.00 | $18.00 | same price | $1.50 | 1.5 |"), md);
        assertTrue(md.contains("| DearEight (spot) | 8x A100 | 8x 40 GB | $24.00 | $36.00 | 100.0% more expensive |"
                + " $3.00 | 1.5 |"), md);
        assertFalse(md.contains("700"), md);
        assertTrue(c.basis().contains("12 GPU-hours") && c.basis().contains("per GPU-hour"), c.basis());
        assertEquals(0, c.gpuHours().compareTo(TWELVE));

        // An 8-GPU baseline: 12 h on it is 96 GPU-hours, 96 h on a 1-GPU offer.
        CostEstimator.Comparison fromEight = estimator.compare(eight, List.of(one), TWELVE);
        assertEquals(0, fromEight.gpuHours().compareTo(BigDecimal.valueOf(96)));
        assertEquals(0, fromEight.rows().get(1).runCost().compareTo(BigDecimal.valueOf(144)));
        assertEquals(0, fromEight.rows().get(1).percentCheaper().signum());

        CostEstimator.RunsComparison runs = estimator.compareRuns(one, dearEight, TWELVE, 2);
        assertEquals(0, runs.rows().get(1).alternativeCost().compareTo(BigDecimal.valueOf(72)), runs.toString());
        String runsMd = runs.toMarkdown();
        assertTrue(runsMd.contains("| Runs (12 GPU-h each) | One on-demand ($1.50/h) | DearEight spot ($24.00/h for 8"
                + " GPUs = $3.00/GPU-h) | saving |"), runsMd);
        assertTrue(runsMd.contains("| 2 | $36.00 | $72.00 |") && runsMd.contains("(100.0% more expensive) |"), runsMd);
        assertEquals(0, estimator.workCost(eight, TWELVE).compareTo(new BigDecimal("18")));
        assertEquals(0, CostEstimator.hoursFor(eight, TWELVE).compareTo(new BigDecimal("1.5")));
    }

    @Test
    void equalPricesReadAsSame() {
        assertEquals("same price", CostEstimator.versus(BigDecimal.ZERO));
        assertEquals("same price", CostEstimator.versus(new BigDecimal("0.04")));
        assertEquals("12.5% cheaper", CostEstimator.versus(new BigDecimal("12.46")));
    }
}

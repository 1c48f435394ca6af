package io.jsae.provisioning;

import io.jsae.provisioning.Recommendation.Choice;
import io.jsae.provisioning.SpotAdvisor.InterruptionModel;
import io.jsae.provisioning.SpotAdvisor.Situation;
import io.jsae.provisioning.SpotAdvisor.SpotEstimate;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SpotAdvisorTest {

    private final SpotAdvisor advisor = new SpotAdvisor();
    private static final BigDecimal TWELVE = BigDecimal.valueOf(12);

    @Test
    void guideCaseRecommendsSpotAndListsEveryFactor() {
        Recommendation r = advisor.recommend(new Situation(3, true, true, false, false));

        assertEquals(Choice.SPOT, r.choice());
        assertEquals(5, r.factors().size());
        String text = r.reasoning();
        for (String factor : new String[] {"final production run: no", "time-sensitive: no",
                "tolerates interruption: yes", "checkpoint-resume: yes", "planned runs: 3"}) {
            assertTrue(text.contains(factor), factor + " in " + text);
        }
        assertTrue(text.startsWith("Recommendation: spot"), text);
    }

    @Test
    void anyBlockingFactorChoosesOnDemandAndSaysWhich() {
        Situation[] blocked = {
                new Situation(2, true, true, false, false),
                new Situation(3, false, true, false, false),
                new Situation(3, true, false, false, false),
                new Situation(3, true, true, true, false),
                new Situation(3, true, true, false, true),
        };
        for (Situation s : blocked) {
            Recommendation r = advisor.recommend(s);
            assertEquals(Choice.ON_DEMAND, r.choice(), s.toString());
            assertEquals(1, r.factors().stream().filter(f -> f.favours() == Choice.ON_DEMAND).count(), s.toString());
        }
        assertTrue(advisor.recommend(blocked[2]).reasoning().contains("restart the run from zero"));
        assertThrows(IllegalArgumentException.class, () -> new Situation(0, true, true, false, false));
    }

    @Test
    void youngAndDalyIntervals() {
        double c = 2.0 / 60; // 2-minute checkpoint
        double m = 20;       // one interruption every 20 h
        assertEquals(Math.sqrt(2 * c * m), SpotAdvisor.youngInterval(c, m), 1e-12);
        assertEquals(1.1547, SpotAdvisor.youngInterval(c, m), 1e-4);
        double x = c / (2 * m);
        assertEquals(Math.sqrt(2 * c * m) * (1 + Math.sqrt(x) / 3 + x / 9) - c, SpotAdvisor.dalyInterval(c, m),
                1e-12);
        assertEquals(1.1326, SpotAdvisor.dalyInterval(c, m), 1e-4);
        assertEquals(0.5, SpotAdvisor.dalyInterval(1.0, 0.5), 0, "C >= 2M: Daly's interval is M");
    }

    @Test
    void dalysIntervalIsNearTheMinimumOfTheWallTimeModel() {
        double c = 0.1;
        double r = 0.2;
        double m = 5;
        double tau = SpotAdvisor.dalyInterval(c, m);
        double best = SpotAdvisor.expectedWallHours(100, tau, c, r, m);
        for (double factor : new double[] {0.5, 0.8, 1.25, 2}) {
            assertTrue(best <= SpotAdvisor.expectedWallHours(100, tau * factor, c, r, m),
                    "tau x " + factor + " should not beat Daly's interval");
        }
    }

    @Test
    void wallTimeFormulaMatchesASimulationOfTheModel() {
        // One segment of tau work plus a checkpoint; interruptions are exponential; after each one a restart of
        // R must complete together with the whole segment again. This is the process Daly's formula describes.
        double tau = 1.0;
        double c = 0.05;
        double r = 0.2;
        double m = 3;
        Random random = new Random(42);
        int trials = 200_000;
        double total = 0;
        for (int i = 0; i < trials; i++) {
            double need = tau + c;
            while (true) {
                double failure = -m * Math.log(1 - random.nextDouble());
                if (failure >= need) {
                    total += need;
                    break;
                }
                total += failure;
                need = r + tau + c;
            }
        }
        double simulated = total / trials;
        double formula = SpotAdvisor.expectedWallHours(tau, tau, c, r, m);
        assertEquals(formula, simulated, formula * 0.01);
    }

    @Test
    void noInterruptionsMeansNoOverhead() {
        assertEquals(12, SpotAdvisor.expectedWallHours(12, Double.POSITIVE_INFINITY, 0.1, 0.2,
                Double.POSITIVE_INFINITY), 0);
        assertEquals(12 * 1.1, SpotAdvisor.expectedWallHours(12, 1, 0.1, 0.2, Double.POSITIVE_INFINITY), 1e-12);
        assertEquals(Math.exp(0.2 / 5) * 12, SpotAdvisor.expectedWallHours(12, 0, 0, 0.2, 5), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> SpotAdvisor.expectedWallHours(12, 0, 0.1, 0.2, 5));
    }

    @Test
    void guideSpotEstimateWithoutInterruptionsReproducesTheTableAndBreaksEven() {
        InterruptionModel none = InterruptionModel.young(0, Duration.ofMinutes(2), Duration.ofMinutes(10));
        SpotEstimate e = advisor.estimate(GuideOffers.lambda(), GuideOffers.runPodSpot(), TWELVE, none,
                new BigDecimal("20"));

        assertEquals("15.48", e.onDemandCost().setScale(2, RoundingMode.HALF_UP).toPlainString());
        assertEquals("8.28", e.spotCost().setScale(2, RoundingMode.HALF_UP).toPlainString());
        assertEquals(3, e.breakEvenRuns().getAsInt(), "$20 setup / $7.20 saved per run -> 3 runs");
        assertTrue(e.toMarkdown().contains("spot breaks even after 3 runs."), e.toMarkdown());
    }

    @Test
    void interruptionsRaiseTheSpotCostAndTheBreakEvenCount() {
        InterruptionModel model = InterruptionModel.young(0.05, Duration.ofMinutes(2), Duration.ofMinutes(10));
        SpotEstimate e = advisor.estimate(GuideOffers.lambda(), GuideOffers.runPodSpot(), TWELVE, model,
                new BigDecimal("20"));

        double m = 20;
        double c = 2.0 / 60;
        double tau = Math.sqrt(2 * c * m);
        double wall = m * Math.exp((10.0 / 60) / m) * (Math.exp((tau + c) / m) - 1) * 12 / tau;
        assertEquals(tau, e.intervalHours(), 1e-12);
        assertEquals(wall, e.expectedWallHours(), 1e-9);
        assertEquals(wall * 0.05, e.expectedInterruptions(), 1e-9);
        assertTrue(e.expectedWallHours() > 12);
        BigDecimal saving = e.savingPerRun();
        assertEquals(new BigDecimal("20").divide(saving, 0, RoundingMode.CEILING).intValue(),
                e.breakEvenRuns().getAsInt());
        assertEquals(4, e.breakEvenRuns().getAsInt());
        String md = e.toMarkdown();
        assertTrue(md.contains("| checkpoint interval (τ) | none needed | 1.15 h (Young) |"), md);
        assertTrue(md.contains("| expected wall time | 12 h | " + BigDecimal.valueOf(wall)
                .setScale(2, RoundingMode.HALF_UP) + " h |"), md);

        SpotEstimate daly = advisor.estimate(GuideOffers.lambda(), GuideOffers.runPodSpot(), TWELVE,
                InterruptionModel.daly(0.05, Duration.ofMinutes(2), Duration.ofMinutes(10)), BigDecimal.ZERO);
        assertEquals(SpotAdvisor.dalyInterval(c, m), daly.intervalHours(), 1e-12);
        assertEquals(1, daly.breakEvenRuns().getAsInt(), "without setup cost the first run already saves");

        SpotEstimate fixed = advisor.estimate(GuideOffers.lambda(), GuideOffers.runPodSpot(), TWELVE,
                model.withInterval(Duration.ofMinutes(30)), BigDecimal.ZERO);
        assertEquals(0.5, fixed.intervalHours(), 1e-12);
        assertTrue(fixed.toMarkdown().contains("0.50 h (fixed)"), fixed.toMarkdown());
    }

    @Test
    void theExpectedCostIsBrokenDownIntoInterruptionsRestartsCheckpointsAndLostWork() {
        InterruptionModel model = InterruptionModel.young(0.05, Duration.ofMinutes(2), Duration.ofMinutes(10));
        SpotEstimate e = advisor.estimate(GuideOffers.lambda(), GuideOffers.runPodSpot(), TWELVE, model,
                new BigDecimal("20"));

        assertEquals(1 - Math.exp(-0.05 * 12), e.interruptionProbability(), 1e-12);
        assertEquals(e.expectedInterruptions() * 10.0 / 60, e.restartHours(), 1e-12);
        assertEquals(12 / e.intervalHours() * 2.0 / 60, e.checkpointHours(), 1e-12);
        assertEquals(e.expectedWallHours() - 12 - e.checkpointHours() - e.restartHours(), e.lostWorkHours(), 1e-12);
        assertTrue(e.lostWorkHours() > 0, "work since the last checkpoint is lost at each interruption");
        String md = e.toMarkdown();
        assertTrue(md.contains("| chance of at least one interruption (1 − e^(−λW)) | 0 | 45.1% |"), md);
        assertTrue(md.contains("| restart overhead (interruptions · R) | 0 h |"), md);
        String why = e.explain();
        assertTrue(why.contains("M = 1/λ = 20.00 h"), why);
        assertTrue(why.contains("checkpoint interval τ (Young: sqrt(2·C·M)) = 1.15 h of work"), why);
        assertTrue(why.contains("1 − e^(−λW) = 45.1%"), why);
        assertTrue(why.contains("spot T·p_spot = " + BigDecimal.valueOf(e.expectedWallHours())
                .setScale(2, RoundingMode.HALF_UP) + " h × $0.69/h = $" + e.spotCost().setScale(2, RoundingMode.HALF_UP)
                + ", on-demand W·p_od = 12 h × $1.29/h = $15.48"), why);

        SpotEstimate none = advisor.estimate(GuideOffers.lambda(), GuideOffers.runPodSpot(), TWELVE,
                InterruptionModel.young(0, Duration.ofMinutes(2), Duration.ofMinutes(10)), BigDecimal.ZERO);
        assertEquals(0, none.interruptionProbability());
        assertEquals(0, none.checkpointHours() + none.restartHours() + none.lostWorkHours());
        assertTrue(none.explain().contains("no interruptions assumed (λ = 0)"), none.explain());
    }

    /** An 8-GPU spot instance does the 12 GPU-hours of a 1-GPU run in 1.5 h; its cost is not 12 h of the instance. */
    @Test
    void aMultiGpuSpotInstanceDoesTheSameWorkInFewerHours() {
        Offer eightSpot = new Offer("Spot8", "A100", 8, 40, new BigDecimal("5.52"), PricingModel.SPOT,
                GuideOffers.TODAY, "test", "");
        SpotEstimate e = advisor.estimate(GuideOffers.lambda(), eightSpot, TWELVE,
                InterruptionModel.young(0, Duration.ofMinutes(2), Duration.ofMinutes(10)), BigDecimal.ZERO);

        assertEquals(0, e.spotWorkHours().compareTo(new BigDecimal("1.5")));
        assertEquals(1.5, e.expectedWallHours(), 1e-12);
        assertEquals("8.28", e.spotCost().setScale(2, RoundingMode.HALF_UP).toPlainString(),
                "$0.69 per GPU-hour for 12 GPU-hours, as the 1-GPU spot offer");
        assertTrue(e.toMarkdown().contains("| work | 12 h | 1.5 h |"), e.toMarkdown());
        assertTrue(e.toMarkdown().contains("$5.52/h for 8 GPUs = $0.69/GPU-h"), e.toMarkdown());
    }

    @Test
    void spotThatCostsMoreNeverBreaksEven() {
        Offer dearSpot = GuideOffers.offer("X", "1.50", PricingModel.SPOT, GuideOffers.TODAY);
        SpotEstimate e = advisor.estimate(GuideOffers.lambda(), dearSpot, TWELVE,
                InterruptionModel.young(0.1, Duration.ofMinutes(5), Duration.ofMinutes(10)), BigDecimal.TEN);

        assertTrue(e.breakEvenRuns().isEmpty());
        assertTrue(e.toMarkdown().contains("spot never breaks even"), e.toMarkdown());
    }

    @Test
    void modelRejectsBadParameters() {
        assertThrows(IllegalArgumentException.class,
                () -> InterruptionModel.young(-1, Duration.ZERO, Duration.ZERO));
        assertThrows(IllegalArgumentException.class,
                () -> InterruptionModel.young(Double.NaN, Duration.ZERO, Duration.ZERO));
        assertThrows(IllegalArgumentException.class,
                () -> InterruptionModel.young(0.1, Duration.ofMinutes(-1), Duration.ZERO));
        assertThrows(IllegalArgumentException.class,
                () -> InterruptionModel.young(0.1, Duration.ZERO, Duration.ZERO).withInterval(Duration.ZERO));
    }
}

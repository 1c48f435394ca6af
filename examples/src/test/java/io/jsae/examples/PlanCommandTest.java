package io.jsae.examples;

import io.jsae.provisioning.CostEstimator;
import io.jsae.provisioning.Offer;
import io.jsae.provisioning.PriceCatalog;
import io.jsae.provisioning.PricingModel;
import io.jsae.provisioning.RunEstimate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PlanCommandTest {

    /** What a command line printed and returned. */
    private record Run(int exitCode, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new PlanCommand());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        cl.setExecutionExceptionHandler((e, c, p) -> Main.report(e, c.getErr(), false));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    private static String ok(String... args) {
        Run r = run(args);
        assertEquals(0, r.exitCode(), r.out() + r.err());
        return r.out();
    }

    private static Offer guideLambda() {
        return PriceCatalog.guide().withProvider("Lambda").withGpuModel("A100").withPricingModel(PricingModel.ON_DEMAND)
                .single();
    }

    @Test
    void theEstimateLineIsTheCostEstimatorsRunCostOfTheGuidesExample() {
        String text = ok("--today", "2026-11-28");

        BigDecimal hours = new BigDecimal("1.2").multiply(BigDecimal.TEN);
        BigDecimal cost = new CostEstimator().runCost(guideLambda(), hours);
        String line = text.lines().filter(l -> l.startsWith("estimate: ")).findFirst().orElseThrow();
        assertEquals("estimate: $" + cost.setScale(2, RoundingMode.HALF_UP) + " ± 10% (A100 Lambda on-demand, 12 h)",
                line);
        assertEquals(RunEstimate.of(new CostEstimator(), guideLambda(), hours, new BigDecimal("0.10")).line(), line);
        assertTrue(line.contains("$15.48"), "the guide's own figure: " + line);
        RunEstimate.Budget read = RunEstimate.Budget.parse(line);
        assertEquals(0, read.cost().compareTo(cost.setScale(2, RoundingMode.HALF_UP)), "train can take the line");

        String wider = ok("--today", "2026-11-28", "--hours-per-epoch", "2", "--epochs", "4", "--tolerance", "15");
        BigDecimal eight = new CostEstimator().runCost(guideLambda(), BigDecimal.valueOf(8));
        assertTrue(wider.contains("estimate: $" + eight.setScale(2, RoundingMode.HALF_UP)
                + " ± 15% (A100 Lambda on-demand, 8 h)"), wider);
    }

    @Test
    void plainTextByDefaultMarkdownOnRequest() {
        String text = ok("--today", "2026-11-28");
        String md = ok("--today", "2026-11-28", "--markdown");

        assertFalse(text.contains("| Provider |"), text);
        assertTrue(text.lines().anyMatch(l -> l.startsWith("Provider") && l.contains("$/GPU-hr")), text);
        assertTrue(text.contains("[1]: Price as of") || text.contains("[1] Price as of"), text);
        assertTrue(md.contains("| Lambda[^1] | 1x A100 | 40 GB | $1.29 | 2025-10-01 | $15.48 | baseline | $1.29 | 12 |"),
                md);
        assertTrue(md.contains("| RunPod (spot)[^1] | 1x A100 | 80 GB | $0.69 | 2025-10-01 | $8.28 | 46.5% cheaper |"),
                md);
        assertTrue(md.contains("| 3 | $46.44 | $24.84 | $21.60 (46.5% cheaper) |"), md);
    }

    @Test
    void tumixScenariosTheCapRulesOutAreKeptAndMarked() {
        String md = ok("--today", "2026-11-28", "--markdown");

        assertTrue(md.contains("| 2 | 2.4 | $3.10 | $12.38 (80.0%) |"), md);
        assertTrue(md.contains("| 7 | 8.4 | $10.84 | n/a | impossible under a 5-round cap"), md);
        assertTrue(md.contains("- 7 epochs: impossible under a 5-round cap: TUMIX stops by epoch 5"), md);

        String capped = ok("--today", "2026-11-28", "--markdown", "--max-epochs", "3");
        assertTrue(capped.contains("- 5 epochs: impossible under a 3-round cap"), capped);
        assertTrue(capped.contains("- 7 epochs: impossible under a 3-round cap"), capped);
        assertTrue(capped.contains("| 5 | 6 | $7.74 | n/a |"), "kept in the table: " + capped);
        assertTrue(capped.contains("| 3 | 3.6 | $4.64 | $10.84 (70.0%) | possible"), capped);
    }

    @Test
    void theSpotDecisionSpellsOutItsExpectedCostModel() {
        String md = ok("--today", "2026-11-28", "--markdown");

        assertTrue(md.contains("Recommendation: spot"), md);
        assertTrue(md.contains("1 − e^(−λW) = 45.1%"), "interruption probability: " + md);
        assertTrue(md.contains("restarts λT·R ≈"), "restart overhead: " + md);
        assertTrue(md.contains("- expected cost of one run: spot T·p_spot = "), md);
        assertTrue(md.contains("| expected cost per run | $15.48 |"), md);
        // $20 setup, about $5.87 saved per run in expectation: repaid after 4 runs, more than the 3 planned.
        assertTrue(md.contains("Decision: on-demand. The decision tree allows spot and it saves $"), md);
        assertTrue(md.contains("setup is repaid only after 4 runs, more than the 3 planned."), md);

        String five = ok("--today", "2026-11-28", "--markdown", "--runs", "5");
        assertTrue(five.contains("Decision: spot. The decision tree allows it"), five);
        assertTrue(five.contains("| 5 | $77.40 | $41.40 | $36.00 (46.5% cheaper) |"), five);

        String last = ok("--today", "2026-11-28", "--markdown", "--final-run");
        assertTrue(last.contains("Decision: on-demand, as the decision tree says"), last);
    }

    @Test
    void multiGpuInstancesAreComparedPerGpuHour(@TempDir Path dir) throws Exception {
        Path csv = dir.resolve("offers.csv");
        Files.writeString(csv, String.join("\n",
                "provider,gpu_model,gpu_count,gpu_memory_gb,price_per_hour,pricing_model,as_of,source,notes",
                "Lambda,A100,1,40,1.50,ON_DEMAND,2026-11-01,test,",
                "RunPod,A100,1,80,0.90,SPOT,2026-11-01,test,",
                "AWS,A100,8,40,21.957642,ON_DEMAND,2026-11-01,test,p4d.24xlarge-like",
                "Even,A100,8,40,12.00,ON_DEMAND,2026-11-01,test,eight times the 1-GPU price"),
                java.nio.charset.StandardCharsets.UTF_8);

        String md = ok("--catalog", csv.toString(), "--prices", "newest", "--today", "2026-11-28", "--markdown");

        Offer p4d = new Offer("AWS", "A100", 8, 40, new BigDecimal("21.957642"), PricingModel.ON_DEMAND,
                java.time.LocalDate.of(2026, 11, 1), "test", "");
        BigDecimal work = new CostEstimator().workCost(p4d, BigDecimal.valueOf(12));
        BigDecimal dearer = CostEstimator.percentCheaper(new BigDecimal("18.00"), work).negate()
                .setScale(1, RoundingMode.HALF_UP);
        assertTrue(md.contains("| AWS | 8x A100 | 8x 40 GB | $21.96 | 2026-11-01 | $"
                + work.setScale(2, RoundingMode.HALF_UP) + " | " + dearer + "% more expensive | $2.74 | 1.5 |"), md);
        assertTrue(md.contains("| Even | 8x A100 | 8x 40 GB | $12.00 | 2026-11-01 | $18.00 | same price | $1.50 | 1.5 |"),
                md);
        assertTrue(md.contains("Basis: every offer is priced for the same work, 12 GPU-hours"), md);
        assertFalse(md.contains("1363") || md.contains("1364"), "no per-instance-hour comparison: " + md);
        assertTrue(md.contains("estimate: $18.00 ± 10% (A100 Lambda on-demand, 12 h)"), md);
    }

    @Test
    void newestPricesWorkAndBothAreRefused() {
        String md = ok("--today", "2026-11-28", "--prices", "newest", "--markdown");
        assertTrue(md.contains("estimate: $17.76 ± 10% (A100 Lambda on-demand, 12 h)"), md);
        assertTrue(md.contains("| AWS | 8x A100 | 8x 40 GB | $21.96 | 2026-11-09 | $32.94 | 85.5% more expensive | $2.74"
                + " | 1.5 |"), md);

        Run both = run("--prices", "both");
        assertEquals(2, both.exitCode(), both.out() + both.err());
        assertTrue(both.err().contains("plan uses one set of prices"), both.err());
    }

    @Test
    void numbersThePlannerRefusesAreUsageErrorsNotFailures() {
        for (String[] args : new String[][] {{"plan", "--hours-per-epoch", "0"}, {"plan", "--epochs", "0"},
                {"plan", "--min-rounds", "6", "--max-rounds", "5"}, {"plan", "--interruptions-per-hour", "-1"}}) {
            CommandRun r = CommandRun.of(args);
            assertEquals(ExitCode.USAGE, r.code(), String.join(" ", args) + ": " + r.all());
            assertTrue(r.err().startsWith("jsae: error: plan: "), r.err());
        }
    }
}

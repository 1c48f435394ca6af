package io.jsae.examples;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CostTablesTest {

    private static String run(String... args) {
        StringWriter text = new StringWriter();
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(new PrintWriter(text));
        assertEquals(0, cli.execute(args), text.toString());
        return text.toString();
    }

    @Test
    void printsTheGuideTablesFromTheCatalog() {
        String md = run("cost-tables", "--today", "2026-11-28");

        assertTrue(md.contains("### The guide's prices (rows dated up to 2025-10-01)"), md);
        assertTrue(md.contains("| Lambda[^g1] | 1x A100 | 40 GB | $1.29 | 2025-10-01 | $15.48 | baseline |"), md);
        assertTrue(md.contains("| RunPod (spot)[^g1] | 1x A100 | 80 GB | $0.69 | 2025-10-01 | $8.28 | 46.5% cheaper |"),
                md);
        assertFalse(md.contains("55%"), "the guide's typed-in 55% is wrong and must not appear");
        assertTrue(md.contains("| 3 | $46.44 | $24.84 | $21.60 (46.5% cheaper) |"), md);
        assertTrue(md.contains("| 10 | 12 | $15.48 | baseline |"), md);
        assertTrue(md.contains("| 2 | 2.4 | $3.10 | $12.38 (80.0%) |"), md);
        assertTrue(md.contains("| 3 | 3.6 | $4.64 | $10.84 (70.0%) |"), md);
        assertTrue(md.contains("| 7 | 8.4 | $10.84 | n/a | impossible under a 5-round cap"), md);
        assertTrue(md.contains("Recommendation: spot"), md);
        assertTrue(md.contains("| expected cost per run | $15.48 |"), md);
        assertTrue(md.contains("spot breaks even after"), md);
        assertTrue(md.contains("[^g1]: Price as of 2025-10-01, source: GPU guide table"),
                "stale guide prices are footnoted: " + md);
        assertTrue(md.contains("| TensorDock[^g1][^g2] |") && md.contains("[^g2]: Marketplace price"),
                "the marketplace row is footnoted: " + md);
        assertTrue(md.contains("| Runs (12 h each) | Lambda on-demand ($1.29/h as of 2025-10-01) | RunPod spot ($0.69/h"
                + " as of 2025-10-01) | saving |"), "the runs table dates its prices: " + md);
        assertTrue(md.contains("Prices: Lambda 1x A100 40GB ON_DEMAND $1.29/h as of 2025-10-01; RunPod 1x A100 80GB"
                + " SPOT $0.69/h as of 2025-10-01."), md);
    }

    @Test
    void newestPricesStandBesideTheGuidesWithTheirDates() {
        String md = run("cost-tables", "--today", "2026-11-28");
        String guide = md.substring(0, md.indexOf("### The newest prices"));
        String newest = md.substring(md.indexOf("### The newest prices"));

        assertTrue(guide.contains("### The guide's prices (rows dated up to 2025-10-01)"), md);
        assertFalse(guide.contains("| 2026-"), "the guide's table holds only the guide's rows: " + guide);
        assertTrue(newest.contains("| Lambda[^n1] | 1x A100 | 40 GB | $1.48 | 2026-05-07 | $17.76 | baseline |"),
                newest);
        assertTrue(newest.contains("[^n1]: Price as of 2026-05-07, source: https://lambda.ai/pricing as copied in"),
                "the newer row names its source: " + newest);
        assertTrue(newest.contains("| RunPod (spot)[^n4] | 1x A100 PCIe | 80 GB | $1.19 | 2026-03-10 | $14.28 |"
                + " 19.6% cheaper |"), newest);
        assertTrue(newest.contains("| RunPod (spot)[^n4] | 1x A100 SXM | 80 GB | $1.39 | 2026-03-10 | $16.68 |"),
                newest);
        assertTrue(newest.contains("| RunPod (Secure Cloud) | 1x A100 SXM | 80 GB | $1.79 | 2026-11-09 |"), newest);
        assertTrue(newest.contains("| AWS | 8x A100 | 8x 40 GB | $21.96 | 2026-11-09 |"), newest);
        assertFalse(newest.substring(0, newest.indexOf("Left out")).contains("$0.69"),
                "the superseded guide row is not in the newest table: " + newest);
        assertTrue(newest.contains("- RunPod 1x A100 80GB SPOT $0.69/h as of 2025-10-01, superseded by RunPod 1x A100"
                + " PCIe 80GB SPOT $1.19/h as of 2026-03-10; RunPod 1x A100 SXM 80GB SPOT $1.39/h as of 2026-03-10"),
                newest);
        assertTrue(newest.contains("| Runs (12 h each) | Lambda on-demand ($1.48/h as of 2026-05-07) | RunPod spot"
                + " ($1.19/h as of 2026-03-10) | saving |"), newest);
        assertTrue(newest.contains("| 3 | $53.28 | $42.84 | $10.44 (19.6% cheaper) |"), newest);
        assertTrue(newest.contains("| 10 | 12 | $17.76 | baseline |"), newest);
        assertTrue(newest.contains("Prices: Lambda 1x A100 40GB ON_DEMAND $1.48/h as of 2026-05-07; RunPod 1x A100"
                + " PCIe 80GB SPOT $1.19/h as of 2026-03-10."), newest);
        assertTrue(newest.contains("| expected cost per run | $17.76 |"), newest);
        assertFalse(md.contains("55%"), md);
    }

    @Test
    void newestOptionPrintsTheNewestPricesAlone() {
        String md = run("cost-tables", "--today", "2026-11-28", "--prices", "newest");

        assertTrue(md.contains("| Lambda[^1] | 1x A100 | 40 GB | $1.48 | 2026-05-07 | $17.76 | baseline |"), md);
        assertFalse(md.contains("The guide's prices"), md);
        assertFalse(md.contains("$15.48"), md);
    }

    @Test
    void guideOptionPrintsTheGuidesFiguresAlone() {
        String md = run("cost-tables", "--today", "2026-11-28", "--prices", "guide");

        assertTrue(md.contains("| Lambda[^1] | 1x A100 | 40 GB | $1.29 | 2025-10-01 | $15.48 | baseline |"), md);
        assertTrue(md.contains("| RunPod (spot)[^1] | 1x A100 | 80 GB | $0.69 | 2025-10-01 | $8.28 | 46.5% cheaper |"),
                md);
        assertTrue(md.contains("| 3 | $46.44 | $24.84 | $21.60 (46.5% cheaper) |"), md);
        assertTrue(md.contains("| 2 | 2.4 | $3.10 | $12.38 (80.0%) |"), md);
        assertTrue(md.contains("| expected cost per run | $15.48 |"), md);
        assertFalse(md.contains("The newest prices"), md);
        assertFalse(md.contains("| 2026-"), "no newer row: " + md);
    }

    @Test
    void anUnknownPriceSetIsRefusedWithTheChoices() {
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(new PrintWriter(new StringWriter()));
        cli.setErr(new PrintWriter(err));

        assertEquals(2, cli.execute("cost-tables", "--prices", "latest"));
        assertTrue(err.toString().contains("'latest' is not one of guide, newest, both"), err.toString());
    }

    @Test
    void optionsChangeTheDecision() {
        String md = run("cost-tables", "--today", "2026-11-28", "--final-run", "--runs", "1");

        assertTrue(md.contains("Recommendation: on-demand"), md);
        assertTrue(md.contains("- final production run: yes -> favours on-demand"), md);
        assertTrue(md.contains("- planned runs: 1 -> favours on-demand"), md);
        assertTrue(md.contains("| 1 | $15.48 | $8.28 | $7.20 (46.5% cheaper) |"), md);
        assertFalse(md.contains("| 2 | $30.96"), "only as many runs as planned: " + md);
    }
}

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

        assertTrue(md.contains("| Lambda[^1] | 1x A100 | 40 GB | $1.29 | $15.48 | baseline |"), md);
        assertTrue(md.contains("| RunPod (spot)[^1] | 1x A100 | 80 GB | $0.69 | $8.28 | 46.5% cheaper |"), md);
        assertFalse(md.contains("55%"), "the guide's typed-in 55% is wrong and must not appear");
        assertTrue(md.contains("| 3 | $46.44 | $24.84 | $21.60 (46.5% cheaper) |"), md);
        assertTrue(md.contains("| 10 | 12 | $15.48 | baseline |"), md);
        assertTrue(md.contains("| 2 | 2.4 | $3.10 | $12.38 (80.0%) |"), md);
        assertTrue(md.contains("| 3 | 3.6 | $4.64 | $10.84 (70.0%) |"), md);
        assertTrue(md.contains("| 7 | 8.4 | $10.84 | n/a | impossible under a 5-round cap"), md);
        assertTrue(md.contains("Recommendation: spot"), md);
        assertTrue(md.contains("| expected cost per run | $15.48 |"), md);
        assertTrue(md.contains("spot breaks even after"), md);
        assertTrue(md.contains("[^1]: Price as of 2025-10-01, source: GPU guide table"),
                "stale guide prices are footnoted: " + md);
        assertTrue(md.contains("| TensorDock[^1][^2] |") && md.contains("[^2]: Marketplace price"),
                "the marketplace row is footnoted: " + md);
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

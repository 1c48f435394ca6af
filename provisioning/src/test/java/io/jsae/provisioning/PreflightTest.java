package io.jsae.provisioning;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PreflightTest {

    @Test
    void reportsEveryResultNotOnlyTheFirstFailure() {
        Preflight.Report report = Preflight.of(
                () -> CheckResult.fail("a", "first problem", "fix a"),
                () -> CheckResult.pass("b", "fine"),
                () -> CheckResult.fail("c", "second problem", "fix c"),
                () -> CheckResult.warn("d", "odd", "look at d")).run();

        assertFalse(report.ready());
        assertEquals(List.of("a", "b", "c", "d"), report.results().stream().map(CheckResult::name).toList());
        assertEquals(2, report.withStatus(CheckResult.Status.FAIL).size());
        assertEquals(1, report.withStatus(CheckResult.Status.WARN).size());
    }

    @Test
    void warningsAloneAreReady() {
        assertTrue(Preflight.of(() -> CheckResult.warn("w", "odd", "look")).run().ready());
        assertTrue(new Preflight(List.of()).run().ready());
    }

    @Test
    void skippedChecksAreReadyAndSayWhy() {
        Preflight.Report report = Preflight.of(() -> CheckResult.skip("net", "offline", "run without --offline"))
                .run();
        assertTrue(report.ready());
        assertEquals(1, report.withStatus(CheckResult.Status.SKIP).size());
        assertTrue(report.toMarkdown().contains("| net | SKIP | offline | run without --offline |"),
                report.toMarkdown());
    }

    @Test
    void aThrowingCheckBecomesAFailAndLaterChecksStillRun() {
        PreflightCheck broken = new PreflightCheck() {
            @Override
            public CheckResult run() {
                throw new IllegalStateException("config missing");
            }

            @Override
            public String name() {
                return "broken";
            }
        };
        Preflight.Report report = Preflight.of(broken, () -> null, () -> CheckResult.pass("ok", "fine")).run();

        assertEquals(3, report.results().size());
        CheckResult first = report.results().get(0);
        assertEquals(CheckResult.Status.FAIL, first.status());
        assertEquals("broken", first.name());
        assertTrue(first.message().contains("IllegalStateException: config missing"), first.message());
        assertEquals(CheckResult.Status.FAIL, report.results().get(1).status(), "a null result is a failure");
        assertEquals("unnamed check", report.results().get(1).name());
        assertEquals(CheckResult.Status.PASS, report.results().get(2).status());
    }

    @Test
    void markdownReportHasOneRowPerCheck() {
        String md = Preflight.of(() -> CheckResult.fail("files", "x is missing\nand y", "copy them"),
                () -> CheckResult.pass("gpu", "1 GPU")).run().toMarkdown();

        assertTrue(md.startsWith("| Check | Status | Finding | Remedy |\n"), md);
        assertTrue(md.contains("| files | FAIL | x is missing and y | copy them |"), md);
        assertTrue(md.contains("| gpu | PASS | 1 GPU |  |"), md);
    }

    @Test
    void checkResultNormalisesTheRemedy() {
        assertEquals("", new CheckResult("n", CheckResult.Status.PASS, "m", null).remedy());
    }
}

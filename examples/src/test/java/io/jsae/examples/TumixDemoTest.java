package io.jsae.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;
import org.junit.jupiter.api.Test;

class TumixDemoTest {

    /** Runs a command line and returns its exit code and what it printed. */
    private record Run(int exitCode, String out, String err) {
    }

    private static Run run(Object command, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(command);
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void allScenariosStopWhereTheGuideSays() {
        Run r = run(new TumixDemo());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("=> stopped at round 2 (CONVERGED)"), r.out());
        assertTrue(r.out().contains("=> stopped at round 3 (CONVERGED)"), r.out());
        assertTrue(r.out().contains("=> stopped at round 5 (CONVERGED)"), r.out());
        assertTrue(r.out().contains("=> stopped at round 5 (MAX_ROUNDS)"), r.out());
        assertTrue(r.out().contains("stop at round 3: loss improved 3.3% over round 2, below the 5.0% threshold"),
                r.out());
    }

    @Test
    void slowScenarioSaysItWasCapped() {
        Run r = run(new TumixDemo(), "--scenario", "slow");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("scenario slow"), r.out());
        assertTrue(r.out().contains("reached maxRounds 5 (capped)"), r.out());
        assertTrue(r.out().contains("round 5  loss 0.5700  stop     MAX_ROUNDS"), r.out());
    }

    @Test
    void slowScenarioUncappedStopsAtSeven() {
        Run r = run(new TumixDemo(), "-s", "SLOW", "--max-rounds", "10");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("=> stopped at round 7 (CONVERGED)"), r.out());
    }

    @Test
    void qualityGateKeepsThePlateauGoingAndNamesTheGate() {
        Run r = run(new TumixDemo(), "-s", "plateau", "--min-explained-variance", "0.5");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("QUALITY_GATE_UNMET"), r.out());
        assertTrue(r.out().contains("quality gate explained_variance >= 0.5"), r.out());
        assertTrue(r.out().contains("=> stopped at round 5 (MAX_ROUNDS)"), r.out());
    }

    @Test
    void badArgumentsAreUsageErrors() {
        Run unknown = run(new TumixDemo(), "-s", "fast");
        assertEquals(2, unknown.exitCode());
        assertTrue(unknown.err().contains("unknown scenario 'fast'"), unknown.err());
        Run inverted = run(new TumixDemo(), "--min-rounds", "6");
        assertEquals(2, inverted.exitCode());
        assertTrue(inverted.err().contains("minRounds (6) must not exceed maxRounds (5)"), inverted.err());
    }

    @Test
    void registeredInMain() {
        Run r = run(new Main(), "tumix-demo", "--scenario", "quick");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("=> stopped at round 3 (CONVERGED)"), r.out());
    }
}

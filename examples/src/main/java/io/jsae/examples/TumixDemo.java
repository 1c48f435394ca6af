package io.jsae.examples;

import io.jsae.tumix.RefinementResult;
import io.jsae.tumix.StopDecision;
import io.jsae.tumix.TumixTermination;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The TUMIX loop of the guide on simulated training: train an epoch, record a {@link RefinementResult}, ask
 * {@link TumixTermination} whether to stop, and stop with the reasoning printed. The epochs are simulated (a
 * loss curve per scenario), so the demo needs no data, no model and no GPU.
 */
@Command(name = "tumix-demo", mixinStandardHelpOptions = true,
        description = {"Runs TUMIX termination on the guide's four simulated loss curves and prints each round's "
                + "decision and the reasoning of the stop.",
                "Scenarios: plateau (flat after 2 epochs), quick (converges at 3), moderate (at 5), "
                + "slow (would need 7, so a cap of 5 cuts it)."})
public final class TumixDemo implements Callable<Integer> {

    /** The guide's convergence scenarios, each a simulated per-epoch loss curve (an FVU-like loss in [0, 1]). */
    enum Scenario {
        PLATEAU("flat after 2 epochs", 0.90, 0.88, 0.875, 0.872, 0.870, 0.869, 0.868, 0.868),
        QUICK("converges at epoch 3", 1.00, 0.60, 0.58, 0.575, 0.572, 0.570, 0.569, 0.568),
        MODERATE("converges at epoch 5", 1.00, 0.75, 0.60, 0.52, 0.50, 0.49, 0.485, 0.482),
        SLOW("would converge at epoch 7", 1.00, 0.85, 0.73, 0.64, 0.57, 0.53, 0.51, 0.50);

        private final String summary;
        private final double[] losses;

        Scenario(String summary, double... losses) {
            this.summary = summary;
            this.losses = losses;
        }

        /** Stands in for one epoch of training: the loss the curve reaches at this epoch (1-based). */
        double trainEpoch(int epoch) {
            return losses[Math.min(epoch, losses.length) - 1];
        }
    }

    @Spec
    private CommandSpec spec;

    @Option(names = {"-s", "--scenario"}, defaultValue = "all", paramLabel = "NAME",
            description = "plateau, quick, moderate, slow or all (default: ${DEFAULT-VALUE}).")
    private String scenario;

    @Option(names = "--min-rounds", defaultValue = "2", description = "No early stop before this round (default: ${DEFAULT-VALUE}).")
    private int minRounds;

    @Option(names = "--max-rounds", defaultValue = "5", description = "Always stop at this round (default: ${DEFAULT-VALUE}).")
    private int maxRounds;

    @Option(names = "--threshold", defaultValue = "0.05",
            description = "Smallest relative loss improvement that counts (default: ${DEFAULT-VALUE}).")
    private double threshold;

    @Option(names = "--patience", defaultValue = "1",
            description = "Non-improving rounds in a row before stopping (default: ${DEFAULT-VALUE}).")
    private int patience;

    @Option(names = "--min-explained-variance", paramLabel = "EV",
            description = "Quality gate: no early stop while explained_variance (1 - loss here) is below EV.")
    private Double minExplainedVariance;

    /**
     * Runs the chosen scenarios.
     *
     * @return 0
     */
    @Override
    public Integer call() {
        List<Scenario> scenarios = parseScenarios();
        TumixTermination tumix;
        try {
            TumixTermination.Builder b = TumixTermination.builder().minRounds(minRounds).maxRounds(maxRounds)
                    .improvementThreshold(threshold).patience(patience);
            if (minExplainedVariance != null) {
                b.requireAtLeast("explained_variance", minExplainedVariance);
            }
            tumix = b.build();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println(tumix);
        for (Scenario s : scenarios) {
            run(s, tumix, out);
        }
        out.flush();
        return 0;
    }

    private static void run(Scenario s, TumixTermination tumix, PrintWriter out) {
        out.printf(Locale.ROOT, "%nscenario %s (%s)%n", s.name().toLowerCase(Locale.ROOT), s.summary);
        List<RefinementResult> history = new ArrayList<>();
        for (int epoch = 1; ; epoch++) {
            double loss = s.trainEpoch(epoch);
            // The history is all TUMIX needs: kept with a checkpoint, a resumed run decides the same way.
            history.add(new RefinementResult(epoch, loss, Double.NaN, Map.of("explained_variance", 1 - loss)));
            StopDecision d = tumix.shouldStop(history);
            out.printf(Locale.ROOT, "  round %d  loss %.4f  %-8s %s%n", epoch, loss,
                    d.shouldStop() ? "stop" : "continue", d.reason());
            if (d.shouldStop()) {
                out.printf(Locale.ROOT, "  => stopped at round %d (%s), best loss %.4f at round %d: %s%n",
                        d.round(), d.reason(), d.bestValue(), d.bestRound(), d.reasoning());
                return;
            }
        }
    }

    private List<Scenario> parseScenarios() {
        if ("all".equalsIgnoreCase(scenario)) {
            return List.of(Scenario.values());
        }
        for (Scenario s : Scenario.values()) {
            if (s.name().equalsIgnoreCase(scenario)) {
                return List.of(s);
            }
        }
        throw new CommandLine.ParameterException(spec.commandLine(), "--scenario: unknown scenario '" + scenario
                + "'; use plateau, quick, moderate, slow or all");
    }
}

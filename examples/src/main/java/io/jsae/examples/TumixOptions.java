package io.jsae.examples;

import io.jsae.provisioning.Offer;
import io.jsae.provisioning.TrainingCostPlanner;
import picocli.CommandLine.Option;

import java.math.BigDecimal;
import java.util.List;

/**
 * The options of the TUMIX savings table that {@code cost-tables} and {@code plan} share (a picocli mixin): the
 * epoch length, the planned epochs, the epochs at which TUMIX might stop, and its round range (one round is one
 * epoch, so {@code --max-epochs} is {@code --max-rounds}).
 */
final class TumixOptions {

    @Option(names = "--hours-per-epoch", defaultValue = "1.2",
            description = "Hours of one training epoch (default: ${DEFAULT-VALUE}).")
    private BigDecimal hoursPerEpoch;

    @Option(names = {"--epochs", "--baseline-epochs"}, defaultValue = "10",
            description = "Epochs of the planned run without early termination (default: ${DEFAULT-VALUE}).")
    private int epochs;

    @Option(names = "--scenario-epochs", split = ",", defaultValue = "2,3,5,7",
            description = "Epochs at which TUMIX might stop (default: ${DEFAULT-VALUE}).")
    private List<Integer> scenarioEpochs;

    @Option(names = {"--min-rounds", "--min-epochs"}, defaultValue = "1",
            description = "TUMIX minimum rounds, one per epoch (default: ${DEFAULT-VALUE}).")
    private int minRounds;

    @Option(names = {"--max-rounds", "--max-epochs"}, defaultValue = "5",
            description = "TUMIX maximum rounds, one per epoch: the cap (default: ${DEFAULT-VALUE}).")
    private int maxRounds;

    /** @return hours of one epoch */
    BigDecimal hoursPerEpoch() {
        return hoursPerEpoch;
    }

    /** @return planned epochs */
    int epochs() {
        return epochs;
    }

    /** @return hours of the planned run: epochs times hours per epoch */
    BigDecimal plannedHours() {
        return hoursPerEpoch.multiply(BigDecimal.valueOf(epochs));
    }

    /** @return "1..5" */
    String rounds() {
        return minRounds + ".." + maxRounds;
    }

    /**
     * @param offer the offer the run is priced at
     * @return the savings table, scenarios outside the round range marked impossible
     */
    TrainingCostPlanner.SavingsTable savings(Offer offer) {
        return new TrainingCostPlanner(offer, hoursPerEpoch).plan(epochs, scenarioEpochs,
                new TrainingCostPlanner.RoundLimits(minRounds, maxRounds));
    }
}

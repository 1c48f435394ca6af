package io.jsae.examples;

import io.jsae.provisioning.SpotAdvisor;
import picocli.CommandLine.Option;

import java.math.BigDecimal;
import java.time.Duration;

/**
 * The options of the spot decision that {@code cost-tables} and {@code plan} share (a picocli mixin): what the
 * job is (final run, time-sensitive, tolerates interruption, resumes from checkpoints) and the interruption
 * model's assumptions.
 */
final class SpotOptions {

    @Option(names = "--time-sensitive", description = "The result is needed by a fixed time.")
    private boolean timeSensitive;

    @Option(names = "--final-run", description = "This is the final production run.")
    private boolean finalRun;

    @Option(names = "--no-interruptions", description = "The job cannot tolerate an interruption.")
    private boolean noInterruptions;

    @Option(names = "--no-checkpoint-resume", description = "Training cannot resume from a checkpoint.")
    private boolean noCheckpointResume;

    @Option(names = "--interruptions-per-hour", defaultValue = "0.05",
            description = "Assumed spot interruption rate (default: ${DEFAULT-VALUE}, one per 20 h).")
    private double interruptionsPerHour;

    @Option(names = "--checkpoint-minutes", defaultValue = "2",
            description = "Assumed minutes to write a checkpoint (default: ${DEFAULT-VALUE}).")
    private long checkpointMinutes;

    @Option(names = "--restart-minutes", defaultValue = "10",
            description = "Assumed minutes from an interruption to training again (default: ${DEFAULT-VALUE}).")
    private long restartMinutes;

    @Option(names = "--setup-cost", defaultValue = "20",
            description = "Assumed one-time cost in USD of making the job spot-ready (default: ${DEFAULT-VALUE}).")
    private BigDecimal setupCost;

    @Option(names = "--daly", description = "Use Daly's higher-order checkpoint interval instead of Young's.")
    private boolean daly;

    /**
     * @param runs planned runs
     * @return the job as the decision tree sees it
     */
    SpotAdvisor.Situation situation(int runs) {
        return new SpotAdvisor.Situation(runs, !noInterruptions, !noCheckpointResume, timeSensitive, finalRun);
    }

    /** @return the interruption model of the options */
    SpotAdvisor.InterruptionModel model() {
        Duration c = Duration.ofMinutes(checkpointMinutes);
        Duration r = Duration.ofMinutes(restartMinutes);
        return daly ? SpotAdvisor.InterruptionModel.daly(interruptionsPerHour, c, r)
                : SpotAdvisor.InterruptionModel.young(interruptionsPerHour, c, r);
    }

    /** @return the one-time setup cost of spot */
    BigDecimal setupCost() {
        return setupCost;
    }

    /** @return "0.05 interruptions per hour, 2 min per checkpoint, 10 min per restart, setup $20" */
    String assumptions() {
        return interruptionsPerHour + " interruptions per hour, " + checkpointMinutes + " min per checkpoint, "
                + restartMinutes + " min per restart, setup $" + setupCost.toPlainString();
    }
}

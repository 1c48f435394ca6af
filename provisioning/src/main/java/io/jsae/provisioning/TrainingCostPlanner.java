package io.jsae.provisioning;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The TUMIX savings table: what training costs if early termination stops it after fewer epochs than
 * planned.
 *
 * <p>One TUMIX round is one epoch here (the termination rule is consulted at each epoch's end). With a
 * round setting of {@code minRounds..maxRounds}, TUMIX never stops before {@code minRounds} and always by
 * {@code maxRounds}, so a scenario outside that range cannot happen and is marked impossible rather than
 * shown as a saving. The baseline is the planned run without early termination and is not subject to the
 * round setting. This class sees only plain numbers: it does not depend on the tumix module.
 *
 * <p>With 1.2 h per epoch at $1.29/h: 10 epochs (baseline) cost $15.48, 2 epochs $3.10 (80% saved),
 * 3 epochs $4.64 (70% saved); a 7-epoch scenario is impossible under a 5-round cap.
 */
public final class TrainingCostPlanner {

    private final Offer offer;
    private final BigDecimal hoursPerEpoch;

    /**
     * A planner for one offer and epoch length.
     *
     * @param offer         the offer the training runs on
     * @param hoursPerEpoch wall-clock hours of one epoch, positive
     */
    public TrainingCostPlanner(Offer offer, BigDecimal hoursPerEpoch) {
        this.offer = Objects.requireNonNull(offer, "offer");
        this.hoursPerEpoch = Objects.requireNonNull(hoursPerEpoch, "hoursPerEpoch");
        if (hoursPerEpoch.signum() <= 0) {
            throw new IllegalArgumentException("hoursPerEpoch is " + hoursPerEpoch + "; give a positive number");
        }
    }

    /**
     * Plans without a round setting: every scenario up to the baseline length is possible.
     *
     * @param baselineEpochs epochs of the planned run without early termination, at least 1
     * @param scenarioEpochs epochs after which early termination might stop the run
     * @return the table
     */
    public SavingsTable plan(int baselineEpochs, List<Integer> scenarioEpochs) {
        return plan(baselineEpochs, scenarioEpochs, Optional.empty());
    }

    /**
     * Plans under a TUMIX round setting: scenarios outside {@code minRounds..maxRounds} are impossible.
     *
     * @param baselineEpochs epochs of the planned run without early termination, at least 1
     * @param scenarioEpochs epochs after which early termination might stop the run
     * @param limits         the TUMIX minimum and maximum rounds
     * @return the table
     */
    public SavingsTable plan(int baselineEpochs, List<Integer> scenarioEpochs, RoundLimits limits) {
        return plan(baselineEpochs, scenarioEpochs, Optional.of(limits));
    }

    private SavingsTable plan(int baselineEpochs, List<Integer> scenarioEpochs, Optional<RoundLimits> limits) {
        if (baselineEpochs < 1) {
            throw new IllegalArgumentException("baselineEpochs is " + baselineEpochs + "; give at least 1");
        }
        BigDecimal baselineCost = cost(baselineEpochs);
        SavingsRow baseline = new SavingsRow(baselineEpochs, hours(baselineEpochs), baselineCost,
                BigDecimal.ZERO, BigDecimal.ZERO, true, Optional.empty());
        List<SavingsRow> rows = new ArrayList<>();
        for (int epochs : scenarioEpochs) {
            if (epochs < 1) {
                throw new IllegalArgumentException("scenario of " + epochs + " epochs; give at least 1");
            }
            BigDecimal cost = cost(epochs);
            rows.add(new SavingsRow(epochs, hours(epochs), cost, baselineCost.subtract(cost),
                    Money.percentBelow(baselineCost, cost), false, whyImpossible(epochs, baselineEpochs, limits)));
        }
        return new SavingsTable(offer, hoursPerEpoch, baseline, rows, limits);
    }

    private static Optional<String> whyImpossible(int epochs, int baselineEpochs, Optional<RoundLimits> limits) {
        if (epochs > baselineEpochs) {
            return Optional.of("longer than the " + baselineEpochs + "-epoch baseline");
        }
        if (limits.isPresent() && epochs > limits.get().maxRounds()) {
            return Optional.of("impossible under a " + limits.get().maxRounds() + "-round cap: TUMIX stops by epoch "
                    + limits.get().maxRounds());
        }
        if (limits.isPresent() && epochs < limits.get().minRounds()) {
            return Optional.of("impossible with a minimum of " + limits.get().minRounds()
                    + " rounds: TUMIX does not stop before epoch " + limits.get().minRounds());
        }
        return Optional.empty();
    }

    private BigDecimal hours(int epochs) {
        return hoursPerEpoch.multiply(BigDecimal.valueOf(epochs));
    }

    private BigDecimal cost(int epochs) {
        return offer.pricePerHour().multiply(hours(epochs));
    }

    /**
     * A TUMIX round setting as plain numbers.
     *
     * @param minRounds rounds before which TUMIX never stops, at least 1
     * @param maxRounds rounds by which TUMIX always stops, at least {@code minRounds}
     */
    public record RoundLimits(int minRounds, int maxRounds) {

        /**
         * Validates the range.
         *
         * @param minRounds rounds before which TUMIX never stops, at least 1
         * @param maxRounds rounds by which TUMIX always stops, at least {@code minRounds}
         */
        public RoundLimits {
            if (minRounds < 1 || maxRounds < minRounds) {
                throw new IllegalArgumentException("round limits " + minRounds + ".." + maxRounds
                        + " are not a range; give 1 <= minRounds <= maxRounds");
            }
        }
    }

    /**
     * One row of the savings table.
     *
     * @param epochs            epochs trained
     * @param hours             wall-clock hours
     * @param cost              cost, unrounded
     * @param saving            baseline cost minus this cost, unrounded
     * @param savingPercent     percent saved against the baseline, unrounded
     * @param baseline          whether this is the baseline row
     * @param impossibleBecause why the round setting rules this scenario out; empty when it is possible
     */
    public record SavingsRow(int epochs, BigDecimal hours, BigDecimal cost, BigDecimal saving,
                             BigDecimal savingPercent, boolean baseline, Optional<String> impossibleBecause) {

        /**
         * Says whether the scenario can happen under the round setting.
         *
         * @return true when possible
         */
        public boolean possible() {
            return impossibleBecause.isEmpty();
        }
    }

    /**
     * The TUMIX savings table.
     *
     * @param offer         the offer
     * @param hoursPerEpoch hours of one epoch
     * @param baseline      the planned run without early termination
     * @param scenarios     the early-termination scenarios, in the order given
     * @param limits        the round setting, when one was given
     */
    public record SavingsTable(Offer offer, BigDecimal hoursPerEpoch, SavingsRow baseline, List<SavingsRow> scenarios,
                               Optional<RoundLimits> limits) {

        /**
         * Copies the rows.
         *
         * @param offer the offer
         * @param hoursPerEpoch hours of one epoch
         * @param baseline the planned run without early termination
         * @param scenarios the early-termination scenarios, in the order given
         * @param limits the round setting, when one was given
         */
        public SavingsTable {
            scenarios = List.copyOf(scenarios);
        }

        /**
         * The scenario row for a number of epochs.
         *
         * @param epochs epochs
         * @return the row
         * @throws IllegalArgumentException when the table has no such scenario
         */
        public SavingsRow scenario(int epochs) {
            return scenarios.stream().filter(r -> r.epochs() == epochs).findFirst().orElseThrow(() ->
                    new IllegalArgumentException("no scenario of " + epochs + " epochs in this table"));
        }

        /**
         * The table: Epochs | Hours | Cost | Savings vs baseline | Note.
         *
         * @return Markdown text
         */
        public String toMarkdown() {
            Markdown table = new Markdown("Epochs", "Hours", "Cost", "Savings vs baseline", "Note");
            table.row(String.valueOf(baseline.epochs()), Money.hours(baseline.hours()), Money.usd(baseline.cost()),
                    "baseline", "planned run without early termination, " + CostEstimator.label(offer) + " at "
                            + Money.usd(offer.pricePerHour()) + "/h, " + Money.hours(hoursPerEpoch) + " h per epoch");
            for (SavingsRow row : scenarios) {
                table.row(String.valueOf(row.epochs()), Money.hours(row.hours()), Money.usd(row.cost()),
                        row.possible() ? Money.usd(row.saving()) + " (" + Money.percent(row.savingPercent()) + ")"
                                : "n/a",
                        row.impossibleBecause().orElse(limits.map(l -> "possible with TUMIX rounds "
                                + l.minRounds() + ".." + l.maxRounds()).orElse("")));
            }
            return table.render();
        }
    }
}

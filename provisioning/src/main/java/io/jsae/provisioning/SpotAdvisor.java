package io.jsae.provisioning;

import io.jsae.provisioning.Recommendation.Choice;
import io.jsae.provisioning.Recommendation.Factor;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Spot or on-demand: the guide's decision tree, and a quantitative model beside it.
 *
 * <h2>Decision tree</h2>
 * Spot is recommended only when every factor allows it: the run is not a final production run, not
 * time-sensitive, the job tolerates interruption, checkpoint-resume exists, and at least
 * {@link #MIN_RUNS_FOR_SPOT} runs are planned (fewer runs rarely repay the work and risk of spot). Every
 * factor is reported, not only the one that decided.
 *
 * <h2>Quantitative model</h2>
 * Interruptions are taken as a Poisson process with rate λ per hour, so the mean time between
 * interruptions is M = 1/λ. A checkpoint takes C hours to write, a restart (new instance, reload of the
 * last checkpoint) R hours, and checkpoints are written every τ hours of work.
 * <ul>
 *   <li>Young's interval: τ = sqrt(2·C·M). Source: "A first order approximation to the optimum
 *   checkpoint interval", Communications of the ACM 17(9), 530-531, 1974.</li>
 *   <li>Daly's higher-order interval: τ = sqrt(2·C·M)·[1 + (1/3)·sqrt(C/(2M)) + (1/9)·(C/(2M))] − C when
 *   C &lt; 2M, else τ = M. Source: "A higher order estimate of the optimum checkpoint interval for
 *   restart dumps", Future Generation Computer Systems 22(3), 303-312, 2006.</li>
 *   <li>Expected wall time for W hours of work: T = M·e^(R/M)·(e^((τ+C)/M) − 1)·W/τ (Daly 2006, the
 *   wall-clock model for exponentially distributed interruptions). Without interruptions (λ = 0) it is
 *   W·(1 + C/τ), and W when no checkpoints are written.</li>
 *   <li>Costs: on-demand W·p_od (no interruptions, no checkpoints needed); spot T·p_spot, billing the whole
 *   expected wall time (checkpoint writes, lost work and restarts included, a conservative reading).</li>
 *   <li>Offers of different GPU counts do the same work: W hours on the on-demand instance are W·g_od
 *   GPU-hours, which the spot instance does in W·g_od/g_spot hours of work (assuming the work splits evenly
 *   over the GPUs); T is computed from that.</li>
 *   <li>Break-even with a one-time setup cost S (for example the work of adding checkpoint-resume): the
 *   smallest whole N with N·(cost_od − cost_spot) ≥ S, at least 1; none when spot does not save per run.</li>
 * </ul>
 */
public final class SpotAdvisor {

    /** The guide's threshold: spot pays off from this many planned runs. */
    public static final int MIN_RUNS_FOR_SPOT = 3;

    private static final double SECONDS_PER_HOUR = 3600.0;

    /** Creates an advisor; it holds no state. */
    public SpotAdvisor() {
    }

    /**
     * What the decision tree asks about a job.
     *
     * @param plannedRuns           how many runs of this job are planned
     * @param toleratesInterruption whether an interruption is acceptable at all (no hard deadline per run,
     *                              nobody waiting on a live result)
     * @param hasCheckpointResume   whether training resumes from its last checkpoint after an interruption
     * @param timeSensitive         whether the result is needed by a fixed time
     * @param finalProductionRun    whether this is the final run whose result ships
     */
    public record Situation(int plannedRuns, boolean toleratesInterruption, boolean hasCheckpointResume,
                            boolean timeSensitive, boolean finalProductionRun) {

        /**
         * Validates the run count.
         *
         * @param plannedRuns how many runs of this job are planned
         * @param toleratesInterruption whether an interruption is acceptable at all (no hard deadline per run, nobody waiting on a live result)
         * @param hasCheckpointResume whether training resumes from its last checkpoint after an interruption
         * @param timeSensitive whether the result is needed by a fixed time
         * @param finalProductionRun whether this is the final run whose result ships
         */
        public Situation {
            if (plannedRuns < 1) {
                throw new IllegalArgumentException("plannedRuns is " + plannedRuns + "; give at least 1");
            }
        }
    }

    /**
     * Runs the guide's decision tree.
     *
     * @param s the job
     * @return the choice and the reasoning, factor by factor
     */
    public Recommendation recommend(Situation s) {
        List<Factor> factors = new ArrayList<>();
        factors.add(s.finalProductionRun()
                ? new Factor("final production run", "yes", Choice.ON_DEMAND,
                "the run whose result ships must finish without surprises")
                : new Factor("final production run", "no", Choice.SPOT, "an experiment may be interrupted"));
        factors.add(s.timeSensitive()
                ? new Factor("time-sensitive", "yes", Choice.ON_DEMAND,
                "interruptions and waiting for spot capacity can miss the deadline")
                : new Factor("time-sensitive", "no", Choice.SPOT, "a late finish costs nothing extra"));
        factors.add(s.toleratesInterruption()
                ? new Factor("tolerates interruption", "yes", Choice.SPOT, "an interruption only delays the run")
                : new Factor("tolerates interruption", "no", Choice.ON_DEMAND,
                "the job cannot be interrupted, and spot instances can be reclaimed at any time"));
        factors.add(s.hasCheckpointResume()
                ? new Factor("checkpoint-resume", "yes", Choice.SPOT,
                "an interruption loses only the work since the last checkpoint")
                : new Factor("checkpoint-resume", "no", Choice.ON_DEMAND,
                "an interruption would restart the run from zero"));
        factors.add(s.plannedRuns() >= MIN_RUNS_FOR_SPOT
                ? new Factor("planned runs", String.valueOf(s.plannedRuns()), Choice.SPOT,
                "at least " + MIN_RUNS_FOR_SPOT + " runs: the saving repeats on every run")
                : new Factor("planned runs", String.valueOf(s.plannedRuns()), Choice.ON_DEMAND,
                "fewer than " + MIN_RUNS_FOR_SPOT + " runs rarely repay the work and risk of spot"));
        boolean spot = factors.stream().allMatch(f -> f.favours() == Choice.SPOT);
        return new Recommendation(spot ? Choice.SPOT : Choice.ON_DEMAND, factors);
    }

    /** Which checkpoint interval to use when none is fixed. */
    public enum IntervalRule {
        /** τ = sqrt(2·C·M) (Young 1974). */
        YOUNG,
        /** Daly's higher-order estimate (Daly 2006); closer when C is not small against M. */
        DALY
    }

    /**
     * How often spot interrupts and what an interruption costs in time.
     *
     * @param interruptionsPerHour λ, the mean number of interruptions per hour, 0 or more
     * @param checkpointWrite      C, the time to write one checkpoint
     * @param restart              R, the time from an interruption to training again (new instance, reload)
     * @param rule                 how to choose τ when {@code fixedInterval} is empty
     * @param fixedInterval        τ, hours of work between checkpoints, when set by hand
     */
    public record InterruptionModel(double interruptionsPerHour, Duration checkpointWrite, Duration restart,
                                    IntervalRule rule, Optional<Duration> fixedInterval) {

        /**
         * Validates the parameters.
         *
         * @param interruptionsPerHour λ, the mean number of interruptions per hour, 0 or more
         * @param checkpointWrite C, the time to write one checkpoint
         * @param restart R, the time from an interruption to training again (new instance, reload)
         * @param rule how to choose τ when {@code fixedInterval} is empty
         * @param fixedInterval τ, hours of work between checkpoints, when set by hand
         */
        public InterruptionModel {
            if (!(interruptionsPerHour >= 0) || Double.isInfinite(interruptionsPerHour)) {
                throw new IllegalArgumentException("interruptionsPerHour is " + interruptionsPerHour
                        + "; give a finite rate of 0 or more");
            }
            Objects.requireNonNull(rule, "rule");
            requireNonNegative(checkpointWrite, "checkpointWrite");
            requireNonNegative(restart, "restart");
            fixedInterval.ifPresent(t -> {
                if (t.isZero() || t.isNegative()) {
                    throw new IllegalArgumentException("fixedInterval is " + t + "; give a positive interval");
                }
            });
        }

        /**
         * A model with τ chosen by Young's rule.
         *
         * @param interruptionsPerHour λ
         * @param checkpointWrite      C
         * @param restart              R
         * @return the model
         */
        public static InterruptionModel young(double interruptionsPerHour, Duration checkpointWrite,
                                              Duration restart) {
            return new InterruptionModel(interruptionsPerHour, checkpointWrite, restart, IntervalRule.YOUNG,
                    Optional.empty());
        }

        /**
         * A model with τ chosen by Daly's higher-order rule.
         *
         * @param interruptionsPerHour λ
         * @param checkpointWrite      C
         * @param restart              R
         * @return the model
         */
        public static InterruptionModel daly(double interruptionsPerHour, Duration checkpointWrite,
                                             Duration restart) {
            return new InterruptionModel(interruptionsPerHour, checkpointWrite, restart, IntervalRule.DALY,
                    Optional.empty());
        }

        /**
         * This model with τ set by hand.
         *
         * @param interval hours of work between checkpoints
         * @return the model
         */
        public InterruptionModel withInterval(Duration interval) {
            return new InterruptionModel(interruptionsPerHour, checkpointWrite, restart, rule, Optional.of(interval));
        }

        /**
         * M = 1/λ in hours; infinite when λ is 0.
         *
         * @return mean hours between interruptions
         */
        public double mtbfHours() {
            return interruptionsPerHour == 0 ? Double.POSITIVE_INFINITY : 1.0 / interruptionsPerHour;
        }

        /**
         * τ in hours: the fixed interval, else the rule's optimum; infinite (no checkpoints) when λ is 0.
         *
         * @return hours of work between checkpoints
         */
        public double intervalHours() {
            if (fixedInterval.isPresent()) {
                return fixedInterval.get().toMillis() / 1000.0 / SECONDS_PER_HOUR;
            }
            double c = hours(checkpointWrite);
            double m = mtbfHours();
            if (Double.isInfinite(m)) {
                return Double.POSITIVE_INFINITY;
            }
            return rule == IntervalRule.YOUNG ? youngInterval(c, m) : dalyInterval(c, m);
        }

        private static void requireNonNegative(Duration d, String name) {
            Objects.requireNonNull(d, name);
            if (d.isNegative()) {
                throw new IllegalArgumentException(name + " is " + d + "; give 0 or more");
            }
        }
    }

    static double hours(Duration d) {
        return d.toMillis() / 1000.0 / SECONDS_PER_HOUR;
    }

    /**
     * Young's optimum checkpoint interval τ = sqrt(2·C·M) (Young 1974).
     *
     * @param checkpointHours C, hours to write a checkpoint
     * @param mtbfHours       M, mean hours between interruptions
     * @return τ in hours
     */
    public static double youngInterval(double checkpointHours, double mtbfHours) {
        return Math.sqrt(2 * checkpointHours * mtbfHours);
    }

    /**
     * Daly's higher-order optimum checkpoint interval (Daly 2006): sqrt(2CM)·[1 + (1/3)·sqrt(C/(2M)) +
     * (1/9)·(C/(2M))] − C for C &lt; 2M, else M.
     *
     * @param checkpointHours C, hours to write a checkpoint
     * @param mtbfHours       M, mean hours between interruptions
     * @return τ in hours
     */
    public static double dalyInterval(double checkpointHours, double mtbfHours) {
        if (checkpointHours >= 2 * mtbfHours) {
            return mtbfHours;
        }
        double x = checkpointHours / (2 * mtbfHours);
        return Math.sqrt(2 * checkpointHours * mtbfHours) * (1 + Math.sqrt(x) / 3 + x / 9) - checkpointHours;
    }

    /**
     * Expected wall time T = M·e^(R/M)·(e^((τ+C)/M) − 1)·W/τ for W hours of work (Daly 2006). Limits are
     * taken where the formula divides by zero: with M infinite (no interruptions) T = W·(1 + C/τ), and W
     * when τ is also infinite; with τ = 0 and C = 0 (free, continuous checkpoints) T = e^(R/M)·W. An interval
     * longer than W is taken as W: the run is then a single segment.
     *
     * @param workHours       W, hours of work without interruptions
     * @param intervalHours   τ, hours of work between checkpoints, positive or infinite
     * @param checkpointHours C
     * @param restartHours    R
     * @param mtbfHours       M, positive or infinite
     * @return expected wall-clock hours
     */
    public static double expectedWallHours(double workHours, double intervalHours, double checkpointHours,
                                           double restartHours, double mtbfHours) {
        if (Double.isInfinite(mtbfHours)) {
            return Double.isInfinite(intervalHours) ? workHours : workHours * (1 + checkpointHours / intervalHours);
        }
        if (intervalHours == 0) {
            if (checkpointHours > 0) {
                throw new IllegalArgumentException("a checkpoint interval of 0 with a checkpoint cost of "
                        + checkpointHours + " h never finishes; give a positive interval");
            }
            return Math.exp(restartHours / mtbfHours) * workHours;
        }
        if (workHours == 0) {
            return 0;
        }
        double m = mtbfHours;
        // An interval longer than the run means a single segment: the run is one piece of W hours.
        double tau = Math.min(intervalHours, workHours);
        return m * Math.exp(restartHours / m) * Math.expm1((tau + checkpointHours) / m) * workHours / tau;
    }

    /**
     * Expected wall time and cost of one run on spot against on-demand, and the break-even number of runs.
     *
     * @param onDemand  the on-demand offer
     * @param spot      the spot offer
     * @param workHours hours of work of one run without interruptions, on the on-demand instance (the spot
     *                  instance takes the same GPU-hours: fewer hours when it has more GPUs)
     * @param model     interruption rate, checkpoint and restart times, interval rule
     * @param setupCost one-time cost in US dollars of making the job spot-ready, 0 or more
     * @return the estimate
     */
    public SpotEstimate estimate(Offer onDemand, Offer spot, BigDecimal workHours, InterruptionModel model,
                                 BigDecimal setupCost) {
        Objects.requireNonNull(workHours, "workHours");
        Objects.requireNonNull(setupCost, "setupCost");
        if (workHours.signum() <= 0 || setupCost.signum() < 0) {
            throw new IllegalArgumentException("workHours " + workHours + " must be positive and setupCost "
                    + setupCost + " 0 or more");
        }
        BigDecimal spotWorkHours = CostEstimator.hoursFor(spot,
                workHours.multiply(BigDecimal.valueOf(onDemand.gpuCount())));
        double w = spotWorkHours.doubleValue();
        double tau = model.intervalHours();
        double wall = expectedWallHours(w, tau, hours(model.checkpointWrite()), hours(model.restart()),
                model.mtbfHours());
        double interruptions = wall * model.interruptionsPerHour();
        BigDecimal onDemandCost = onDemand.pricePerHour().multiply(workHours);
        BigDecimal spotCost = spot.pricePerHour().multiply(BigDecimal.valueOf(wall));
        BigDecimal saving = onDemandCost.subtract(spotCost);
        OptionalInt breakEven = OptionalInt.empty();
        if (saving.signum() > 0) {
            int n = setupCost.divide(saving, 0, RoundingMode.CEILING).intValueExact();
            breakEven = OptionalInt.of(Math.max(1, n));
        }
        return new SpotEstimate(onDemand, spot, workHours, spotWorkHours, model, tau, wall, interruptions,
                onDemandCost, spotCost, saving, setupCost, breakEven);
    }

    /**
     * One run on spot against on-demand under an interruption model.
     *
     * @param onDemand               the on-demand offer
     * @param spot                   the spot offer
     * @param workHours              hours of work of one run on the on-demand instance
     * @param spotWorkHours          hours of the same work on the spot instance without interruptions (equal to
     *                               {@code workHours} when both have as many GPUs)
     * @param model                  the interruption model
     * @param intervalHours          τ used, infinite when no checkpoints are needed
     * @param expectedWallHours      expected wall-clock hours on spot
     * @param expectedInterruptions  expected interruptions during that time
     * @param onDemandCost           cost of one run on demand, unrounded
     * @param spotCost               expected cost of one run on spot, unrounded
     * @param savingPerRun           on-demand cost minus spot cost, unrounded (negative: spot is dearer)
     * @param setupCost              the one-time setup cost counted
     * @param breakEvenRuns          runs after which spot has repaid the setup cost; empty when it never does
     */
    public record SpotEstimate(Offer onDemand, Offer spot, BigDecimal workHours, BigDecimal spotWorkHours,
                               InterruptionModel model, double intervalHours, double expectedWallHours,
                               double expectedInterruptions,
                               BigDecimal onDemandCost, BigDecimal spotCost, BigDecimal savingPerRun,
                               BigDecimal setupCost, OptionalInt breakEvenRuns) {

        /**
         * The chance that the spot run is interrupted at least once during its work: 1 − e^(−λ·W).
         *
         * @return a probability in [0, 1)
         */
        public double interruptionProbability() {
            return -Math.expm1(-model.interruptionsPerHour() * spotWorkHours.doubleValue());
        }

        /**
         * Hours spent writing checkpoints: one per τ of work (τ at most W), C each; 0 when none are needed.
         *
         * @return hours
         */
        public double checkpointHours() {
            if (Double.isInfinite(intervalHours) || intervalHours == 0) {
                return 0;
            }
            double w = spotWorkHours.doubleValue();
            return w / Math.min(intervalHours, w) * hours(model.checkpointWrite());
        }

        /**
         * Hours spent restarting, about the expected interruptions times R (an interruption during a restart
         * makes it shorter, so this leans high).
         *
         * @return hours
         */
        public double restartHours() {
            return expectedInterruptions * hours(model.restart());
        }

        /**
         * The rest of the expected wall time beyond the work, checkpoint writes and restarts: work lost since the
         * last checkpoint and done again, about T − W − checkpoint writes − restarts (0 at least).
         *
         * @return hours
         */
        public double lostWorkHours() {
            return Math.max(0, expectedWallHours - spotWorkHours.doubleValue() - checkpointHours() - restartHours());
        }

        /**
         * The model behind the numbers, spelled out as a Markdown list: the assumptions, the checkpoint interval,
         * the chance of an interruption, the expected wall time and where its overhead goes (checkpoint writes,
         * restarts, lost work), and the resulting expected costs.
         *
         * @return Markdown text, one item per line
         */
        public String explain() {
            double lambda = model.interruptionsPerHour();
            double w = spotWorkHours.doubleValue();
            StringBuilder out = new StringBuilder();
            if (lambda == 0) {
                out.append("- no interruptions assumed (λ = 0): no checkpoints are needed and the wall time T is the"
                        + " work W = ").append(decimal(w, 2)).append(" h\n");
            } else {
                double c = hours(model.checkpointWrite());
                double r = hours(model.restart());
                out.append("- interruptions: a Poisson process with λ = ").append(model.interruptionsPerHour())
                        .append(" per hour, so M = 1/λ = ").append(decimal(model.mtbfHours(), 2))
                        .append(" h between interruptions on average; writing a checkpoint takes C = ")
                        .append(decimal(c, 3)).append(" h, a restart (new instance, reload) R = ")
                        .append(decimal(r, 3)).append(" h\n");
                String rule = model.fixedInterval().isPresent() ? "set by hand"
                        : model.rule() == IntervalRule.YOUNG ? "Young: sqrt(2·C·M)"
                        : "Daly: sqrt(2CM)·[1 + (1/3)·sqrt(C/(2M)) + (1/9)·(C/(2M))] − C";
                out.append("- checkpoint interval τ (").append(rule).append(") = ").append(decimal(intervalHours, 2))
                        .append(" h of work").append(intervalHours > w ? " (longer than the run: one segment of W)"
                                : "").append("\n");
                out.append("- chance of at least one interruption during W = ").append(decimal(w, 2))
                        .append(" h of work: 1 − e^(−λW) = ").append(decimal(100 * interruptionProbability(), 1))
                        .append("%\n");
                out.append("- expected wall time T = M·e^(R/M)·(e^((τ+C)/M) − 1)·W/τ = ")
                        .append(decimal(expectedWallHours, 2)).append(" h, with λT = ")
                        .append(decimal(expectedInterruptions, 2)).append(" interruptions expected\n");
                out.append("- overhead T − W = ").append(decimal(expectedWallHours - w, 2))
                        .append(" h: checkpoint writes W/τ·C ≈ ").append(decimal(checkpointHours(), 2))
                        .append(" h, restarts λT·R ≈ ").append(decimal(restartHours(), 2))
                        .append(" h, lost work redone ≈ ").append(decimal(lostWorkHours(), 2)).append(" h\n");
            }
            out.append("- expected cost of one run: spot T·p_spot = ").append(decimal(expectedWallHours, 2))
                    .append(" h × ").append(Money.usd(spot.pricePerHour())).append("/h = ")
                    .append(Money.usd(spotCost)).append(", on-demand W·p_od = ").append(Money.hours(workHours))
                    .append(" h × ").append(Money.usd(onDemand.pricePerHour())).append("/h = ")
                    .append(Money.usd(onDemandCost)).append(" (no interruptions, no checkpoints needed)\n");
            return out.toString();
        }

        /**
         * The estimate as a Markdown table followed by the saving and break-even lines.
         *
         * @return Markdown text
         */
        public String toMarkdown() {
            Markdown table = new Markdown("Quantity", CostEstimator.label(onDemand), CostEstimator.label(spot));
            table.row("price", CostEstimator.price(onDemand, CostEstimator.Rendering.PLAIN),
                    CostEstimator.price(spot, CostEstimator.Rendering.PLAIN));
            table.row("work", Money.hours(workHours) + " h", Money.hours(spotWorkHours) + " h");
            table.row("interruptions per hour (λ)", "0", decimal(model.interruptionsPerHour(), 3));
            table.row("chance of at least one interruption (1 − e^(−λW))", "0",
                    decimal(100 * interruptionProbability(), 1) + "%");
            table.row("checkpoint interval (τ)", "none needed", Double.isInfinite(intervalHours) ? "none needed"
                    : decimal(intervalHours, 2) + " h (" + (model.fixedInterval().isPresent() ? "fixed"
                    : model.rule() == IntervalRule.YOUNG ? "Young" : "Daly") + ")");
            table.row("expected interruptions (λT)", "0", decimal(expectedInterruptions, 2));
            table.row("checkpoint writes (W/τ · C)", "0 h", decimal(checkpointHours(), 2) + " h");
            table.row("restart overhead (interruptions · R)", "0 h", decimal(restartHours(), 2) + " h");
            table.row("lost work redone (the rest of T)", "0 h", decimal(lostWorkHours(), 2) + " h");
            table.row("expected wall time", Money.hours(workHours) + " h", decimal(expectedWallHours, 2) + " h");
            table.row("expected cost per run", Money.usd(onDemandCost), Money.usd(spotCost));
            StringBuilder out = new StringBuilder(table.render()).append('\n');
            out.append("Saving per run on spot: ").append(Money.usd(savingPerRun)).append(" (")
                    .append(CostEstimator.versus(Money.percentBelow(onDemandCost, spotCost))).append(").\n");
            out.append("One-time setup cost ").append(Money.usd(setupCost)).append(": ");
            if (breakEvenRuns.isPresent()) {
                out.append("spot breaks even after ").append(breakEvenRuns.getAsInt()).append(" run")
                        .append(breakEvenRuns.getAsInt() == 1 ? "" : "s").append(".\n");
            } else {
                out.append("spot never breaks even, since it does not save on a run.\n");
            }
            return out.toString();
        }

        private static String decimal(double value, int places) {
            return BigDecimal.valueOf(value).setScale(places, RoundingMode.HALF_UP).toPlainString();
        }
    }
}

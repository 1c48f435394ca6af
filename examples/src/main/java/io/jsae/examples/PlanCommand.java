package io.jsae.examples;

import io.jsae.examples.CatalogOptions.PriceSet;
import io.jsae.provisioning.CostEstimator;
import io.jsae.provisioning.Recommendation;
import io.jsae.provisioning.RunEstimate;
import io.jsae.provisioning.SpotAdvisor;
import io.jsae.provisioning.TrainingCostPlanner;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * Plans a paid GPU run from the dated price catalog, for one set of prices (the guide's by default, so that its
 * figures come out: 10 epochs of 1.2 h on a Lambda A100 at $1.29/h is $15.48): the offers compared for the same
 * work (per GPU-hour, so that an 8-GPU instance is not read as many times dearer), the planned runs on on-demand
 * against spot, the TUMIX savings with the scenarios the round cap rules out marked, the spot decision with its
 * expected-cost model spelled out, and last the line {@code estimate: $15.48 ± 10% (A100 Lambda on-demand, 12 h)}
 * that a metered run takes as its budget ({@link RunEstimate}).
 */
@Command(name = "plan", mixinStandardHelpOptions = true,
        description = {"Plan a GPU run from the dated price catalog: offers compared per GPU-hour, on-demand against"
                + " spot over the planned runs, TUMIX savings, the spot decision with its expected-cost model, and"
                + " the run's estimate.",
                "Prices: --prices guide (default) or newest."})
public final class PlanCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Mixin
    private CatalogOptions catalog;

    @Mixin
    private TumixOptions tumix;

    @Mixin
    private SpotOptions spot;

    @Option(names = "--runs", defaultValue = "3", description = "Planned runs (default: ${DEFAULT-VALUE}).")
    private int runs;

    @Option(names = "--tolerance", defaultValue = "10", paramLabel = "PERCENT",
            description = "Tolerance of the estimate in percent (default: ${DEFAULT-VALUE}).")
    private BigDecimal tolerancePercent;

    @Option(names = "--markdown", description = "Print Markdown instead of plain text.")
    private boolean markdown;

    @Override
    public Integer call() throws Exception {
        try {
            return tables();
        } catch (IllegalArgumentException e) { // the planner's checks of the numbers given (hours, epochs, rates)
            throw CostSections.badPlannerInput("plan", e);
        }
    }

    private Integer tables() throws Exception {
        CatalogOptions.Prices which = catalog.prices(CatalogOptions.Prices.GUIDE);
        if (which == CatalogOptions.Prices.BOTH) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--prices both: plan uses one set of prices;"
                    + " give guide or newest (cost-tables prints both)");
        }
        if (runs < 1 || tolerancePercent.signum() < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--runs must be at least 1 and --tolerance 0"
                    + " or more (got " + runs + " and " + tolerancePercent.toPlainString() + ")");
        }
        PriceSet set = catalog.sets(which).get(0);
        CostEstimator estimator = catalog.estimator();
        BigDecimal hours = tumix.plannedHours();

        StringWriter text = new StringWriter();
        PrintWriter md = new PrintWriter(text);
        md.println("# Plan: " + tumix.epochs() + " epochs of " + plain(tumix.hoursPerEpoch()) + " h on "
                + catalog.gpu() + " (" + plain(hours) + " h), " + runs + " run" + (runs == 1 ? "" : "s"));
        md.println();
        md.println(set.title() + ", from the " + catalog.catalogName() + " catalog, judged on " + catalog.day()
                + "; prices older than " + catalog.staleDays() + " days carry a footnote.");
        md.println();
        md.println("## Offers for the same work");
        md.println();
        CostSections.providers(md, estimator, set, hours);
        md.println();
        md.println("## " + runs + " run" + (runs == 1 ? "" : "s") + ": on-demand against spot");
        md.println();
        CostSections.runs(md, estimator, set, hours, runs);
        md.println();
        md.println("## TUMIX early termination (rounds " + tumix.rounds() + ", one per epoch)");
        md.println();
        CostSections.savings(md, tumix, set);
        impossible(md, tumix.savings(set.baseline()));
        md.println();
        md.println("## Spot or on-demand");
        md.println();
        Recommendation tree = new SpotAdvisor().recommend(spot.situation(runs));
        md.print(tree.reasoning());
        md.println();
        md.println("Expected cost under interruptions (assumed: " + spot.assumptions() + "; change them with the"
                + " options):");
        md.println();
        SpotAdvisor.SpotEstimate expected = CostSections.spotEstimate(md, set, hours, spot);
        md.println();
        md.print(expected.explain());
        md.println();
        md.println(decision(tree, expected, runs));
        md.println();
        md.println("## Estimate");
        md.println();
        md.println(estimate(estimator, set, hours).line());
        md.flush();

        PrintWriter out = spec.commandLine().getOut();
        out.print(markdown ? text.toString() : PlainText.of(text.toString()));
        out.flush();
        return 0;
    }

    /**
     * The planned run's estimate: the set's on-demand baseline for the planned hours, with the tolerance.
     *
     * @param estimator the estimator
     * @param set       the price set
     * @param hours     hours of the planned run
     * @return the estimate
     */
    private RunEstimate estimate(CostEstimator estimator, PriceSet set, BigDecimal hours) {
        return RunEstimate.of(estimator, set.baseline(), hours, tolerancePercent.movePointLeft(2));
    }

    /** Names the scenarios the round setting rules out, which the table keeps and marks. */
    private static void impossible(PrintWriter md, TrainingCostPlanner.SavingsTable table) {
        List<TrainingCostPlanner.SavingsRow> ruledOut = table.scenarios().stream()
                .filter(r -> !r.possible()).toList();
        if (ruledOut.isEmpty()) {
            return;
        }
        md.println();
        md.println("Kept in the table but impossible under the round setting:");
        for (TrainingCostPlanner.SavingsRow row : ruledOut) {
            md.println("- " + row.epochs() + " epochs: " + row.impossibleBecause().orElseThrow());
        }
    }

    /**
     * The decision: the tree's choice, held against the expected costs and the break-even number of runs.
     *
     * @param tree     the decision tree's recommendation
     * @param expected the expected-cost model's numbers for one run
     * @param runs     planned runs
     * @return one line
     */
    static String decision(Recommendation tree, SpotAdvisor.SpotEstimate expected, int runs) {
        BigDecimal saving = expected.savingPerRun();
        String costs = "($" + cents(expected.spotCost()) + " on spot against $" + cents(expected.onDemandCost())
                + " on demand)";
        String perRun = "$" + cents(saving.abs()) + " per run in expectation " + costs;
        boolean saves = saving.signum() > 0;
        boolean repaid = expected.breakEvenRuns().isPresent() && expected.breakEvenRuns().getAsInt() <= runs;
        if (tree.choice() == Recommendation.Choice.ON_DEMAND) {
            return "Decision: on-demand, as the decision tree says (the factors above)" + (saves
                    ? "; spot would save " + perRun + " but the job is not suited to it." : ".");
        }
        if (!saves) {
            return "Decision: on-demand. The decision tree allows spot, but under the assumed interruptions it costs $"
                    + cents(saving.abs()) + " more per run in expectation " + costs + ".";
        }
        if (!repaid) {
            return "Decision: on-demand. The decision tree allows spot and it saves " + perRun + ", but the $"
                    + cents(expected.setupCost()) + " setup is repaid only "
                    + (expected.breakEvenRuns().isPresent() ? "after " + expected.breakEvenRuns().getAsInt() + " runs"
                    : "never") + ", more than the " + runs + " planned.";
        }
        return "Decision: spot. The decision tree allows it, and spot saves " + perRun + "; the $"
                + cents(expected.setupCost()) + " setup is repaid after " + expected.breakEvenRuns().getAsInt()
                + " of the " + runs + " planned runs.";
    }

    private static String cents(BigDecimal amount) {
        return amount.setScale(2, java.math.RoundingMode.HALF_UP).toPlainString();
    }

    private static String plain(BigDecimal value) {
        BigDecimal v = value.stripTrailingZeros();
        return (v.scale() < 0 ? v.setScale(0) : v).toPlainString();
    }
}

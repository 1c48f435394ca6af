package io.jsae.examples;

import io.jsae.examples.CatalogOptions.PriceSet;
import io.jsae.provisioning.CostEstimator;
import io.jsae.provisioning.SpotAdvisor;

import java.io.PrintWriter;
import java.math.BigDecimal;

/**
 * The Markdown sections that {@code cost-tables} (once per price set) and {@code plan} (for its one set) both
 * print, so that the two commands show the same tables the same way, and the failure both report when the
 * planner refuses the numbers given.
 */
final class CostSections {

    private CostSections() {
    }

    /** The failure of a planner check of the numbers given to {@code command} (hours, epochs, rounds, rates). */
    static CommandFailure badPlannerInput(String command, IllegalArgumentException e) {
        return new CommandFailure(ExitCode.USAGE, command + ": " + e.getMessage(),
                "give positive hours and epochs, --min-rounds <= --max-rounds and rates of 0 or more");
    }

    /**
     * The offers of a set compared for the same work, with the basis of the comparison first and the rows left
     * out as superseded after.
     *
     * @param out       where to print
     * @param estimator the estimator
     * @param set       the price set
     * @param hours     hours of the run on the baseline
     * @return the comparison printed
     */
    static CostEstimator.Comparison providers(PrintWriter out, CostEstimator estimator, PriceSet set,
                                              BigDecimal hours) {
        CostEstimator.Comparison comparison = estimator.compare(set.baseline(), set.gpus().offers(), hours);
        out.println(comparison.basis());
        out.println();
        out.print(comparison.toMarkdown(CostEstimator.Rendering.dated(set.footnotePrefix())));
        CatalogOptions.printLeftOut(out, set);
        return comparison;
    }

    /**
     * 1 to {@code runs} runs on the set's baseline against its spot offer, prices dated.
     *
     * @param out       where to print
     * @param estimator the estimator
     * @param set       the price set
     * @param hours     hours of one run
     * @param runs      planned runs
     */
    static void runs(PrintWriter out, CostEstimator estimator, PriceSet set, BigDecimal hours, int runs) {
        out.print(estimator.compareRuns(set.baseline(), set.spot(), hours, runs)
                .toMarkdown(CostEstimator.Rendering.dated("")));
    }

    /**
     * The TUMIX savings table priced at the set's baseline, impossible scenarios marked.
     *
     * @param out   where to print
     * @param tumix the TUMIX options
     * @param set   the price set
     */
    static void savings(PrintWriter out, TumixOptions tumix, PriceSet set) {
        out.println("Priced at " + set.baseline() + ".");
        out.println();
        out.print(tumix.savings(set.baseline()).toMarkdown());
    }

    /**
     * The expected cost of one run on the set's spot offer against its baseline under the interruption model.
     *
     * @param out   where to print
     * @param set   the price set
     * @param hours hours of work of one run
     * @param spot  the spot options
     * @return the estimate printed
     */
    static SpotAdvisor.SpotEstimate spotEstimate(PrintWriter out, PriceSet set, BigDecimal hours, SpotOptions spot) {
        out.println("Prices: " + set.baseline() + "; " + set.spot() + ".");
        out.println();
        SpotAdvisor.SpotEstimate estimate = new SpotAdvisor().estimate(set.baseline(), set.spot(), hours, spot.model(),
                spot.setupCost());
        out.print(estimate.toMarkdown());
        return estimate;
    }
}

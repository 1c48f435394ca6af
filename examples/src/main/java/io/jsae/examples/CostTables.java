package io.jsae.examples;

import io.jsae.examples.CatalogOptions.PriceSet;
import io.jsae.provisioning.CostEstimator;
import io.jsae.provisioning.SpotAdvisor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.math.BigDecimal;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * Prints the GPU guide's tables as Markdown, every figure computed from the dated price catalog: the provider
 * comparison, several runs on on-demand against spot, the TUMIX savings, and the spot recommendation with its
 * quantitative estimate.
 *
 * <p>By default each table is printed twice, side by side in the document: once from the guide's prices (the
 * catalog's rows dated up to {@code --guide-date}, so that the guide's own figures such as $15.48 and $8.28
 * come out unchanged) and once from the newest prices (each offer's latest row, with plain rows that a newer,
 * more precise row supersedes left out and listed). Every price shows its date. {@code --prices guide} or
 * {@code --prices newest} prints one set.
 */
@Command(name = "cost-tables", mixinStandardHelpOptions = true,
        description = "Print the GPU guide's cost tables as Markdown, computed from the dated price catalog.")
public final class CostTables implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Mixin
    private CatalogOptions catalog;

    @Mixin
    private TumixOptions tumix;

    @Mixin
    private SpotOptions spot;

    @Option(names = "--hours", defaultValue = "12", description = "Hours of one run (default: ${DEFAULT-VALUE}).")
    private BigDecimal hours;

    @Option(names = "--runs", defaultValue = "3", description = "Planned runs (default: ${DEFAULT-VALUE}).")
    private int runs;

    @Override
    public Integer call() throws Exception {
        try {
            return tables();
        } catch (IllegalArgumentException e) { // the planner's checks of the numbers given (hours, epochs, rates)
            throw CostSections.badPlannerInput("cost-tables", e);
        }
    }

    private Integer tables() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        CatalogOptions.Prices prices = catalog.prices(CatalogOptions.Prices.BOTH);
        List<PriceSet> sets = catalog.sets(prices);
        CostEstimator estimator = catalog.estimator();
        boolean both = prices == CatalogOptions.Prices.BOTH;

        out.println("# GPU cost tables");
        out.println();
        out.println("Every figure below is computed from the dated price catalog (" + catalog.catalogName()
                + "), judged on " + catalog.day() + "; every price shows its date, and prices older than "
                + catalog.staleDays() + " days carry a footnote.");
        out.println();
        if (both) {
            out.println("Each table comes twice: from the guide's prices (the catalog's rows dated up to "
                    + catalog.guideDay() + ", from which the guide's own figures are computed) and from the newest"
                    + " prices (each offer's latest row; a plain row that a newer, more precise row supersedes is left"
                    + " out and listed). `--prices guide` or `--prices newest` prints one of them.");
            out.println();
        }
        out.println("## Providers: one " + hours.stripTrailingZeros().toPlainString() + "-hour run on " + catalog.gpu());
        for (PriceSet set : sets) {
            heading(out, set);
            CostSections.providers(out, estimator, set, hours);
        }
        out.println();
        out.println("## Repeated runs: on-demand against spot");
        for (PriceSet set : sets) {
            heading(out, set);
            CostSections.runs(out, estimator, set, hours, runs);
        }
        out.println();
        out.println("## TUMIX early termination savings (TUMIX rounds " + tumix.rounds() + ")");
        for (PriceSet set : sets) {
            heading(out, set);
            CostSections.savings(out, tumix, set);
        }
        out.println();
        out.println("## Spot or on-demand");
        out.println();
        out.print(new SpotAdvisor().recommend(spot.situation(runs)).reasoning());
        out.println();
        out.println("Expected cost under interruptions (assumed: " + spot.assumptions() + "; change them with the"
                + " options):");
        for (PriceSet set : sets) {
            heading(out, set);
            CostSections.spotEstimate(out, set, hours, spot);
        }
        out.flush();
        return 0;
    }

    private static void heading(PrintWriter out, PriceSet set) {
        out.println();
        out.println("### " + set.title());
        out.println();
    }
}

package io.jsae.examples;

import io.jsae.provisioning.CostEstimator;
import io.jsae.provisioning.Offer;
import io.jsae.provisioning.PriceCatalog;
import io.jsae.provisioning.PriceCatalog.Superseded;
import io.jsae.provisioning.PricingModel;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The price-catalog options that {@code cost-tables} and {@code plan} share (a picocli mixin), and what they
 * select: the catalog, the day prices are judged on, the sets of prices (the guide's rows, the newest rows),
 * and in each set the on-demand baseline and the spot offer compared.
 */
final class CatalogOptions {

    @Spec(Spec.Target.MIXEE)
    private CommandSpec spec;

    /** Which prices the tables are computed from. */
    enum Prices {
        /** The guide's rows: those dated up to {@code --guide-date}. */
        GUIDE,
        /** Each offer's latest row, superseded plain rows left out. */
        NEWEST,
        /** Both sets, the guide's first. */
        BOTH
    }

    /** Reads {@link Prices} ignoring case, so that {@code --prices guide} works. */
    static final class PricesConverter implements CommandLine.ITypeConverter<Prices> {
        @Override
        public Prices convert(String value) {
            try {
                return Prices.valueOf(value.strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not one of guide, newest, both");
            }
        }
    }

    @Option(names = "--catalog", paramLabel = "FILE", description = "Price catalog CSV (default: the bundled catalog).")
    private Path catalogFile;

    @Option(names = "--prices", converter = PricesConverter.class, paramLabel = "SET",
            description = "Prices the tables use: guide (the guide's rows, dated up to --guide-date), newest (each"
                    + " offer's latest row; plain rows superseded by newer, more precise ones left out) or both, one"
                    + " after the other (default: guide for plan, both for cost-tables).")
    private Prices prices;

    @Option(names = "--guide-date", description = "Rows dated up to this ISO day are the guide's (default: "
            + "2025-10-01, the day the bundled catalog gives the guide's figures).")
    private LocalDate guideDate;

    @Option(names = "--gpu", defaultValue = "A100", description = "GPU model compared (default: ${DEFAULT-VALUE}).")
    private String gpu;

    @Option(names = {"--baseline", "--baseline-provider"}, paramLabel = "PROVIDER", defaultValue = "Lambda",
            description = "Provider of the on-demand baseline, a 1-GPU offer (default: ${DEFAULT-VALUE}).")
    private String baselineProvider;

    @Option(names = "--spot-provider", paramLabel = "PROVIDER", defaultValue = "RunPod",
            description = "Provider of the spot offer compared (default: ${DEFAULT-VALUE}).")
    private String spotProvider;

    @Option(names = "--stale-days", defaultValue = "90",
            description = "Prices older than this many days get a footnote (default: ${DEFAULT-VALUE}).")
    private int staleDays;

    @Option(names = "--today", description = "The day staleness is judged on, ISO date (default: today, UTC).")
    private LocalDate today;

    /**
     * One set of prices.
     *
     * @param title          e.g. "The guide's prices (rows dated up to 2025-10-01)"
     * @param gpus           the catalog's rows of the GPU model, as of the set
     * @param footnotePrefix footnote label prefix, so that several sets can share a document
     * @param leftOut        rows left out as superseded (newest prices only)
     * @param baseline       the on-demand baseline of the set
     * @param spot           the cheapest spot offer of the spot provider in the set
     */
    record PriceSet(String title, PriceCatalog gpus, String footnotePrefix, List<Superseded> leftOut, Offer baseline,
                    Offer spot) {
    }

    /** @return the GPU model compared */
    String gpu() {
        return gpu;
    }

    /** @return the day prices are judged on: {@code --today}, else today in UTC */
    LocalDate day() {
        return today != null ? today : LocalDate.now(ZoneOffset.UTC);
    }

    /** @return the estimator with {@code --stale-days} and a clock fixed at {@link #day()} */
    CostEstimator estimator() {
        return new CostEstimator(Duration.ofDays(staleDays),
                Clock.fixed(day().atStartOfDay().toInstant(ZoneOffset.UTC), ZoneOffset.UTC));
    }

    /** @return "bundled" or the catalog file's name */
    String catalogName() {
        return catalogFile == null ? "bundled" : String.valueOf(catalogFile.getFileName());
    }

    /** @return the stale limit in days */
    int staleDays() {
        return staleDays;
    }

    /** @return the day up to which rows are the guide's */
    LocalDate guideDay() {
        return guideDate != null ? guideDate : PriceCatalog.GUIDE_DATE;
    }

    /**
     * @param fallback the command's default when {@code --prices} is not given
     * @return the price sets asked for
     */
    Prices prices(Prices fallback) {
        return prices != null ? prices : fallback;
    }

    /**
     * Loads the catalog and builds the price sets asked for, each with its baseline and spot offer.
     *
     * @param which which sets
     * @return the sets, the guide's first
     * @throws IOException when the catalog file cannot be read
     */
    List<PriceSet> sets(Prices which) throws IOException {
        PriceCatalog catalog = catalogFile == null ? PriceCatalog.bundled() : PriceCatalog.load(catalogFile);
        PriceCatalog gpus = catalog.withGpuModel(gpu);
        boolean both = which == Prices.BOTH;
        List<PriceSet> sets = new ArrayList<>();
        if (which != Prices.NEWEST) {
            sets.add(set("The guide's prices (rows dated up to " + guideDay() + ")", gpus.asOf(guideDay()),
                    both ? "g" : "", List.of()));
        }
        if (which != Prices.GUIDE) {
            sets.add(set("The newest prices (each offer's latest row)", gpus.withoutSuperseded(), both ? "n" : "",
                    gpus.superseded()));
        }
        return sets;
    }

    private PriceSet set(String title, PriceCatalog gpus, String prefix, List<Superseded> leftOut) {
        List<Offer> found = gpus.withProvider(baselineProvider).withGpuCount(1)
                .withPricingModel(PricingModel.ON_DEMAND).offers();
        if (found.size() != 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), title + ": expected one 1x " + gpu
                    + " on-demand offer of " + baselineProvider + " as the baseline but found " + found.size()
                    + (found.isEmpty() ? "" : " " + found) + "; pick another --baseline, or name the model"
                    + " more precisely with --gpu");
        }
        Offer spot = gpus.withProvider(spotProvider).withGpuCount(1).withPricingModel(PricingModel.SPOT).offers()
                .stream().min(Comparator.comparing(Offer::pricePerHour))
                .orElseThrow(() -> new CommandLine.ParameterException(spec.commandLine(), title
                        + ": the catalog has no 1x " + gpu + " spot offer from " + spotProvider
                        + "; pick another --spot-provider"));
        return new PriceSet(title, gpus, prefix, leftOut, found.get(0), spot);
    }

    /**
     * Prints the rows a set left out as superseded, if any.
     *
     * @param out where to print
     * @param set the set
     */
    static void printLeftOut(PrintWriter out, PriceSet set) {
        if (set.leftOut().isEmpty()) {
            return;
        }
        out.println();
        out.println("Left out as superseded by newer, more precise rows:");
        out.println();
        for (Superseded s : set.leftOut()) {
            out.println("- " + s.row() + ", superseded by " + s.by().stream().map(Offer::toString)
                    .collect(Collectors.joining("; ")));
        }
    }
}

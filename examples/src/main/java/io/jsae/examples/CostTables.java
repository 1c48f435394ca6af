package io.jsae.examples;

import io.jsae.provisioning.CostEstimator;
import io.jsae.provisioning.Offer;
import io.jsae.provisioning.PriceCatalog;
import io.jsae.provisioning.PriceCatalog.Superseded;
import io.jsae.provisioning.PricingModel;
import io.jsae.provisioning.Recommendation;
import io.jsae.provisioning.SpotAdvisor;
import io.jsae.provisioning.TrainingCostPlanner;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

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

    @Option(names = "--catalog", description = "Price catalog CSV (default: the bundled catalog).")
    private Path catalogFile;

    @Option(names = "--prices", defaultValue = "both", converter = PricesConverter.class,
            description = "Prices the tables use: guide (the guide's rows, dated up to --guide-date), newest (each"
                    + " offer's latest row; plain rows superseded by newer, more precise ones left out) or both,"
                    + " one after the other (default: ${DEFAULT-VALUE}).")
    private Prices prices;

    @Option(names = "--guide-date", description = "Rows dated up to this ISO day are the guide's (default: "
            + "2025-10-01, the day the bundled catalog gives the guide's figures).")
    private LocalDate guideDate;

    @Option(names = "--gpu", defaultValue = "A100", description = "GPU model compared (default: ${DEFAULT-VALUE}).")
    private String gpu;

    @Option(names = "--hours", defaultValue = "12", description = "Hours of one run (default: ${DEFAULT-VALUE}).")
    private BigDecimal hours;

    @Option(names = "--runs", defaultValue = "3", description = "Planned runs (default: ${DEFAULT-VALUE}).")
    private int runs;

    @Option(names = "--baseline-provider", defaultValue = "Lambda",
            description = "Provider of the on-demand baseline (default: ${DEFAULT-VALUE}).")
    private String baselineProvider;

    @Option(names = "--spot-provider", defaultValue = "RunPod",
            description = "Provider of the spot offer compared (default: ${DEFAULT-VALUE}).")
    private String spotProvider;

    @Option(names = "--stale-days", defaultValue = "90",
            description = "Prices older than this many days get a footnote (default: ${DEFAULT-VALUE}).")
    private int staleDays;

    @Option(names = "--today", description = "The day staleness is judged on, ISO date (default: today, UTC).")
    private LocalDate today;

    @Option(names = "--hours-per-epoch", defaultValue = "1.2",
            description = "Hours of one training epoch (default: ${DEFAULT-VALUE}).")
    private BigDecimal hoursPerEpoch;

    @Option(names = "--baseline-epochs", defaultValue = "10",
            description = "Epochs of the planned run without early termination (default: ${DEFAULT-VALUE}).")
    private int baselineEpochs;

    @Option(names = "--scenario-epochs", split = ",", defaultValue = "2,3,5,7",
            description = "Epochs at which TUMIX might stop (default: ${DEFAULT-VALUE}).")
    private List<Integer> scenarioEpochs;

    @Option(names = "--min-rounds", defaultValue = "1", description = "TUMIX minimum rounds (default: ${DEFAULT-VALUE}).")
    private int minRounds;

    @Option(names = "--max-rounds", defaultValue = "5", description = "TUMIX maximum rounds (default: ${DEFAULT-VALUE}).")
    private int maxRounds;

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

    /** One set of prices: a title, the catalog rows it uses (already filtered to the GPU), a footnote prefix. */
    private record PriceSet(String title, PriceCatalog gpus, String footnotePrefix, List<Superseded> leftOut) {
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PriceCatalog catalog = catalogFile == null ? PriceCatalog.bundled() : PriceCatalog.load(catalogFile);
        LocalDate day = today != null ? today : LocalDate.now(ZoneOffset.UTC);
        LocalDate guideDay = guideDate != null ? guideDate : PriceCatalog.GUIDE_DATE;
        CostEstimator estimator = new CostEstimator(Duration.ofDays(staleDays),
                Clock.fixed(day.atStartOfDay().toInstant(ZoneOffset.UTC), ZoneOffset.UTC));
        PriceCatalog gpus = catalog.withGpuModel(gpu);
        boolean both = prices == Prices.BOTH;
        List<PriceSet> sets = new ArrayList<>();
        if (prices != Prices.NEWEST) {
            sets.add(new PriceSet("The guide's prices (rows dated up to " + guideDay + ")", gpus.asOf(guideDay),
                    both ? "g" : "", List.of()));
        }
        if (prices != Prices.GUIDE) {
            sets.add(new PriceSet("The newest prices (each offer's latest row)", gpus.withoutSuperseded(),
                    both ? "n" : "", gpus.superseded()));
        }
        List<Offer> baselines = new ArrayList<>();
        List<Offer> spots = new ArrayList<>();
        for (PriceSet set : sets) {
            baselines.add(baseline(set));
            spots.add(spot(set));
        }

        out.println("# GPU cost tables");
        out.println();
        out.println("Every figure below is computed from the dated price catalog ("
                + (catalogFile == null ? "bundled" : catalogFile.getFileName()) + "), judged on " + day
                + "; every price shows its date, and prices older than " + staleDays + " days carry a footnote.");
        out.println();
        if (both) {
            out.println("Each table comes twice: from the guide's prices (the catalog's rows dated up to " + guideDay
                    + ", from which the guide's own figures are computed) and from the newest prices (each offer's"
                    + " latest row; a plain row that a newer, more precise row supersedes is left out and listed)."
                    + " `--prices guide` or `--prices newest` prints one of them.");
            out.println();
        }
        out.println("## Providers: one " + hours.stripTrailingZeros().toPlainString() + "-hour run on " + gpu);
        for (int i = 0; i < sets.size(); i++) {
            PriceSet set = sets.get(i);
            heading(out, set);
            out.print(estimator.compare(baselines.get(i), set.gpus().offers(), hours)
                    .toMarkdown(CostEstimator.Rendering.dated(set.footnotePrefix())));
            if (!set.leftOut().isEmpty()) {
                out.println();
                out.println("Left out as superseded by newer, more precise rows:");
                out.println();
                for (Superseded s : set.leftOut()) {
                    out.println("- " + s.row() + ", superseded by " + s.by().stream().map(Offer::toString)
                            .collect(Collectors.joining("; ")));
                }
            }
        }
        out.println();
        out.println("## Repeated runs: on-demand against spot");
        for (int i = 0; i < sets.size(); i++) {
            heading(out, sets.get(i));
            out.print(estimator.compareRuns(baselines.get(i), spots.get(i), hours, runs)
                    .toMarkdown(CostEstimator.Rendering.dated("")));
        }
        out.println();
        out.println("## TUMIX early termination savings (TUMIX rounds " + minRounds + ".." + maxRounds + ")");
        for (int i = 0; i < sets.size(); i++) {
            heading(out, sets.get(i));
            out.println("Priced at " + baselines.get(i) + ".");
            out.println();
            out.print(new TrainingCostPlanner(baselines.get(i), hoursPerEpoch).plan(baselineEpochs, scenarioEpochs,
                    new TrainingCostPlanner.RoundLimits(minRounds, maxRounds)).toMarkdown());
        }
        out.println();
        out.println("## Spot or on-demand");
        out.println();
        SpotAdvisor advisor = new SpotAdvisor();
        Recommendation recommendation = advisor.recommend(new SpotAdvisor.Situation(runs, !noInterruptions,
                !noCheckpointResume, timeSensitive, finalRun));
        out.print(recommendation.reasoning());
        out.println();
        out.println("Expected cost under interruptions (assumed: " + interruptionsPerHour + " interruptions per hour, "
                + checkpointMinutes + " min per checkpoint, " + restartMinutes + " min per restart, setup $"
                + setupCost.toPlainString() + "; change them with the options):");
        Duration c = Duration.ofMinutes(checkpointMinutes);
        Duration r = Duration.ofMinutes(restartMinutes);
        SpotAdvisor.InterruptionModel model = daly ? SpotAdvisor.InterruptionModel.daly(interruptionsPerHour, c, r)
                : SpotAdvisor.InterruptionModel.young(interruptionsPerHour, c, r);
        for (int i = 0; i < sets.size(); i++) {
            heading(out, sets.get(i));
            out.println("Prices: " + baselines.get(i) + "; " + spots.get(i) + ".");
            out.println();
            out.print(advisor.estimate(baselines.get(i), spots.get(i), hours, model, setupCost).toMarkdown());
        }
        out.flush();
        return 0;
    }

    private static void heading(PrintWriter out, PriceSet set) {
        out.println();
        out.println("### " + set.title());
        out.println();
    }

    private Offer baseline(PriceSet set) {
        List<Offer> found = set.gpus().withProvider(baselineProvider).withGpuCount(1)
                .withPricingModel(PricingModel.ON_DEMAND).offers();
        if (found.size() != 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), set.title() + ": expected one 1x " + gpu
                    + " on-demand offer of " + baselineProvider + " as the baseline but found " + found.size()
                    + (found.isEmpty() ? "" : " " + found) + "; pick another --baseline-provider, or name the model"
                    + " more precisely with --gpu");
        }
        return found.get(0);
    }

    private Offer spot(PriceSet set) {
        return set.gpus().withProvider(spotProvider).withGpuCount(1).withPricingModel(PricingModel.SPOT).offers()
                .stream().min(Comparator.comparing(Offer::pricePerHour))
                .orElseThrow(() -> new CommandLine.ParameterException(spec.commandLine(), set.title()
                        + ": the catalog has no 1x " + gpu + " spot offer from " + spotProvider
                        + "; pick another --spot-provider"));
    }
}

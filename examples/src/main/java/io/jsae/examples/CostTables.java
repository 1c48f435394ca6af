package io.jsae.examples;

import io.jsae.provisioning.CostEstimator;
import io.jsae.provisioning.Offer;
import io.jsae.provisioning.PriceCatalog;
import io.jsae.provisioning.PricingModel;
import io.jsae.provisioning.Recommendation;
import io.jsae.provisioning.SpotAdvisor;
import io.jsae.provisioning.TrainingCostPlanner;
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
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * Prints the GPU guide's tables as Markdown, every figure computed from the dated price catalog: the provider
 * comparison, several runs on on-demand against spot, the TUMIX savings, and the spot recommendation with its
 * quantitative estimate.
 */
@Command(name = "cost-tables", mixinStandardHelpOptions = true,
        description = "Print the GPU guide's cost tables as Markdown, computed from the dated price catalog.")
public final class CostTables implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--catalog", description = "Price catalog CSV (default: the bundled catalog).")
    private Path catalogFile;

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

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PriceCatalog catalog = catalogFile == null ? PriceCatalog.bundled() : PriceCatalog.load(catalogFile);
        LocalDate day = today != null ? today : LocalDate.now(ZoneOffset.UTC);
        CostEstimator estimator = new CostEstimator(Duration.ofDays(staleDays),
                Clock.fixed(day.atStartOfDay().toInstant(ZoneOffset.UTC), ZoneOffset.UTC));
        PriceCatalog gpus = catalog.withGpuModel(gpu);
        Offer baseline = gpus.withProvider(baselineProvider).withGpuCount(1)
                .withPricingModel(PricingModel.ON_DEMAND).single();
        Offer spot = gpus.withProvider(spotProvider).withGpuCount(1).withPricingModel(PricingModel.SPOT).offers()
                .stream().min(Comparator.comparing(Offer::pricePerHour)).orElseThrow(() -> new IllegalArgumentException(
                        "the catalog has no 1x " + gpu + " spot offer from " + spotProvider
                                + "; pick another --spot-provider"));

        out.println("# GPU cost tables");
        out.println();
        out.println("Every figure below is computed from the dated price catalog ("
                + (catalogFile == null ? "bundled" : catalogFile.getFileName()) + "), judged on " + day
                + "; prices older than " + staleDays + " days carry a footnote.");
        out.println();
        out.println("## Providers: one " + hours.stripTrailingZeros().toPlainString() + "-hour run on " + gpu);
        out.println();
        out.print(estimator.compare(baseline, gpus.offers(), hours).toMarkdown());
        out.println();
        out.println("## Repeated runs: on-demand against spot");
        out.println();
        out.print(estimator.compareRuns(baseline, spot, hours, runs).toMarkdown());
        out.println();
        out.println("## TUMIX early termination savings (TUMIX rounds " + minRounds + ".." + maxRounds + ")");
        out.println();
        out.print(new TrainingCostPlanner(baseline, hoursPerEpoch).plan(baselineEpochs, scenarioEpochs,
                new TrainingCostPlanner.RoundLimits(minRounds, maxRounds)).toMarkdown());
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
        out.println();
        Duration c = Duration.ofMinutes(checkpointMinutes);
        Duration r = Duration.ofMinutes(restartMinutes);
        SpotAdvisor.InterruptionModel model = daly ? SpotAdvisor.InterruptionModel.daly(interruptionsPerHour, c, r)
                : SpotAdvisor.InterruptionModel.young(interruptionsPerHour, c, r);
        out.print(advisor.estimate(baseline, spot, hours, model, setupCost).toMarkdown());
        out.flush();
        return 0;
    }
}

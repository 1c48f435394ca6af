package io.jsae.examples;

import io.jsae.core.Activation;
import io.jsae.core.Precision;
import io.jsae.core.SaeConfig;
import io.jsae.core.SaeMetadata;
import io.jsae.core.backend.Backend;
import io.jsae.core.backend.Backends;
import io.jsae.core.data.ActivationSource;
import io.jsae.core.data.SourcePosition;
import io.jsae.core.data.SyntheticActivations;
import io.jsae.core.eval.EvalMetrics;
import io.jsae.core.eval.FeatureRecovery;
import io.jsae.core.io.SaeFolders;
import io.jsae.core.train.Checkpoint;
import io.jsae.core.train.CheckpointStore;
import io.jsae.core.train.EpochSummary;
import io.jsae.core.train.SaeTrainer;
import io.jsae.examples.report.CostSummary;
import io.jsae.examples.report.Density;
import io.jsae.examples.report.MetricsCsv;
import io.jsae.examples.report.ReportWriter;
import io.jsae.examples.report.RoundRow;
import io.jsae.examples.report.RunReport;
import io.jsae.examples.report.StepPoint;
import io.jsae.provisioning.CostMeter;
import io.jsae.provisioning.Offer;
import io.jsae.provisioning.PriceCatalog;
import io.jsae.provisioning.PricingModel;
import io.jsae.provisioning.RunEstimate;
import io.jsae.tumix.ImprovementMode;
import io.jsae.tumix.Monitor;
import io.jsae.tumix.RefinementResult;
import io.jsae.tumix.StopDecision;
import io.jsae.tumix.TumixTermination;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * The project's main job: train an SAE on activations (npy or safetensors shards, or synthetic ones with
 * known features) on the chosen backend, one epoch per round. After each round it records the round's metrics,
 * asks TUMIX whether to stop, and meters what the run costs on a catalog offer. Checkpoints make it safe to
 * interrupt: SIGINT or SIGTERM stops at the next step, writes a checkpoint and exits with
 * {@link ExitCode#INTERRUPTED}; the same command resumes exactly, and once the run has ended it says so instead
 * of training again.
 */
@Command(name = "train", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        sortOptions = false, showDefaultValues = true,
        description = {"Train an SAE with TUMIX early termination, a cost meter and resumable checkpoints.",
                "Without --data it trains on synthetic activations with known features."})
public final class TrainCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    // ---- data
    @Mixin
    private DataOptions data;

    @Option(names = "--synthetic-d-in", defaultValue = "64", description = "Synthetic data: width.")
    private int syntheticDIn;

    @Option(names = "--synthetic-features", defaultValue = "256", description = "Synthetic data: ground-truth features.")
    private int syntheticFeatures;

    @Option(names = "--tokens-per-epoch", defaultValue = "200000", description = "Synthetic data: tokens per epoch.")
    private long tokensPerEpoch;

    // ---- the SAE
    @Option(names = "--d-sae", defaultValue = "512", description = "Latents.")
    private int dSae;

    @Option(names = "--activation", defaultValue = "topk",
            description = "topk, batchtopk or relu (relu trains with an L1 penalty, --l1).")
    private String activation;

    @Option(names = "--k", defaultValue = "16", description = "Active latents per token (topk, batchtopk).")
    private int k;

    @Option(names = "--l1", defaultValue = "5.0", description = "L1 coefficient of relu.")
    private double l1;

    @Option(names = "--aux-k", description = "AuxK: dead latents used to model the residual (default: d_in / 2).")
    private Integer auxK;

    @Option(names = "--aux-coefficient", defaultValue = "0.03125", description = "AuxK loss weight; 0 turns AuxK off.")
    private double auxCoefficient;

    @Option(names = "--dead-tokens", description = "A latent is dead after this many tokens without firing"
            + " (default: max(batch, 100000)).")
    private Long deadTokens;

    @Option(names = "--normalize", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Scale inputs so that E|x|^2 = d_in (folded out at export).")
    private boolean normalize;

    @Option(names = "--b-dec-init", defaultValue = "geometric_median", description = "geometric_median, mean or zero.")
    private String bDecInit;

    @Option(names = "--precision", defaultValue = "fp32", description = "Encoder operand precision: fp32, tf32 or bf16"
            + " (tf32/bf16 on the CUDA backend).")
    private String precision;

    // ---- optimization
    @Option(names = "--batch", defaultValue = "512", description = "Tokens per step.")
    private int batch;

    @Option(names = "--lr", defaultValue = "3e-3", description = "Peak learning rate.")
    private double lr;

    @Option(names = "--warmup-steps", defaultValue = "0", description = "Steps of linear learning-rate warm-up.")
    private long warmupSteps;

    @Option(names = "--decay-fraction", defaultValue = "0", description = "Final fraction of --total-steps over which"
            + " the rate decays to 0.")
    private double decayFraction;

    @Option(names = "--total-steps", description = "Planned steps, for the decay (default: the round cap's steps"
            + " when the epoch length is known).")
    private Long totalSteps;

    @Option(names = "--adam-betas", split = ",", paramLabel = "B1,B2", defaultValue = "0.9,0.999", description = "Adam betas.")
    private double[] adamBetas;

    @Option(names = "--adam-eps", defaultValue = "6.25e-10", description = "Adam epsilon.")
    private double adamEps;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of initialization, shuffling and synthetic data.")
    private long seed;

    // ---- backend
    @Option(names = "--backend", description = "Backend name (cpu, cuda); default: the best available.")
    private String backendName;

    @Option(names = "--device", defaultValue = "0", description = "Device index of the backend.")
    private int device;

    @Option(names = "--threads", description = "CPU backend threads (default: one per processor).")
    private Integer threads;

    // ---- checkpoints
    @Option(names = "--checkpoints", paramLabel = "DIR",
            description = "Checkpoint folder: the run resumes from it, and reports when it is already complete.")
    private Path checkpoints;

    @Option(names = "--checkpoint-every", defaultValue = "1000", description = "Steps between checkpoints.")
    private long checkpointEvery;

    @Option(names = "--checkpoint-minutes", defaultValue = "10", description = "Minutes between checkpoints (0: off).")
    private long checkpointMinutes;

    @Option(names = "--keep-checkpoints", defaultValue = "3", description = "Checkpoints kept.")
    private int keepCheckpoints;

    @Option(names = "--fresh", description = "Delete the checkpoints in --checkpoints and start over.")
    private boolean fresh;

    // ---- TUMIX
    @Option(names = "--min-rounds", defaultValue = "2", description = "TUMIX: no early stop before this round.")
    private int minRounds;

    @Option(names = "--max-rounds", defaultValue = "5", description = "TUMIX: always stop at this round.")
    private int maxRounds;

    @Option(names = "--monitor", defaultValue = "fvu", description = "TUMIX: the round metric watched for improvement"
            + " (fvu = 1 - explained variance, loss, mse, l0, dead_features; explained_variance and feature_recovery"
            + " count upward).")
    private String monitor;

    @Option(names = "--threshold", defaultValue = "0.05", description = "TUMIX: smallest improvement that counts.")
    private double threshold;

    @Option(names = "--improvement-mode", defaultValue = "relative", description = "TUMIX: relative or absolute.")
    private String improvementMode;

    @Option(names = "--patience", defaultValue = "1", description = "TUMIX: rounds without improvement before a stop.")
    private int patience;

    @Option(names = "--min-explained-variance", defaultValue = "0.8",
            description = "TUMIX quality gate: no early stop below this explained variance.")
    private double minExplainedVariance;

    @Option(names = "--require", paramLabel = "METRIC>=V|METRIC<=V",
            description = "TUMIX quality gate on a round metric, e.g. dead_features<=0.05 (repeatable).")
    private List<String> requirements = new ArrayList<>();

    @Option(names = "--divergence", description = "TUMIX: stop when the monitored value worsens by more than this"
            + " fraction of the best.")
    private Double divergence;

    @Option(names = "--cost-budget", paramLabel = "DOLLARS",
            description = "TUMIX: stop before another round would overrun this many dollars.")
    private Double costBudget;

    // ---- cost
    @Option(names = "--offer", defaultValue = "Lambda", description = "Provider whose catalog price meters the run.")
    private String offerProvider;

    @Option(names = "--gpu", defaultValue = "A100", description = "GPU model of the metered offer.")
    private String gpuModel;

    @Option(names = "--pricing", defaultValue = "on-demand", description = "on-demand or spot.")
    private String pricing;

    @Option(names = "--estimate", paramLabel = "ESTIMATE", converter = BudgetConverter.class,
            description = "The plan's estimate of the run, as jsae plan prints it ('estimate: $15.48 ± 10%% (...)'),"
                    + " '$15.48 ± 10%%' or dollars (±10%%); the run's cost is checked against its band.")
    private RunEstimate.Budget estimate;

    /** Reads --estimate in any of the forms {@link RunEstimate.Budget#parse} takes. */
    static final class BudgetConverter implements CommandLine.ITypeConverter<RunEstimate.Budget> {
        @Override
        public RunEstimate.Budget convert(String value) {
            try {
                return RunEstimate.Budget.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    // ---- output
    @Option(names = "--out", paramLabel = "DIR", description = "Export the SAE here in the SAELens layout.")
    private Path exportDir;

    @Option(names = "--force", description = "Replace an existing --out folder.")
    private boolean force;

    @Option(names = "--report", paramLabel = "DIR", description = "Write report.html and metrics.csv here"
            + " (also on interruption).")
    private Path reportDir;

    @Option(names = "--eval-tokens", defaultValue = "20000", description = "Tokens of the final evaluation pass.")
    private long evalTokens;

    @Option(names = "--model-name", description = "Model the activations came from, recorded in cfg.json.")
    private String modelName;

    @Option(names = "--hook-name", description = "Hook the activations came from, recorded in cfg.json.")
    private String hookName;

    @Option(names = "--progress-seconds", defaultValue = "10",
            description = "Seconds between progress lines when output is not a terminal (0: none).")
    private double progressSeconds;

    /** Name of the file in the checkpoint folder that holds the wall time billed to the run so far. */
    static final String BILLED_FILE = "billed-seconds.txt";

    /**
     * Runs the job.
     *
     * @return an {@link ExitCode}
     * @throws Exception on I/O errors
     */
    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        checkOptions();
        TumixTermination tumix = tumix();
        Offer offer = offer();
        if (threads != null) {
            System.setProperty("jsae.threads", Integer.toString(threads));
        }
        SyntheticActivations synthetic = null;
        ActivationSource source;
        if (data.path() == null) {
            synthetic = new SyntheticActivations(syntheticDIn, syntheticFeatures, 4, 0, tokensPerEpoch, seed);
            source = synthetic;
        } else {
            source = data.open(true, seed);
        }
        try (source) {
            long stepsPerEpoch = source.rowsPerEpoch() > 0 ? (source.rowsPerEpoch() + batch - 1) / batch : 0;
            SaeConfig config = config(source.dIn(), stepsPerEpoch * maxRounds);
            try (Backend backend = openBackend()) {
                if (!backend.precisions().contains(config.precision())) {
                    throw new CommandFailure(ExitCode.BACKEND_UNAVAILABLE, "--precision " + precision + ": the "
                            + backend.name() + " backend runs " + backend.precisions(),
                            "use --precision fp32, or a backend that has it (cuda runs tf32 and bf16)");
                }
                try (SaeTrainer trainer = new SaeTrainer(config, backend)) {
                    out.printf(Locale.ROOT, "%s on %s; %s; metered at %s %s %s $%s/h%n", describe(config),
                            backend.name(), tumix, offer.provider(), offer.gpuModel(), offer.pricingModel(),
                            offer.pricePerHour().toPlainString());
                    return train(trainer, backend, config, source, synthetic, tumix, offer, stepsPerEpoch, out, err);
                }
            }
        }
    }

    private int train(SaeTrainer trainer, Backend backend, SaeConfig config, ActivationSource source,
                      SyntheticActivations synthetic, TumixTermination tumix, Offer offer, long stepsPerEpoch,
                      PrintWriter out, PrintWriter err) throws IOException {
        CheckpointStore store = null;
        Duration billedBefore = Duration.ZERO;
        if (checkpoints != null) {
            if (fresh) {
                deleteCheckpoints(out);
            }
            store = new CheckpointStore(checkpoints, keepCheckpoints);
            trainer.checkpointTo(store, checkpointEvery,
                    checkpointMinutes > 0 ? Duration.ofMinutes(checkpointMinutes) : null);
            Optional<Checkpoint> resumed = trainer.resume(store, source);
            if (resumed.isPresent()) {
                billedBefore = readBilled();
                out.printf(Locale.ROOT, "resumed from %s (step %d, %d tokens, %d rounds recorded)%n",
                        resumed.get().directory(), resumed.get().step(), resumed.get().state().tokensSeen(),
                        trainer.history().size());
            }
        }
        List<RefinementResult> history = new ArrayList<>();
        for (Map<String, Double> m : trainer.history()) {
            history.add(result(history.size() + 1, m));
        }
        List<RoundRow> rows = new ArrayList<>();
        StopDecision decision = null;
        for (int i = 0; i < history.size(); i++) {
            decision = tumix.shouldStop(history.subList(0, i + 1));
            rows.add(row(history.get(i), decision));
        }
        if (decision != null && decision.shouldStop()) {
            return alreadyComplete(trainer, decision, out);
        }
        if (exportDir != null && Files.exists(exportDir) && !force) {
            throw new CommandFailure(ExitCode.USAGE, "--out " + exportDir + " already exists",
                    "choose another folder, or pass --force to replace it when the run ends");
        }
        List<StepPoint> earlier = reportDir != null && trainer.step() > 0 ? earlierPoints(trainer.step()) : List.of();
        CostMeter meter = CostMeter.resume(offer, Clock.systemUTC(), billedBefore);
        boolean terminal = System.console() != null;
        TrainProgress progress = new TrainProgress(err, terminal, stepsPerEpoch * maxRounds, meter, progressSeconds,
                earlier);
        trainer.addListener(progress);
        AtomicBoolean interrupted = new AtomicBoolean();
        try (SignalStop signals = SignalStop.install(() -> {
            if (interrupted.compareAndSet(false, true)) {
                trainer.interrupt();
            }
        })) {
            if (!signals.installed()) {
                trainer.checkpointOnSigterm(Duration.ofSeconds(25)); // fall back to the JVM's shutdown hook
            }
            while (decision == null || !decision.shouldStop()) {
                EpochSummary s = trainer.trainEpoch(source);
                progress.endLine();
                if (interrupted.get()) {
                    writeBilled(meter);
                    writeReport(config, backend, offer, tumix, progress, rows, null, null, meter, stepsPerEpoch, "interrupted");
                    err.println(store != null
                            ? "interrupted at step " + trainer.step() + ": checkpoint written to " + checkpoints
                                    + "; run the same command to resume"
                            : "interrupted at step " + trainer.step() + ": nothing saved (no --checkpoints)");
                    err.flush();
                    return ExitCode.INTERRUPTED;
                }
                Map<String, Double> metrics = new LinkedHashMap<>();
                metrics.put("fvu", 1 - s.explainedVariance());
                metrics.putAll(s.asMap());
                metrics.put("cost", meter.costSoFar().doubleValue());
                if (synthetic != null) {
                    metrics.put("feature_recovery", FeatureRecovery.meanMaxCosineSimilarity(trainer.model(),
                            synthetic.trueFeatures()));
                }
                trainer.recordRound(metrics);
                RefinementResult r = result(history.size() + 1, metrics);
                history.add(r);
                decision = tumix.shouldStop(history);
                RoundRow row = row(r, decision);
                rows.add(row);
                out.println(roundLine(row));
                out.flush();
            }
            if (store != null) { // still under the signal handlers, so that a SIGTERM now cannot lose it
                trainer.saveCheckpoint(source); // the final state with every round recorded: a rerun reports completion
                writeBilled(meter);
            }
        }
        out.println("stop: " + decision.reasoning());
        ActivationSource evalSource = synthetic != null
                ? heldOutSynthetic() : data.open(false, seed);
        EvalMetrics eval;
        try (evalSource) {
            eval = trainer.evaluate(evalSource, evalTokens);
        }
        Density density = new Density(eval.tokens(), trainer.deviceSae().fireCounts());
        out.println((synthetic != null ? "held-out: " : "evaluation (first training tokens): ") + eval);
        if (exportDir != null) {
            export(trainer);
            out.println("exported the SAE (SAELens layout) to " + exportDir);
        }
        writeReport(config, backend, offer, tumix, progress, rows, decision.reasoning(), density, meter, stepsPerEpoch,
                "complete");
        out.printf(Locale.ROOT, "%d steps, %d tokens, %.0f tokens/s; on %s %s %s this run cost $%s%s%n", trainer.step(),
                trainer.tokensSeen(), progress.tokensPerSecond(), offer.provider(), offer.gpuModel(),
                offer.pricingModel(), meter.costSoFar().setScale(4, RoundingMode.HALF_UP).toPlainString(),
                estimate == null ? "" : "; " + budgetLine(meter, 1.0));
        out.flush();
        return ExitCode.OK;
    }

    /**
     * Saves the SAE to --out: into a sibling folder first, which then replaces an earlier export (--force), so a
     * failed save leaves the earlier export whole.
     */
    private void export(SaeTrainer trainer) throws IOException {
        Path partial = exportDir.resolveSibling(exportDir.getFileName() + ".partial");
        if (Files.exists(partial)) {
            deleteTree(partial); // left by a run that failed while saving
        }
        SaeFolders.save(trainer.model().withMetadata(SaeMetadata.of(modelName, hookName)), partial);
        if (Files.exists(exportDir)) {
            deleteTree(exportDir);
        }
        Files.move(partial, exportDir, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private int alreadyComplete(SaeTrainer trainer, StopDecision decision, PrintWriter out) throws IOException {
        out.printf(Locale.ROOT, "the run in %s is complete: %d rounds, %d steps; stop: %s%n", checkpoints,
                trainer.history().size(), trainer.step(), decision.reasoning());
        if (exportDir != null && !Files.exists(exportDir)) {
            export(trainer);
            out.println("exported the SAE (SAELens layout) to " + exportDir);
        } else if (exportDir != null) {
            out.println("--out " + exportDir + " exists; left as it is");
        }
        out.println("nothing to train; pass --fresh to start the run over");
        out.flush();
        return ExitCode.OK;
    }

    private void writeReport(SaeConfig config, Backend backend, Offer offer, TumixTermination tumix,
                             TrainProgress progress, List<RoundRow> rows, String reasoning, Density density,
                             CostMeter meter, long stepsPerEpoch, String state) throws IOException {
        if (reportDir == null) {
            return;
        }
        List<StepPoint> points = progress.points();
        // a complete run's cost is its total (TUMIX may stop before the cap); an interrupted one is this far
        double done = "complete".equals(state) ? 1.0 : stepsPerEpoch > 0 && !points.isEmpty()
                ? Math.min(1.0, points.get(points.size() - 1).step() / (double) (stepsPerEpoch * maxRounds)) : 0;
        CostSummary cost = new CostSummary(offer.provider() + " " + offer.gpuModel() + " " + offer.pricingModel(),
                offer.pricePerHour(), meter.costSoFar(), estimate == null ? null : estimate.cost(),
                estimate == null ? null : estimate.tolerance(), done);
        Files.createDirectories(reportDir);
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("state", state);
        settings.put("sae", describe(config));
        settings.put("learning rate", config.learningRate() + " (warm-up " + config.warmupSteps() + " steps, decay "
                + config.decayFraction() + " of " + config.totalSteps() + ")");
        settings.put("backend", backend.name());
        settings.put("data", data.path() == null ? "synthetic: d_in " + syntheticDIn + ", " + syntheticFeatures + " features, "
                + tokensPerEpoch + " tokens per epoch" : data.path().toString());
        settings.put("TUMIX", tumix.toString());
        settings.put("offer", cost.offer() + " $" + offer.pricePerHour().toPlainString() + "/h");
        settings.put("seed", Long.toString(seed));
        MetricsCsv.write(points, reportDir.resolve("metrics.csv"));
        ReportWriter.writeHtml(new RunReport("jsae training run", Instant.now(), settings, points, rows, reasoning,
                density, cost), reportDir.resolve("report.html"));
    }

    private String budgetLine(CostMeter meter, double fractionDone) {
        return meter.check(estimate.cost(), estimate.tolerance(), fractionDone).describe();
    }

    /** Step points of the run before this process, read back from the report's metrics.csv, up to the resumed step. */
    private List<StepPoint> earlierPoints(long resumedStep) throws IOException {
        Path csv = reportDir.resolve("metrics.csv");
        if (!Files.exists(csv)) {
            return List.of();
        }
        return MetricsCsv.read(csv).stream().filter(p -> p.step() <= resumedStep).toList();
    }

    private Duration readBilled() throws IOException {
        Path f = checkpoints.resolve(BILLED_FILE);
        if (!Files.exists(f)) {
            return Duration.ZERO;
        }
        String text = Files.readString(f).strip();
        try {
            return Duration.ofMillis(Math.round(Double.parseDouble(text) * 1000));
        } catch (NumberFormatException e) {
            throw new CommandFailure(ExitCode.BAD_DATA, f + ": '" + text + "' is not a number of seconds",
                    "delete the file to meter from zero, or restore it");
        }
    }

    private void writeBilled(CostMeter meter) throws IOException {
        if (checkpoints == null) {
            return;
        }
        Path f = checkpoints.resolve(BILLED_FILE);
        Path tmp = checkpoints.resolve(BILLED_FILE + ".tmp");
        Files.writeString(tmp, String.format(Locale.ROOT, "%.3f%n", meter.elapsed().toMillis() / 1000.0));
        Files.move(tmp, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private void deleteCheckpoints(PrintWriter out) throws IOException {
        if (!Files.isDirectory(checkpoints)) {
            return;
        }
        CheckpointStore old = new CheckpointStore(checkpoints, keepCheckpoints);
        List<Path> folders = old.checkpointFolders();
        for (Path p : folders) {
            deleteTree(p);
        }
        Files.deleteIfExists(checkpoints.resolve(BILLED_FILE));
        out.println("--fresh: deleted " + folders.size() + " checkpoints in " + checkpoints);
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private SyntheticActivations heldOutSynthetic() {
        SyntheticActivations heldOut = new SyntheticActivations(syntheticDIn, syntheticFeatures, 4, 0, evalTokens, seed);
        heldOut.seek(new SourcePosition(1_000_000, 0)); // an epoch no training round reaches: unseen tokens
        return heldOut;
    }

    /** Every check that needs no data or backend, so that a bad value fails before anything runs. */
    private void checkOptions() {
        atLeast("--batch", batch, 1);
        atLeast("--tokens-per-epoch", tokensPerEpoch, 1);
        atLeast("--synthetic-d-in", syntheticDIn, 1);
        atLeast("--synthetic-features", syntheticFeatures, 1);
        atLeast("--eval-tokens", evalTokens, 1);
        atLeast("--keep-checkpoints", keepCheckpoints, 1);
        atLeast("--checkpoint-every", checkpointEvery, 0);
        atLeast("--checkpoint-minutes", checkpointMinutes, 0);
        if (threads != null) {
            atLeast("--threads", threads, 1);
        }
        if (!(progressSeconds >= 0)) {
            throw usage("--progress-seconds must be 0 (none) or more, was " + progressSeconds);
        }
        if (divergence != null && !(divergence > 0)) {
            throw usage("--divergence must be above 0 (a fraction of the best value), was " + divergence);
        }
        if (fresh && checkpoints == null) {
            throw usage("--fresh deletes the checkpoints of --checkpoints DIR; without --checkpoints every run is fresh");
        }
        if (exportDir != null && Files.exists(exportDir) && !Files.isDirectory(exportDir)) {
            throw new CommandFailure(ExitCode.USAGE, "--out " + exportDir + " is a file, not a folder",
                    "name a folder for the SAE (it is created)");
        }
        List<String> known = roundMetrics();
        if (!known.contains(monitor)) {
            throw usage("--monitor " + monitor + ": rounds report " + known);
        }
        for (String req : requirements) {
            String metric = req.split(">=|<=", 2)[0].strip();
            if (!metric.isEmpty() && !known.contains(metric)) {
                throw usage("--require " + req + ": rounds report " + known);
            }
        }
    }

    /** The metrics each round records (what --monitor and --require may name). */
    private List<String> roundMetrics() {
        // the names a round records (see train): fvu, the epoch summary's own, cost
        List<String> names = new ArrayList<>(List.of("fvu"));
        names.addAll(new EpochSummary(0, 0, 0, 0, 0, 0, 0, 0, 0, false).asMap().keySet());
        names.add("cost");
        if (data.path() == null) {
            names.add("feature_recovery"); // synthetic data only: its true features are known
        }
        return names;
    }

    private static void atLeast(String option, long value, long min) {
        if (value < min) {
            throw usage(option + " must be at least " + min + ", was " + value);
        }
    }

    private Backend openBackend() {
        if (backendName == null) {
            return Backends.best();
        }
        try {
            return Backends.named(backendName, device);
        } catch (IllegalArgumentException e) { // no provider of that name; one that cannot run is unavailable
            String found = e.getMessage().contains("found:") ? e.getMessage().substring(e.getMessage().indexOf("found:"))
                    : e.getMessage();
            throw new CommandFailure(ExitCode.USAGE, "--backend " + backendName + ": no such backend (" + found + ")",
                    "name one of those, or leave --backend out to take the best one here");
        }
    }

    private TumixTermination tumix() {
        try {
            TumixTermination.Builder b = TumixTermination.builder().minRounds(minRounds).maxRounds(maxRounds)
                    .monitor(Monitor.metric(monitor, monitor.equals("explained_variance")
                            || monitor.equals("feature_recovery") ? Monitor.Direction.MAXIMIZE : Monitor.Direction.MINIMIZE))
                    .improvementThreshold(threshold).improvementMode(enumOf(ImprovementMode.class, improvementMode,
                            "--improvement-mode")).patience(patience)
                    .requireAtLeast("explained_variance", minExplainedVariance);
            for (String req : requirements) {
                String[] parts = req.split(">=|<=", 2);
                if (parts.length != 2 || parts[0].isBlank()) {
                    throw usage("--require " + req + ": write METRIC>=VALUE or METRIC<=VALUE, e.g. dead_features<=0.05");
                }
                double bound = number(parts[1], "--require " + req);
                b = req.contains(">=") ? b.requireAtLeast(parts[0].strip(), bound) : b.requireAtMost(parts[0].strip(), bound);
            }
            if (divergence != null) {
                b.divergenceThreshold(divergence);
            }
            if (costBudget != null) {
                b.costBudget(costBudget);
            }
            return b.build();
        } catch (IllegalArgumentException e) {
            throw usage("TUMIX settings: " + e.getMessage());
        }
    }

    private SaeConfig config(int dIn, long capSteps) {
        try {
            Activation act = switch (activation.toLowerCase(Locale.ROOT)) {
                case "topk" -> Activation.topK(k);
                case "batchtopk" -> Activation.batchTopK(k);
                case "relu" -> Activation.relu(l1);
                default -> throw usage("--activation " + activation + ": use topk, batchtopk or relu");
            };
            if (adamBetas.length != 2) {
                throw usage("--adam-betas takes two numbers, B1,B2");
            }
            SaeConfig.Builder b = SaeConfig.builder(dIn, dSae).activation(act).batchSize(batch).learningRate(lr)
                    .warmupSteps(warmupSteps).decayFraction(decayFraction)
                    .totalSteps(totalSteps != null ? totalSteps : decayFraction > 0 ? capSteps : 0)
                    .adamBetas(adamBetas[0], adamBetas[1]).adamEps(adamEps).auxCoefficient(auxCoefficient)
                    .deadTokens(deadTokens != null ? deadTokens : Math.max(batch, 100_000)).normalizeInput(normalize)
                    .bDecInit(enumOf(SaeConfig.BDecInit.class, bDecInit, "--b-dec-init"))
                    .precision(enumOf(Precision.class, precision, "--precision")).seed(seed);
            if (auxK != null) {
                b.kAux(auxK);
            }
            return b.build();
        } catch (IllegalArgumentException e) {
            throw usage("SAE settings: " + e.getMessage());
        }
    }

    private Offer offer() {
        PricingModel model = enumOf(PricingModel.class, pricing.replace('-', '_'), "--pricing");
        return PriceCatalog.bundled().withProvider(offerProvider).withGpuModel(gpuModel).withPricingModel(model)
                .offers().stream().min(Comparator.comparingInt(Offer::gpuCount))
                .orElseThrow(() -> usage("--offer " + offerProvider + " --gpu " + gpuModel + " --pricing " + pricing
                        + ": no such offer in the bundled catalog (jsae plan lists them)"));
    }

    private static String describe(SaeConfig c) {
        return String.format(Locale.ROOT, "d_in %d, d_sae %d, %s, batch %d, %s", c.dIn(), c.dSae(), c.activation(),
                c.batchSize(), c.precision());
    }

    private static String roundLine(RoundRow r) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "round %d: %s %.4f (monitored)", r.round(), r.monitored(), r.monitoredValue()));
        for (Map.Entry<String, Double> e : r.metrics().entrySet()) {
            if (!e.getKey().equals(r.monitored())) {
                double v = e.getValue();
                sb.append(String.format(Locale.ROOT, Math.abs(v) >= 1000 ? ", %s %.0f" : ", %s %.4g", e.getKey(), v));
            }
        }
        sb.append(" -> ").append(r.decision()).append(": ").append(r.reasoning());
        return sb.toString();
    }

    private RoundRow row(RefinementResult r, StopDecision d) {
        double value = r.metrics().getOrDefault(monitor, Double.NaN);
        return new RoundRow(r.round(), r.metrics(), monitor, value, d.shouldStop(),
                d.shouldStop() ? "stop (" + d.reason() + ")" : "continue", d.reasoning());
    }

    /** The round's metrics as TUMIX sees them; older checkpoints' rounds lack fvu, derived here. */
    private static RefinementResult result(int round, Map<String, Double> m) {
        Map<String, Double> metrics = new LinkedHashMap<>(m);
        if (!metrics.containsKey("fvu") && metrics.containsKey("explained_variance")) {
            metrics.put("fvu", 1 - metrics.get("explained_variance"));
        }
        double loss = metrics.getOrDefault("loss", Double.NaN);
        return new RefinementResult(round, loss, Double.NaN, metrics);
    }

    private static <E extends Enum<E>> E enumOf(Class<E> type, String value, String option) {
        for (E e : type.getEnumConstants()) {
            if (e.name().equalsIgnoreCase(value.strip())) {
                return e;
            }
        }
        throw usage(option + " " + value + ": use one of " + Stream.of(type.getEnumConstants())
                .map(e -> e.name().toLowerCase(Locale.ROOT).replace('_', '-')).toList());
    }

    private static double number(String text, String what) {
        try {
            return Double.parseDouble(text.strip());
        } catch (NumberFormatException e) {
            throw usage(what + ": '" + text + "' is not a number");
        }
    }

    private static CommandFailure usage(String message) {
        return new CommandFailure(ExitCode.USAGE, message, "see jsae train --help");
    }
}

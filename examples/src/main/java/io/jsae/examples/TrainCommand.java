package io.jsae.examples;

import io.jsae.core.Activation;
import io.jsae.core.SaeConfig;
import io.jsae.core.SaeMetadata;
import io.jsae.core.backend.Backend;
import io.jsae.core.backend.Backends;
import io.jsae.core.data.ActivationSource;
import io.jsae.core.data.LoaderOptions;
import io.jsae.core.data.NpyActivationSource;
import io.jsae.core.data.SafetensorsActivationSource;
import io.jsae.core.data.SourcePosition;
import io.jsae.core.data.SyntheticActivations;
import io.jsae.core.eval.EvalMetrics;
import io.jsae.core.eval.FeatureRecovery;
import io.jsae.core.io.SaeFolders;
import io.jsae.core.train.CheckpointStore;
import io.jsae.core.train.EpochSummary;
import io.jsae.core.train.ProgressLogger;
import io.jsae.core.train.SaeTrainer;
import io.jsae.provisioning.CostMeter;
import io.jsae.provisioning.Offer;
import io.jsae.provisioning.PriceCatalog;
import io.jsae.provisioning.PricingModel;
import io.jsae.tumix.RefinementResult;
import io.jsae.tumix.StopDecision;
import io.jsae.tumix.TumixTermination;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * The project's main job: train an SAE on activations (npy or safetensors shards, or synthetic ones with
 * known features) on the best available backend, one epoch per round; after each round record its metrics,
 * ask TUMIX whether to stop, and meter what the run would cost on a GPU offer from the price catalog.
 * Checkpoints make it safe to interrupt: run the same command again and it resumes exactly.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train an SAE with TUMIX early termination, a cost meter and resumable checkpoints.")
public final class TrainCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--data", paramLabel = "PATH",
            description = "Folder or file of .npy shards, or .safetensors shards with --tensor. Default: synthetic activations.")
    private Path data;

    @Option(names = "--tensor", description = "Tensor name inside .safetensors shards (default: ${DEFAULT-VALUE}).",
            defaultValue = "activations")
    private String tensor;

    @Option(names = "--synthetic-d-in", defaultValue = "64", description = "Synthetic data width (default: ${DEFAULT-VALUE}).")
    private int syntheticDIn;

    @Option(names = "--synthetic-features", defaultValue = "256",
            description = "Synthetic ground-truth features (default: ${DEFAULT-VALUE}).")
    private int syntheticFeatures;

    @Option(names = "--tokens-per-epoch", defaultValue = "200000",
            description = "Synthetic tokens per epoch (default: ${DEFAULT-VALUE}).")
    private long tokensPerEpoch;

    @Option(names = "--d-sae", defaultValue = "512", description = "Latents (default: ${DEFAULT-VALUE}).")
    private int dSae;

    @Option(names = "--k", defaultValue = "16", description = "TopK k (default: ${DEFAULT-VALUE}).")
    private int k;

    @Option(names = "--batch", defaultValue = "512", description = "Tokens per step (default: ${DEFAULT-VALUE}).")
    private int batch;

    @Option(names = "--lr", defaultValue = "3e-3", description = "Peak learning rate (default: ${DEFAULT-VALUE}).")
    private double lr;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of initialization and shuffling (default: ${DEFAULT-VALUE}).")
    private long seed;

    @Option(names = "--min-rounds", defaultValue = "2", description = "TUMIX: no early stop before (default: ${DEFAULT-VALUE}).")
    private int minRounds;

    @Option(names = "--max-rounds", defaultValue = "5", description = "TUMIX: always stop at (default: ${DEFAULT-VALUE}).")
    private int maxRounds;

    @Option(names = "--threshold", defaultValue = "0.05",
            description = "TUMIX: smallest relative improvement that counts (default: ${DEFAULT-VALUE}).")
    private double threshold;

    @Option(names = "--min-explained-variance", defaultValue = "0.8",
            description = "TUMIX quality gate: no early stop below this explained variance (default: ${DEFAULT-VALUE}).")
    private double minExplainedVariance;

    @Option(names = "--checkpoints", paramLabel = "DIR",
            description = "Checkpoint folder: resumes from it when it holds a checkpoint.")
    private Path checkpoints;

    @Option(names = "--checkpoint-every", defaultValue = "200", description = "Steps between checkpoints (default: ${DEFAULT-VALUE}).")
    private long checkpointEvery;

    @Option(names = "--out", paramLabel = "DIR",
            description = "Export the trained SAE here in the SAELens layout (cfg.json, sae_weights.safetensors).")
    private Path exportDir;

    @Option(names = "--model-name", description = "Model the activations came from, recorded in cfg.json.")
    private String modelName;

    @Option(names = "--hook-name", description = "Hook the activations came from, recorded in cfg.json.")
    private String hookName;

    @Option(names = "--offer", defaultValue = "Lambda",
            description = "Provider whose on-demand A100 price meters the run (default: ${DEFAULT-VALUE}).")
    private String offerProvider;

    /**
     * Runs the job.
     *
     * @return 0 on success
     * @throws Exception on I/O errors
     */
    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        TumixTermination tumix = TumixTermination.builder().minRounds(minRounds).maxRounds(maxRounds)
                .improvementThreshold(threshold).requireAtLeast("explained_variance", minExplainedVariance).build();
        Offer offer = PriceCatalog.bundled().withProvider(offerProvider).withGpuModel("A100")
                .withPricingModel(PricingModel.ON_DEMAND, PricingModel.SPOT).offers().stream().findFirst()
                .orElseThrow(() -> new CommandLine.ParameterException(spec.commandLine(),
                        "--offer: no A100 offer of provider '" + offerProvider + "' in the bundled catalog"));
        SyntheticActivations synthetic = null;
        ActivationSource source;
        if (data == null) {
            synthetic = new SyntheticActivations(syntheticDIn, syntheticFeatures, 4, 0, tokensPerEpoch, seed);
            source = synthetic;
        } else {
            source = openFiles(data);
        }
        SaeConfig config = SaeConfig.builder(source.dIn(), dSae).activation(Activation.topK(k)).batchSize(batch)
                .learningRate(lr).seed(seed).deadTokens(Math.max(batch, 100_000)).build();
        out.printf(Locale.ROOT, "d_in %d, d_sae %d, topk %d, batch %d; %s; metered at %s %s %s $%s/h%n", config.dIn(),
                config.dSae(), k, batch, tumix, offer.provider(), offer.gpuModel(), offer.pricingModel(),
                offer.pricePerHour().toPlainString());
        try (Backend backend = Backends.best(); SaeTrainer trainer = new SaeTrainer(config, backend)) {
            out.println("backend: " + backend.name());
            trainer.addListener(new ProgressLogger(100));
            if (checkpoints != null) {
                CheckpointStore store = new CheckpointStore(checkpoints, 3);
                trainer.checkpointTo(store, checkpointEvery, Duration.ofMinutes(10))
                        .checkpointOnSigterm(Duration.ofSeconds(25));
                trainer.resume(store, source).ifPresent(c -> out.printf(Locale.ROOT,
                        "resumed from %s (step %d, %d tokens)%n", c.directory(), c.step(), c.state().tokensSeen()));
            }
            CostMeter meter = CostMeter.start(offer);
            List<RefinementResult> history = new ArrayList<>();
            for (Map<String, Double> m : trainer.history()) {
                history.add(result(history.size() + 1, m));
            }
            StopDecision decision = history.isEmpty() ? null : tumix.shouldStop(history);
            while (decision == null || !decision.shouldStop()) {
                EpochSummary s = trainer.trainEpoch(source);
                if (s.stopRequested()) {
                    out.println("interrupted: checkpoint written; run the same command to resume");
                    return 0;
                }
                Map<String, Double> metrics = new LinkedHashMap<>(s.asMap());
                metrics.put("cost", meter.costSoFar().doubleValue());
                if (synthetic != null) {
                    metrics.put("feature_recovery", FeatureRecovery.meanMaxCosineSimilarity(trainer.model(),
                            synthetic.trueFeatures()));
                }
                trainer.recordRound(metrics);
                history.add(result(history.size() + 1, metrics));
                decision = tumix.shouldStop(history);
                out.printf(Locale.ROOT, "round %d: %s -> %s%n", history.size(), s, decision.reason());
            }
            out.println(decision.reasoning());
            if (synthetic != null) {
                SyntheticActivations heldOut = new SyntheticActivations(syntheticDIn, syntheticFeatures, 4, 0, 20_000, seed);
                heldOut.seek(new SourcePosition(1_000_000, 0));
                EvalMetrics eval = trainer.evaluate(heldOut);
                out.println("held-out: " + eval);
            }
            if (exportDir != null) {
                SaeFolders.save(trainer.model().withMetadata(SaeMetadata.of(modelName, hookName)), exportDir);
                out.println("exported the SAE (SAELens layout) to " + exportDir);
            }
            out.printf(Locale.ROOT, "%d steps, %d tokens; at %s rates this run would cost $%s so far%n", trainer.step(),
                    trainer.tokensSeen(), offer.provider(),
                    meter.costSoFar().setScale(4, java.math.RoundingMode.HALF_UP).toPlainString());
            out.flush();
        } finally {
            source.close();
        }
        return 0;
    }

    /** The round's metrics as TUMIX sees them: its loss is the fraction of variance unexplained. */
    private static RefinementResult result(int round, Map<String, Double> m) {
        Map<String, Double> metrics = new LinkedHashMap<>(m);
        Double trainLoss = metrics.remove("loss");
        if (trainLoss != null) {
            metrics.put("train_loss", trainLoss);
        }
        double ev = metrics.getOrDefault("explained_variance", Double.NaN);
        return new RefinementResult(round, 1 - ev, Double.NaN, metrics);
    }

    private ActivationSource openFiles(Path path) throws java.io.IOException {
        LoaderOptions options = LoaderOptions.builder().shuffle(seed).build();
        boolean safetensors;
        if (Files.isDirectory(path)) {
            try (var files = Files.list(path)) {
                safetensors = files.anyMatch(p -> p.getFileName().toString().endsWith(".safetensors"));
            }
            return safetensors
                    ? SafetensorsActivationSource.builder().directory(path).tensor(tensor).options(options).build()
                    : NpyActivationSource.builder().directory(path).options(options).build();
        }
        safetensors = path.getFileName().toString().endsWith(".safetensors");
        return safetensors
                ? SafetensorsActivationSource.builder().file(path).tensor(tensor).options(options).build()
                : NpyActivationSource.builder().file(path).options(options).build();
    }
}

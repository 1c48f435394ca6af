package io.jsae.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jsae.core.Activation;
import io.jsae.core.SaeMetadata;
import io.jsae.core.SparseAutoencoder;
import io.jsae.core.SparseCodes;
import io.jsae.core.data.ActivationSource;
import io.jsae.core.eval.EvalMetrics;
import io.jsae.core.io.SafetensorsFile;
import io.jsae.core.io.SaeLensFormat;
import io.jsae.core.io.SparsifyFormat;
import io.jsae.core.io.TensorInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * Shows what an SAE folder holds: its activation and widths, where its inputs come from, its tensors, and
 * the spread of its decoder row norms. With {@code --data} it also runs the model over the activations:
 * reconstruction (MSE, explained variance), L0, the feature-density histogram ({@link EvalMetrics}'s log10
 * bins as text bars), and the dead and dense latents. {@code --json} writes the same facts as JSON.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "Show an SAE folder (config, tensors, decoder norms); with --data, evaluate it: L0, explained"
                + " variance, feature density, dead and dense latents.")
public final class InspectCommand implements Callable<Integer> {

    /** Latent indices listed per kind (dead, dense) in the text and the JSON. */
    static final int LISTED_LATENTS = 10;
    private static final int BAR_WIDTH = 40;

    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DIR", description = "The SAE folder (SAELens or sparsify layout).")
    private Path dir;

    @Mixin
    private DataOptions data;

    @Option(names = "--max-tokens", defaultValue = "100000", paramLabel = "N",
            description = "Evaluate on at most this many rows of --data.")
    private long maxTokens;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the facts as JSON to FILE (replaced).")
    private Path json;

    @Override
    public Integer call() throws IOException {
        if (maxTokens < 1) {
            throw new CommandFailure(ExitCode.USAGE, "--max-tokens must be at least 1, was " + maxTokens, null);
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        SparseAutoencoder sae = SaeFolderArgument.load(dir);
        ObjectNode report = describe(sae);
        printModel(out, report);
        if (data.path() != null) {
            try (ActivationSource source = data.open(false, 0)) {
                ObjectNode eval = evaluate(sae, SaeRows.of(source, sae, data.path(), dir), maxTokens,
                        source.rowsPerEpoch(), err);
                if (source instanceof io.jsae.core.data.ShardedActivationSource sharded) {
                    eval.put("skipped_non_finite_rows", sharded.skippedRows());
                }
                report.set("evaluation", eval);
                printEvaluation(out, eval);
            }
        }
        if (json != null) {
            Files.write(json, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(report));
            out.println("wrote " + json);
        }
        out.flush();
        return ExitCode.OK;
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The model's facts: configuration, metadata, tensors, decoder norms. */
    private ObjectNode describe(SparseAutoencoder sae) throws IOException {
        ObjectNode r = JSON.createObjectNode();
        r.put("folder", dir.toString());
        Activation act = sae.config().activation();
        r.put("activation", act.architecture());
        if (act.k() > 0) {
            r.put("k", act.k());
        } else {
            r.putNull("k");
        }
        if (!Double.isNaN(sae.batchTopKThreshold())) {
            r.put("batchtopk_threshold", sae.batchTopKThreshold());
        }
        r.put("d_in", sae.dIn());
        r.put("d_sae", sae.dSae());
        // the model was loaded, so cfg.json exists and is a JSON object; sparsify's has no dtype
        JsonNode dtype = JSON.readTree(dir.resolve(SaeLensFormat.CONFIG_FILE).toFile()).get("dtype");
        if (dtype != null && dtype.isTextual()) {
            r.put("dtype", dtype.asText());
        } else {
            r.putNull("dtype");
        }
        SaeMetadata m = sae.metadata();
        ObjectNode meta = r.putObject("metadata");
        meta.put("model_name", m.modelName());
        meta.put("hook_name", m.hookName());
        meta.put("hook_layer", m.hookLayer());
        meta.put("context_size", m.contextSize());
        meta.put("dataset_path", m.datasetPath());
        Path weights = Files.exists(dir.resolve(SaeLensFormat.WEIGHTS_FILE)) ? dir.resolve(SaeLensFormat.WEIGHTS_FILE)
                : dir.resolve(SparsifyFormat.WEIGHTS_FILE);
        r.put("weights_file", weights.getFileName().toString());
        ArrayNode tensors = r.putArray("tensors");
        try (SafetensorsFile f = SafetensorsFile.open(weights)) {
            for (TensorInfo t : f.tensors()) {
                ObjectNode tn = tensors.addObject();
                tn.put("name", t.name());
                tn.put("dtype", t.dtype().toString());
                ArrayNode shape = tn.putArray("shape");
                for (long s : t.shape()) {
                    shape.add(s);
                }
            }
        }
        double[] norms = decoderNorms(sae);
        double[] sorted = norms.clone();
        Arrays.sort(sorted);
        ObjectNode n = r.putObject("decoder_norms");
        n.put("min", sorted[0]);
        n.put("median", median(sorted));
        n.put("max", sorted[sorted.length - 1]);
        return r;
    }

    /** Euclidean norm of each decoder row, in raw input space (a loaded model has input scale 1). */
    static double[] decoderNorms(SparseAutoencoder sae) {
        float[] wDec = sae.weights().wDec();
        int dIn = sae.dIn();
        double[] norms = new double[sae.dSae()];
        for (int j = 0; j < norms.length; j++) {
            double s = 0;
            for (int d = 0; d < dIn; d++) {
                double v = wDec[j * dIn + d];
                s += v * v;
            }
            norms[j] = Math.sqrt(s);
        }
        return norms;
    }

    private static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /**
     * Runs the model over up to {@code maxTokens} rows: squared error, variance about each batch's mean (as
     * the trainer's evaluation), active latents and per-latent fire counts, summarized by {@link EvalMetrics}.
     */
    static ObjectNode evaluate(SparseAutoencoder sae, SaeRows rows, long maxTokens, long available, PrintWriter err) {
        long[] fires = new long[sae.dSae()];
        long tokens = 0;
        double sse = 0;
        double variance = 0;
        double active = 0;
        int dIn = sae.dIn();
        SaeRows.Progress progress = new SaeRows.Progress(err, "inspect",
                available > 0 ? Math.min(available, maxTokens) : -1);
        float[][] batch;
        while (tokens < maxTokens && (batch = rows.next(maxTokens - tokens)) != null) {
            SparseCodes codes = sae.encodeInParallel(batch);
            float[][] recon = sae.decode(codes);
            double[] mean = new double[dIn];
            for (float[] x : batch) {
                for (int d = 0; d < dIn; d++) {
                    mean[d] += x[d];
                }
            }
            for (int d = 0; d < dIn; d++) {
                mean[d] /= batch.length;
            }
            for (int r = 0; r < batch.length; r++) {
                for (int d = 0; d < dIn; d++) {
                    double e = recon[r][d] - (double) batch[r][d];
                    double c = batch[r][d] - mean[d];
                    sse += e * e;
                    variance += c * c;
                }
                for (int j : codes.indices(r)) {
                    fires[j]++;
                }
                active += codes.count(r);
            }
            tokens += batch.length;
            progress.update(tokens);
        }
        if (tokens == 0) {
            throw new CommandFailure(ExitCode.BAD_DATA, "--data holds no rows to evaluate on", "pass non-empty shards");
        }
        EvalMetrics m = EvalMetrics.of(tokens, sse, variance, active, fires);
        ObjectNode e = JSON.createObjectNode();
        e.put("tokens", m.tokens());
        e.put("mse", m.mse());
        e.put("fvu", m.fvu());
        e.put("explained_variance", m.explainedVariance());
        e.put("l0", m.l0());
        ArrayNode dead = JSON.createArrayNode();
        ArrayNode dense = JSON.createArrayNode();
        long deadCount = 0;
        long denseCount = 0;
        for (int j = 0; j < fires.length; j++) {
            if (fires[j] == 0) {
                if (deadCount++ < LISTED_LATENTS) {
                    dead.add(j);
                }
            } else if (fires[j] / (double) tokens > EvalMetrics.DENSE_DENSITY) {
                if (denseCount++ < LISTED_LATENTS) {
                    dense.add(j);
                }
            }
        }
        ObjectNode d = e.putObject("dead_latents");
        d.put("count", deadCount);
        d.set("first", dead);
        ObjectNode n = e.putObject("dense_latents");
        n.put("density_above", EvalMetrics.DENSE_DENSITY);
        n.put("count", denseCount);
        n.set("first", dense);
        ArrayNode hist = e.putArray("density_histogram");
        long[] h = m.log10DensityHistogram();
        for (int b = 0; b < h.length; b++) {
            ObjectNode bin = hist.addObject();
            bin.put("log10_from", EvalMetrics.HISTOGRAM_MIN + b * EvalMetrics.HISTOGRAM_BIN_WIDTH);
            bin.put("log10_to", EvalMetrics.HISTOGRAM_MIN + (b + 1) * EvalMetrics.HISTOGRAM_BIN_WIDTH);
            bin.put("latents", h[b]);
        }
        return e;
    }

    private static void printModel(PrintWriter out, JsonNode r) {
        out.printf(Locale.ROOT, "SAE folder %s%n", r.get("folder").asText());
        out.printf(Locale.ROOT, "  activation  %s%s%n", r.get("activation").asText(),
                r.get("k").isNull() ? "" : "  k=" + r.get("k").asInt());
        if (r.has("batchtopk_threshold")) {
            out.printf(Locale.ROOT, "  inference threshold  %s%n", r.get("batchtopk_threshold").asDouble());
        }
        out.printf(Locale.ROOT, "  d_in %d  d_sae %d  dtype %s%n", r.get("d_in").asInt(), r.get("d_sae").asInt(),
                text(r.get("dtype")));
        JsonNode m = r.get("metadata");
        out.printf(Locale.ROOT, "  model %s  hook %s  layer %s  context %s  dataset %s%n", text(m.get("model_name")),
                text(m.get("hook_name")), text(m.get("hook_layer")), text(m.get("context_size")),
                text(m.get("dataset_path")));
        out.printf(Locale.ROOT, "  tensors (%s):%n", r.get("weights_file").asText());
        for (JsonNode t : r.get("tensors")) {
            out.printf(Locale.ROOT, "    %-10s %-5s %s%n", t.get("name").asText(), t.get("dtype").asText(), t.get("shape"));
        }
        JsonNode n = r.get("decoder_norms");
        out.printf(Locale.ROOT, "  decoder row norms  min %.6g  median %.6g  max %.6g%n", n.get("min").asDouble(),
                n.get("median").asDouble(), n.get("max").asDouble());
    }

    private static String text(JsonNode v) {
        return v == null || v.isNull() ? "unknown" : v.asText();
    }

    private static void printEvaluation(PrintWriter out, JsonNode e) {
        out.printf(Locale.ROOT, "evaluation on %,d rows%s%n", e.get("tokens").asLong(),
                e.path("skipped_non_finite_rows").asLong() > 0 ? String.format(Locale.ROOT,
                        " (%,d rows holding NaN or Inf skipped)", e.get("skipped_non_finite_rows").asLong()) : "");
        out.printf(Locale.ROOT, "  L0 %.3f  explained variance %.4f  MSE %.6g%n", e.get("l0").asDouble(),
                e.get("explained_variance").asDouble(), e.get("mse").asDouble());
        JsonNode dead = e.get("dead_latents");
        JsonNode dense = e.get("dense_latents");
        out.printf(Locale.ROOT, "  dead latents (never fired)  %d%s%n", dead.get("count").asLong(), listed(dead));
        out.printf(Locale.ROOT, "  dense latents (fired on more than %.0f%% of rows)  %d%s%n",
                100 * dense.get("density_above").asDouble(), dense.get("count").asLong(), listed(dense));
        out.println("  feature density (log10 of the fraction of rows a latent fires on; dead latents not counted)");
        JsonNode hist = e.get("density_histogram");
        long max = 0;
        int first = -1;
        int last = -1;
        for (int b = 0; b < hist.size(); b++) {
            long c = hist.get(b).get("latents").asLong();
            max = Math.max(max, c);
            if (c > 0) {
                last = b;
                if (first < 0) {
                    first = b;
                }
            }
        }
        for (int b = Math.max(0, first); b <= last; b++) {
            JsonNode bin = hist.get(b);
            long c = bin.get("latents").asLong();
            int width = c == 0 ? 0 : (int) Math.max(1, Math.round(BAR_WIDTH * (double) c / max));
            out.printf(Locale.ROOT, "    [%5.1f, %5.1f)  %-" + BAR_WIDTH + "s %d%n", bin.get("log10_from").asDouble(),
                    bin.get("log10_to").asDouble(), "#".repeat(width), c);
        }
    }

    private static String listed(JsonNode kind) {
        JsonNode first = kind.get("first");
        if (first.isEmpty()) {
            return "";
        }
        long count = kind.get("count").asLong();
        return "  e.g. " + first + (count > first.size() ? " ..." : "");
    }
}

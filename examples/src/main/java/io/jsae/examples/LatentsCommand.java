package io.jsae.examples;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jsae.core.SparseAutoencoder;
import io.jsae.core.SparseCodes;
import io.jsae.core.data.ActivationSource;
import io.jsae.core.eval.DetectionScore;
import io.jsae.core.eval.LatentLabelAnalysis;
import io.jsae.core.eval.LatentLabelAnalysis.ClassResult;
import io.jsae.core.eval.LatentLabelAnalysis.Detector;
import io.jsae.core.eval.LatentLabelStats;
import io.jsae.core.eval.LatentScore;
import io.jsae.core.eval.RocCurve;
import io.jsae.core.eval.SparseLogisticProbe;
import io.jsae.examples.report.LatentsReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * Finds the latents of an SAE that detect labeled spans (emails, phone numbers, names: the PII question) and
 * says how well: one pass over {@code --data} with per-row {@code --labels}, through
 * {@link LatentLabelAnalysis}. Prints a table per class (top latents by AUROC, their firing rates and best-F1
 * threshold, then the held-out scores of the best single latent and of the sparse logistic probe);
 * {@code --json} writes the same, {@code --report DIR} an HTML page with ROC curves.
 */
@Command(name = "latents", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "Find the latents that detect labeled spans (e.g. PII classes) and score them: AUROC, firing"
                + " rates, best-F1 thresholds, and held-out precision/recall/F1 of the best single latent and of a"
                + " sparse logistic probe.")
public final class LatentsCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DIR", description = "The SAE folder (SAELens or sparsify layout).")
    private Path dir;

    @Mixin
    private DataOptions data;

    @Option(names = "--labels", required = true, paramLabel = "FILE",
            description = "Per-row labels: an int32/int64 .npy array (0 none, 1..C a class; one per row of --data,"
                    + " in order), or a CSV of row,class lines (unlisted rows are 0).")
    private Path labels;

    @Option(names = "--classes", paramLabel = "A,B,...", description = "Class names, class 1 first.")
    private String classes;

    @Option(names = "--class-names", paramLabel = "FILE", description = "A JSON array of class names, class 1 first.")
    private Path classNames;

    @Option(names = "--top", defaultValue = "10", paramLabel = "N",
            description = "Latents listed per class.")
    private int top;

    @Option(names = "--held-out", defaultValue = "0.2", paramLabel = "F",
            description = "Fraction of row blocks held out to score the detectors.")
    private double heldOut;

    @Option(names = "--split-block", defaultValue = "256", paramLabel = "ROWS",
            description = "Consecutive rows that go to the same split.")
    private int splitBlock;

    @Option(names = "--probe-rows", defaultValue = "100000", paramLabel = "N",
            description = "Most rows per split whose codes are kept for the detectors.")
    private int probeRows;

    @Option(names = "--l1", defaultValue = "1e-4", paramLabel = "LAMBDA",
            description = "The probe's L1 weight on latents scaled to a largest activation of 1.")
    private double l1;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "N",
            description = "Seed of the split and the sampling.")
    private long seed;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the findings as JSON to FILE (replaced).")
    private Path json;

    @Option(names = "--report", paramLabel = "DIR", description = "Write DIR/latents.html: top latents and ROC curves.")
    private Path report;

    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public Integer call() throws IOException {
        if (data.skipNonFinite()) {
            throw new CommandFailure(ExitCode.USAGE, "--skip-non-finite cannot be used with --labels: skipping a row"
                    + " would shift every later label", "remove the non-finite rows and their labels from the files");
        }
        LatentLabelAnalysis.Settings settings;
        try {
            settings = new LatentLabelAnalysis.Settings(heldOut, splitBlock, seed, probeRows, l1,
                    LatentLabelAnalysis.Settings.defaults().probeIterations(), top);
        } catch (IllegalArgumentException e) {
            throw new CommandFailure(ExitCode.USAGE, e.getMessage(), "see jsae latents --help");
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        SparseAutoencoder sae = SaeFolderArgument.load(dir);
        List<String> names = LabelFiles.names(classes, classNames);
        LatentLabelAnalysis.Result result;
        LabelFiles.Labels labelled;
        try (ActivationSource source = data.open(false, 0)) {
            SaeRows rows = SaeRows.of(source, sae, data.path(), dir);
            long total = source.rowsPerEpoch();
            labelled = LabelFiles.read(labels, names, total);
            checkEveryClassHasRows(labelled);
            LatentLabelAnalysis analysis = new LatentLabelAnalysis(sae.dSae(), labelled.names(), total, settings);
            SaeRows.Progress progress = new SaeRows.Progress(err, "latents", total);
            int done = 0;
            long start = System.nanoTime();
            float[][] batch;
            while ((batch = rows.next(SaeRows.BATCH_ROWS)) != null) {
                SparseCodes codes = sae.encodeInParallel(batch);
                analysis.add(codes, labelled.labels(), done);
                done += batch.length;
                progress.update(done);
            }
            if (done != total) {
                throw new CommandFailure(ExitCode.BAD_DATA, "--data " + data.path() + " yielded " + done + " rows but"
                        + " declares " + total, "check the shards");
            }
            long streamed = System.nanoTime();
            try {
                result = analysis.finish();
            } catch (IllegalStateException e) {
                throw new CommandFailure(ExitCode.BAD_DATA, e.getMessage(), "pass more rows or a smaller --split-block");
            }
            double passSeconds = (streamed - start) / 1e9;
            err.printf(Locale.ROOT, "latents: streamed %,d rows in %.1f s (%,.0f rows/s, encoding included); detectors"
                    + " fitted in %.1f s%n", done, passSeconds, done / passSeconds, (System.nanoTime() - streamed) / 1e9);
        }
        print(out, result);
        if (json != null) {
            Files.write(json, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(toJson(result)));
            out.println("wrote " + json);
        }
        if (report != null) {
            Map<String, String> facts = new LinkedHashMap<>();
            facts.put("SAE folder", dir.toString());
            facts.put("data", String.valueOf(data.path()));
            facts.put("labels", labels.toString());
            facts.put("d_in, d_sae", sae.dIn() + ", " + sae.dSae());
            facts.put("held out", heldOut + " of blocks of " + splitBlock + " rows (seed " + seed + ")");
            facts.put("probe", "L1 " + l1 + ", at most " + probeRows + " rows per split");
            Path file = report.resolve(LatentsReport.FILE_NAME);
            LatentsReport.writeHtml(result, "Latents for " + dir.getFileName(), facts, Instant.now(), file);
            out.println("wrote " + file);
        }
        out.flush();
        return ExitCode.OK;
    }

    /**
     * A class without a single labeled row has no AUROC, no threshold and no probe; that is a mistake in --classes
     * or in the labels, found here before the pass over the data rather than printed as NaN after it.
     */
    private void checkEveryClassHasRows(LabelFiles.Labels labelled) {
        long[] count = new long[labelled.names().size() + 1];
        for (int l : labelled.labels()) {
            count[l]++;
        }
        for (int c = 1; c < count.length; c++) {
            if (count[c] == 0) {
                throw new CommandFailure(ExitCode.BAD_DATA, "--labels " + labels + ": class '" + labelled.names().get(c - 1)
                        + "' (label " + c + ") has no rows", "drop it from the class names, or check the labels");
            }
        }
    }

    private static void print(PrintWriter out, LatentLabelAnalysis.Result r) {
        out.printf(Locale.ROOT, "%,d rows; detectors fitted on %,d training rows and scored on %,d held-out rows%n",
                r.rows(), r.trainRows(), r.heldOutRows());
        for (ClassResult c : r.classes()) {
            out.printf(Locale.ROOT, "%nclass %d %s: %,d positive rows (%.2f%%)%n", c.label(), c.name(), c.positives(),
                    100.0 * c.positives() / r.rows());
            out.printf(Locale.ROOT, "  %7s %8s %8s %9s %9s %9s %9s %9s %7s %7s %7s%n", "latent", "AUROC", "±bound",
                    "fires+", "fires-", "mean+", "mean-", "thresh", "prec", "recall", "F1");
            for (LatentScore s : c.topLatents()) {
                DetectionScore b = s.best();
                out.printf(Locale.ROOT, "  %7d %8.4f %8.1e %8.2f%% %8.2f%% %9.4g %9.4g %9.4g %7.3f %7.3f %7.3f%n",
                        s.latent(), s.auroc(), s.aurocErrorBound(), 100 * s.firingRatePositive(),
                        100 * s.firingRateNegative(), s.meanActivationPositive(), s.meanActivationNegative(),
                        b.threshold(), b.precision(), b.recall(), b.f1());
            }
            out.println("  held out:");
            printDetector(out, c.singleLatent(), "latent " + c.singleLatent().latents()[0]);
            printDetector(out, c.probe(), c.probe().latents().length + " latents");
        }
    }

    private static void printDetector(PrintWriter out, Detector d, String what) {
        DetectionScore h = d.heldOut();
        out.printf(Locale.ROOT, "    %-13s %-12s precision %.3f  recall %.3f  F1 %.3f  AUROC %.4f  (train F1 %.3f)%n",
                d.kind(), what, h.precision(), h.recall(), h.f1(), h.auroc(), d.train().f1());
    }

    private static ObjectNode toJson(LatentLabelAnalysis.Result r) {
        ObjectNode root = JSON.createObjectNode();
        root.put("rows", r.rows());
        root.put("train_rows", r.trainRows());
        root.put("held_out_rows", r.heldOutRows());
        ObjectNode s = root.putObject("settings");
        s.put("held_out_fraction", r.settings().heldOutFraction());
        s.put("split_block_rows", r.settings().splitBlockRows());
        s.put("seed", r.settings().seed());
        s.put("probe_rows", r.settings().probeRows());
        s.put("l1", r.settings().l1());
        s.put("probe_iterations", r.settings().probeIterations());
        s.put("probe_tolerance", SparseLogisticProbe.TOLERANCE);
        s.put("histogram_bins_per_octave", LatentLabelStats.BINS_PER_OCTAVE);
        s.put("histogram_min_exponent", LatentLabelStats.MIN_EXPONENT);
        s.put("histogram_octaves", LatentLabelStats.OCTAVES);
        ArrayNode classes = root.putArray("classes");
        for (ClassResult c : r.classes()) {
            ObjectNode cn = classes.addObject();
            cn.put("label", c.label());
            cn.put("name", c.name());
            cn.put("positives", c.positives());
            ArrayNode top = cn.putArray("top_latents");
            for (int i = 0; i < c.topLatents().size(); i++) {
                LatentScore l = c.topLatents().get(i);
                ObjectNode ln = top.addObject();
                ln.put("latent", l.latent());
                ln.put("auroc", l.auroc());
                ln.put("auroc_error_bound", l.aurocErrorBound());
                ln.put("firing_rate_positive", l.firingRatePositive());
                ln.put("firing_rate_negative", l.firingRateNegative());
                ln.put("mean_activation_positive", l.meanActivationPositive());
                ln.put("mean_activation_negative", l.meanActivationNegative());
                score(ln.putObject("best_f1"), l.best());
                RocCurve roc = c.rocCurves().get(i);
                ArrayNode fpr = ln.putObject("roc").putArray("fpr");
                for (double v : roc.falsePositiveRate()) {
                    fpr.add(v);
                }
                ArrayNode tpr = ((ObjectNode) ln.get("roc")).putArray("tpr");
                for (double v : roc.truePositiveRate()) {
                    tpr.add(v);
                }
            }
            detector(cn.putObject("single_latent"), c.singleLatent());
            detector(cn.putObject("probe"), c.probe());
        }
        return root;
    }

    private static void detector(ObjectNode n, Detector d) {
        ArrayNode latents = n.putArray("latents");
        ArrayNode weights = n.putArray("weights");
        for (int i = 0; i < d.latents().length; i++) {
            latents.add(d.latents()[i]);
            weights.add(d.weights()[i]);
        }
        n.put("bias", d.bias());
        score(n.putObject("train"), d.train());
        score(n.putObject("held_out"), d.heldOut());
    }

    private static void score(ObjectNode n, DetectionScore s) {
        if (Double.isFinite(s.threshold())) {
            n.put("threshold", s.threshold());
        } else {
            n.putNull("threshold");
        }
        n.put("precision", s.precision());
        n.put("recall", s.recall());
        n.put("f1", s.f1());
        if (Double.isNaN(s.auroc())) {
            n.putNull("auroc");
        } else {
            n.put("auroc", s.auroc());
        }
        n.put("true_positives", s.truePositives());
        n.put("false_positives", s.falsePositives());
        n.put("false_negatives", s.falseNegatives());
        n.put("true_negatives", s.trueNegatives());
    }
}

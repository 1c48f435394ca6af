package io.jsae.examples.report;

import io.jsae.core.eval.DetectionScore;
import io.jsae.core.eval.LatentLabelAnalysis;
import io.jsae.core.eval.LatentLabelAnalysis.ClassResult;
import io.jsae.core.eval.LatentLabelAnalysis.Detector;
import io.jsae.core.eval.LatentScore;
import io.jsae.core.eval.RocCurve;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.jsae.examples.report.Markup.esc;
import static io.jsae.examples.report.Markup.number;

/**
 * Writes {@code latents.html}, the page of {@code jsae latents --report}: in the style of {@link ReportWriter}
 * (one offline file, no script, inline SVG, well-formed XML), a section per class ({@code class-1}, ...) with
 * the held-out scores of its two detectors, its top latents as a table, and the ROC curves of its best
 * {@value #ROC_CURVES} latents ({@code chart-roc-1}, ...).
 */
public final class LatentsReport {

    /** The page's file name inside the report folder. */
    public static final String FILE_NAME = "latents.html";
    /** ROC curves drawn per class. */
    static final int ROC_CURVES = 5;

    private static final DateTimeFormatter GENERATED =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);

    private LatentsReport() {
    }

    /**
     * Writes the page, replacing the file whole.
     *
     * @param result      the analysis
     * @param title       the page's title
     * @param facts       what was analysed (shown as a table)
     * @param generatedAt when
     * @param file        where
     * @throws IOException when the file cannot be written
     */
    public static void writeHtml(LatentLabelAnalysis.Result result, String title, Map<String, String> facts,
                                 Instant generatedAt, Path file) throws IOException {
        ReportFiles.replace(file, render(result, title, facts, generatedAt));
    }

    static String render(LatentLabelAnalysis.Result result, String title, Map<String, String> facts,
                         Instant generatedAt) {
        StringBuilder html = new StringBuilder(64 * 1024);
        html.append("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n")
                .append("<meta charset=\"utf-8\"/>\n")
                .append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; ")
                .append("style-src 'unsafe-inline'\"/>\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n")
                .append("<title>").append(esc(title)).append("</title>\n")
                .append("<style>\n").append(ReportWriter.STYLE).append("</style>\n</head>\n<body>\n");
        html.append("<h1>").append(esc(title)).append("</h1>\n");
        html.append("<p class=\"meta\">Generated ")
                .append(esc(GENERATED.format(generatedAt.truncatedTo(ChronoUnit.SECONDS)))).append(" · ")
                .append(result.rows()).append(" rows; detectors fitted on ").append(result.trainRows())
                .append(" training rows, scored on ").append(result.heldOutRows()).append(" held-out rows</p>\n");
        html.append("<section id=\"settings\">\n<h2>Settings</h2>\n<table class=\"settings\">\n");
        for (Map.Entry<String, String> e : facts.entrySet()) {
            html.append("<tr><th>").append(esc(e.getKey())).append("</th><td>").append(esc(e.getValue()))
                    .append("</td></tr>\n");
        }
        html.append("</table>\n<p class=\"caption\">AUROC over all rows from histograms of four bins per octave;"
                + " ±bound is the most it can differ from the exact AUROC. Thresholds are bin edges of best F1 (a row"
                + " counts as positive when the latent fires at least that much).</p>\n</section>\n");
        for (ClassResult c : result.classes()) {
            classSection(html, c, result.rows());
        }
        html.append("</body>\n</html>\n");
        return html.toString();
    }

    private static void classSection(StringBuilder html, ClassResult c, long rows) {
        html.append("<section id=\"class-").append(c.label()).append("\">\n<h2>Class ").append(c.label()).append(": ")
                .append(esc(c.name())).append("</h2>\n<p class=\"meta\">").append(c.positives())
                .append(" positive rows (").append(number(100.0 * c.positives() / rows)).append("%)</p>\n");
        html.append("<h3>Detectors on the held-out rows</h3>\n<table class=\"detectors\">\n<tr><th>detector</th>")
                .append("<th>latents</th><th>precision</th><th>recall</th><th>F1</th><th>AUROC</th><th>train F1</th>")
                .append("</tr>\n");
        detectorRow(html, c.singleLatent(), "latent " + c.singleLatent().latents()[0]);
        detectorRow(html, c.probe(), describeProbe(c.probe()));
        html.append("</table>\n");
        html.append("<h3>Top latents by AUROC</h3>\n<table class=\"latents\">\n<tr><th>latent</th><th>AUROC</th>")
                .append("<th>±bound</th><th>fires on positives</th><th>fires on negatives</th><th>mean act. +</th>")
                .append("<th>mean act. −</th><th>threshold</th><th>precision</th><th>recall</th><th>F1</th></tr>\n");
        for (LatentScore s : c.topLatents()) {
            DetectionScore b = s.best();
            html.append("<tr>");
            cell(html, Integer.toString(s.latent()));
            cell(html, number(s.auroc()));
            cell(html, String.format(java.util.Locale.ROOT, "%.1e", s.aurocErrorBound()));
            cell(html, number(100 * s.firingRatePositive()) + "%");
            cell(html, number(100 * s.firingRateNegative()) + "%");
            cell(html, number(s.meanActivationPositive()));
            cell(html, number(s.meanActivationNegative()));
            cell(html, number(b.threshold()));
            cell(html, number(b.precision()));
            cell(html, number(b.recall()));
            cell(html, number(b.f1()));
            html.append("</tr>\n");
        }
        html.append("</table>\n");
        int n = Math.min(ROC_CURVES, c.topLatents().size());
        List<String> labels = new ArrayList<>();
        List<double[]> fpr = new ArrayList<>();
        List<double[]> tpr = new ArrayList<>();
        html.append("<h3>ROC curves</h3>\n<p class=\"caption\">");
        for (int i = 0; i < n; i++) {
            LatentScore s = c.topLatents().get(i);
            RocCurve roc = c.rocCurves().get(i);
            String label = "latent " + s.latent() + " (AUROC " + number(s.auroc()) + ")";
            labels.add(label);
            fpr.add(roc.falsePositiveRate());
            tpr.add(roc.truePositiveRate());
            html.append(i == 0 ? "" : " · ").append("<span style=\"color:")
                    .append(Charts.ROC_COLOURS[i % Charts.ROC_COLOURS.length]).append("\">■</span> ").append(esc(label));
        }
        html.append("</p>\n").append(Charts.roc("chart-roc-" + c.label(), labels, fpr, tpr)).append("</section>\n");
    }

    private static String describeProbe(Detector probe) {
        int shown = Math.min(5, probe.latents().length);
        StringBuilder s = new StringBuilder().append(probe.latents().length).append(" latents");
        if (shown > 0) {
            // the largest weights by magnitude, with their signs
            Integer[] order = new Integer[probe.latents().length];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            java.util.Arrays.sort(order, (a, b) -> Double.compare(Math.abs(probe.weights()[b]),
                    Math.abs(probe.weights()[a])));
            s.append(": ");
            for (int i = 0; i < shown; i++) {
                double w = probe.weights()[order[i]];
                s.append(i == 0 ? "" : ", ").append(w >= 0 ? "+" : "−").append(number(Math.abs(w))).append("×")
                        .append(probe.latents()[order[i]]);
            }
            s.append(shown < order.length ? ", …" : "");
        }
        return s.toString();
    }

    private static void detectorRow(StringBuilder html, Detector d, String latents) {
        DetectionScore h = d.heldOut();
        html.append("<tr><td>").append(esc(d.kind())).append("</td><td>").append(esc(latents)).append("</td>");
        cell(html, number(h.precision()));
        cell(html, number(h.recall()));
        cell(html, number(h.f1()));
        cell(html, number(h.auroc()));
        cell(html, number(d.train().f1()));
        html.append("</tr>\n");
    }

    private static void cell(StringBuilder html, String text) {
        html.append("<td class=\"num\">").append(esc(text)).append("</td>");
    }
}

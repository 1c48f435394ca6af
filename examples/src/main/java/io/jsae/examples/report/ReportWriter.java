package io.jsae.examples.report;

import io.jsae.core.eval.EvalMetrics;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.ToDoubleFunction;

import static io.jsae.examples.report.Markup.esc;

/**
 * Writes {@code report.html}: one file that opens offline in any browser. It loads nothing (a Content-Security-Policy
 * forbids it), runs no script, and draws its charts as inline SVG. The markup is also well-formed XML, so tools can
 * parse it without an HTML parser.
 *
 * <p>Sections, each with a stable id: {@code settings}, {@code curves} (svgs {@code chart-loss},
 * {@code chart-explained-variance}, {@code chart-l0}), {@code rounds}, {@code density} ({@code chart-density}) and
 * {@code cost} ({@code chart-cost}). A section whose data is missing says so instead of drawing.
 */
public final class ReportWriter {

    private static final DateTimeFormatter GENERATED =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);

    /** The page style, shared with {@link LatentsReport}. */
    static final String STYLE = """
            body { font-family: sans-serif; font-size: 15px; color: #2c3038; margin: 24px auto; max-width: 1040px; padding: 0 16px; }
            h1 { font-size: 24px; margin: 0 0 4px; }
            h2 { font-size: 19px; margin: 28px 0 8px; border-bottom: 1px solid #d5dae2; padding-bottom: 4px; }
            h3 { font-size: 15px; margin: 16px 0 4px; }
            .meta, .caption { color: #59606b; font-size: 13px; margin: 2px 0 6px; }
            table { border-collapse: collapse; font-size: 13px; }
            th, td { border: 1px solid #d5dae2; padding: 4px 8px; text-align: left; vertical-align: top; }
            th { background: #eef1f5; font-weight: 600; }
            td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
            td.reasoning { max-width: 420px; }
            tr.stop td { background: #fff4e5; }
            .empty { color: #59606b; font-style: italic; }
            svg.chart { display: block; max-width: 100%; height: auto; }
            .verdict { font-weight: 600; }
            .verdict.within { color: #137a3a; }
            .verdict.outside { color: #c0262d; }
            """;

    private ReportWriter() {
    }

    /**
     * Writes the report to {@code file}, replacing it whole.
     *
     * @param report what to show
     * @param file   where to write, usually {@code report.html} in the run's folder
     * @throws IOException when the file cannot be written
     */
    public static void writeHtml(RunReport report, Path file) throws IOException {
        ReportFiles.replace(file, render(report));
    }

    /**
     * @param report what to show
     * @return the page's markup
     */
    static String render(RunReport report) {
        StringBuilder html = new StringBuilder(64 * 1024);
        html.append("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n")
                .append("<meta charset=\"utf-8\"/>\n")
                .append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; ")
                .append("style-src 'unsafe-inline'\"/>\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n")
                .append("<title>").append(esc(report.title())).append("</title>\n")
                .append("<style>\n").append(STYLE).append("</style>\n</head>\n<body>\n");
        html.append("<h1>").append(esc(report.title())).append("</h1>\n");
        html.append("<p class=\"meta\">Generated ")
                .append(esc(GENERATED.format(report.generatedAt().truncatedTo(ChronoUnit.SECONDS))));
        if (!report.steps().isEmpty()) {
            StepPoint last = report.steps().get(report.steps().size() - 1);
            html.append(" · last recorded step ").append(last.step()).append(", ").append(last.tokens())
                    .append(" tokens");
        }
        html.append("</p>\n");
        settings(html, report.settings());
        curves(html, report.steps());
        rounds(html, report.rounds(), report.stopReasoning());
        density(html, report.density());
        cost(html, report.cost());
        html.append("</body>\n</html>\n");
        return html.toString();
    }

    private static void settings(StringBuilder html, Map<String, String> settings) {
        html.append("<section id=\"settings\">\n<h2>Run settings</h2>\n");
        if (settings.isEmpty()) {
            html.append("<p class=\"empty\">No settings were recorded.</p>\n");
        } else {
            html.append("<table class=\"settings\">\n");
            for (Map.Entry<String, String> e : settings.entrySet()) {
                html.append("<tr><th>").append(esc(e.getKey())).append("</th><td>").append(esc(e.getValue()))
                        .append("</td></tr>\n");
            }
            html.append("</table>\n");
        }
        html.append("</section>\n");
    }

    private static void curves(StringBuilder html, List<StepPoint> steps) {
        html.append("<section id=\"curves\">\n<h2>Training curves</h2>\n");
        if (steps.isEmpty()) {
            html.append("<p class=\"empty\">No steps were recorded; the charts are empty.</p>\n");
        } else {
            html.append("<p class=\"meta\">").append(steps.size()).append(" sampled steps, from step ")
                    .append(steps.get(0).step()).append(" to ").append(steps.get(steps.size() - 1).step())
                    .append(".</p>\n");
        }
        curve(html, "Loss", "chart-loss", "loss", Charts.LOSS_COLOUR, steps, StepPoint::loss);
        curve(html, "Explained variance", "chart-explained-variance", "explained variance",
                Charts.EXPLAINED_VARIANCE_COLOUR, steps, StepPoint::explainedVariance);
        curve(html, "L0 (mean active latents per token)", "chart-l0", "L0", Charts.L0_COLOUR, steps, StepPoint::l0);
        html.append("</section>\n");
    }

    private static void curve(StringBuilder html, String heading, String id, String yLabel, String colour,
                              List<StepPoint> steps, ToDoubleFunction<StepPoint> value) {
        html.append("<h3>").append(esc(heading)).append("</h3>\n");
        for (int i = steps.size() - 1; i >= 0; i--) {
            double v = value.applyAsDouble(steps.get(i));
            if (Double.isFinite(v)) {
                html.append("<p class=\"caption\">Latest: ").append(esc(Markup.number(v))).append(" at step ")
                        .append(steps.get(i).step()).append(".</p>\n");
                break;
            }
        }
        html.append(Charts.line(id, yLabel, colour, steps, value));
    }

    private static void rounds(StringBuilder html, List<RoundRow> rounds, String stopReasoning) {
        html.append("<section id=\"rounds\">\n<h2>TUMIX rounds</h2>\n");
        if (rounds.isEmpty()) {
            html.append("<p class=\"empty\">No TUMIX rounds were recorded.</p>\n");
        } else {
            Set<String> names = new LinkedHashSet<>();
            for (RoundRow r : rounds) {
                for (String name : r.metrics().keySet()) {
                    if (!name.equals(r.monitored())) {
                        names.add(name);
                    }
                }
            }
            List<String> columns = new ArrayList<>(names);
            html.append("<table class=\"rounds\">\n<tr><th>Round</th><th>Monitored quantity</th><th>Value</th>");
            for (String name : columns) {
                html.append("<th>").append(esc(name)).append("</th>");
            }
            html.append("<th>Decision</th><th>Reasoning</th></tr>\n");
            for (RoundRow r : rounds) {
                html.append(r.stop() ? "<tr class=\"stop\">" : "<tr>")
                        .append("<td class=\"num\">").append(r.round()).append("</td>")
                        .append("<td>").append(esc(r.monitored())).append("</td>")
                        .append("<td class=\"num\">").append(esc(Markup.number(r.monitoredValue()))).append("</td>");
                for (String name : columns) {
                    Double v = r.metrics().get(name);
                    html.append("<td class=\"num\">").append(v == null ? "" : esc(Markup.number(v))).append("</td>");
                }
                // The decision's own words when TUMIX gave some, else just which way it went.
                String decision = r.decision() == null || r.decision().isBlank()
                        ? (r.stop() ? "stop" : "continue") : r.decision();
                html.append("<td>").append(r.stop() ? "<strong>" + esc(decision) + "</strong>" : esc(decision));
                html.append("</td><td class=\"reasoning\">").append(esc(r.reasoning())).append("</td></tr>\n");
            }
            html.append("</table>\n");
        }
        if (stopReasoning != null) {
            html.append("<h3>Why the run stopped where it did</h3>\n<p id=\"stop-reasoning\">")
                    .append(esc(stopReasoning)).append("</p>\n");
        }
        html.append("</section>\n");
    }

    private static void density(StringBuilder html, Density density) {
        html.append("<section id=\"density\">\n<h2>Feature density</h2>\n");
        if (density == null) {
            html.append("<p class=\"empty\">No evaluation pass was run, so there is no density histogram.</p>\n");
        } else {
            int latents = density.fireCounts().length;
            long dead = density.deadCount();
            long dense = density.denseCount();
            html.append("<p id=\"density-counts\">").append(latents).append(" latents over ")
                    .append(density.tokens()).append(" evaluation tokens: <strong>").append(dead)
                    .append("</strong> dead (never fired, ").append(esc(share(dead, latents)))
                    .append("), <strong>").append(dense).append("</strong> dense (fired on more than ")
                    .append(esc(Markup.number(EvalMetrics.DENSE_DENSITY * 100))).append("% of tokens, ")
                    .append(esc(share(dense, latents))).append(").</p>\n");
            html.append(Charts.histogram(density, EvalMetrics.DENSE_DENSITY));
        }
        html.append("</section>\n");
    }

    private static String share(long count, int of) {
        return of == 0 ? "n/a" : Markup.number(Math.round(1000.0 * count / of) / 10.0) + "%";
    }

    private static void cost(StringBuilder html, CostSummary cost) {
        html.append("<section id=\"cost\">\n<h2>Cost</h2>\n");
        if (cost == null) {
            html.append("<p class=\"empty\">No cost meter ran for this run.</p>\n");
            html.append("</section>\n");
            return;
        }
        html.append("<p>");
        if (cost.offer() != null) {
            html.append("Offer: ").append(esc(cost.offer()));
            if (cost.pricePerHour() != null) {
                html.append(" at ").append(esc(Markup.dollars(cost.pricePerHour()))).append("/h");
            }
            html.append(". ");
        }
        html.append("Spent so far: <strong>").append(esc(Markup.dollars(cost.costSoFar()))).append("</strong> with ")
                .append(esc(Markup.number(Math.round(cost.fractionDone() * 1000) / 10.0))).append("% of the run done.");
        if (cost.estimate() != null) {
            BigDecimal tolerance = cost.tolerance() == null ? BigDecimal.ZERO : cost.tolerance();
            html.append(" Estimate: <strong>").append(esc(Markup.dollars(cost.estimate()))).append(" ± ")
                    .append(esc(Markup.percent(tolerance))).append("</strong> (")
                    .append(esc(Markup.dollars(cost.bandLow()))).append(" to ")
                    .append(esc(Markup.dollars(cost.bandHigh()))).append(").");
        } else {
            html.append(" No estimate was given.");
        }
        html.append("</p>\n");
        BigDecimal projected = cost.projectedTotal();
        Boolean within = cost.projectedWithinBand();
        if (projected == null) {
            html.append("<p id=\"cost-verdict\" class=\"verdict\">Nothing is done yet, so no total can be "
                    + "projected.</p>\n");
        } else if (within == null) {
            html.append("<p id=\"cost-verdict\" class=\"verdict\">Projected total: ")
                    .append(esc(Markup.dollars(projected))).append(".</p>\n");
        } else {
            String where = within ? "within the estimate's band"
                    : projected.compareTo(cost.bandHigh()) > 0 ? "above the estimate's band"
                    : "below the estimate's band";
            html.append("<p id=\"cost-verdict\" class=\"verdict ").append(within ? "within" : "outside")
                    .append("\">Projected total: ").append(esc(Markup.dollars(projected))).append(", ")
                    .append(where).append(".</p>\n");
        }
        html.append(Charts.cost(cost));
        html.append("<p class=\"caption\">Shaded: the estimate's tolerance band, its line the estimate; filled bar: "
                + "spent so far; marker: the projected total (spent so far divided by the fraction done).</p>\n");
        html.append("</section>\n");
    }
}

package io.jsae.examples.report;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;

import static io.jsae.examples.report.Markup.coord;
import static io.jsae.examples.report.Markup.esc;

/**
 * The report's inline SVG charts. Every chart draws its plot area in {@link #PLOT_BACKGROUND} and its data in a
 * saturated colour of its own, so a screenshot shows (and a test can find) where each chart is and that it drew.
 */
final class Charts {

    /** Fill of every plot area; used nowhere else on the page. */
    static final String PLOT_BACKGROUND = "#f4f6fa";
    /** Colour of the loss line. */
    static final String LOSS_COLOUR = "#1f5fd1";
    /** Colour of the explained-variance line. */
    static final String EXPLAINED_VARIANCE_COLOUR = "#12944a";
    /** Colour of the L0 line. */
    static final String L0_COLOUR = "#e0700b";
    /** Colour of the live latents' density bars. */
    static final String DENSITY_COLOUR = "#7b3fd6";
    /** Colour of the dead latents' bar. */
    static final String DEAD_COLOUR = "#d22f2f";
    /** Colour of the bar of dollars spent so far. */
    static final String SPENT_COLOUR = "#0c8b94";
    /** Fill of the estimate's tolerance band. */
    static final String BAND_COLOUR = "#cdebd5";
    /** Colour of the estimate and of a projected total within its band. */
    static final String WITHIN_COLOUR = "#137a3a";
    /** Colour of a projected total outside the estimate's band. */
    static final String OUTSIDE_COLOUR = "#c0262d";

    private static final String GRID = "#dde2ea";
    private static final String AXIS = "#59606b";
    private static final String TEXT = "#2c3038";

    /** Width of every chart, in CSS pixels. */
    static final int WIDTH = 1000;
    private static final int LINE_HEIGHT = 280;
    private static final int LEFT = 84;
    private static final int RIGHT = 28;
    private static final int TOP = 14;
    private static final int BOTTOM = 52;

    private Charts() {
    }

    /**
     * A line chart of one quantity over steps. NaN values break the line; a run of one point between breaks is drawn
     * as a dot, since a polyline of one point shows nothing.
     *
     * @param id     the svg's id
     * @param yLabel the vertical axis's label
     * @param colour the line's colour
     * @param steps  the sampled steps in order
     * @param value  the quantity to plot
     * @return the svg element
     */
    static String line(String id, String yLabel, String colour, List<StepPoint> steps,
                       ToDoubleFunction<StepPoint> value) {
        double minX = Double.POSITIVE_INFINITY;
        double maxX = Double.NEGATIVE_INFINITY;
        double minY = Double.POSITIVE_INFINITY;
        double maxY = Double.NEGATIVE_INFINITY;
        int finite = 0;
        for (StepPoint p : steps) {
            minX = Math.min(minX, p.step());
            maxX = Math.max(maxX, p.step());
            double v = value.applyAsDouble(p);
            if (Double.isFinite(v)) {
                minY = Math.min(minY, v);
                maxY = Math.max(maxY, v);
                finite++;
            }
        }
        Axis x = Axis.around(minX, maxX, 10, true);
        Axis y = Axis.around(minY, maxY, 5, false);
        StringBuilder svg = open(id, LINE_HEIGHT, "line chart of " + yLabel + " over steps");
        Frame frame = new Frame(LINE_HEIGHT);
        frame.draw(svg, x, y, "step", yLabel);

        List<List<double[]>> runs = new ArrayList<>();
        List<double[]> run = new ArrayList<>();
        for (StepPoint p : steps) {
            double v = value.applyAsDouble(p);
            if (!Double.isFinite(v)) {
                if (!run.isEmpty()) {
                    runs.add(run);
                    run = new ArrayList<>();
                }
                continue;
            }
            run.add(new double[] {frame.x(x, p.step()), frame.y(y, v)});
        }
        if (!run.isEmpty()) {
            runs.add(run);
        }
        for (List<double[]> r : runs) {
            if (r.size() == 1) {
                svg.append("<circle class=\"series-dot\" cx=\"").append(coord(r.get(0)[0])).append("\" cy=\"")
                        .append(coord(r.get(0)[1])).append("\" r=\"3.5\" fill=\"").append(colour).append("\"/>\n");
                continue;
            }
            svg.append("<polyline class=\"series\" fill=\"none\" stroke=\"").append(colour)
                    .append("\" stroke-width=\"2\" stroke-linejoin=\"round\" points=\"");
            for (int i = 0; i < r.size(); i++) {
                svg.append(i == 0 ? "" : " ").append(coord(r.get(i)[0])).append(',').append(coord(r.get(i)[1]));
            }
            svg.append("\"/>\n");
        }
        if (finite == 0) {
            frame.note(svg, steps.isEmpty() ? "no steps recorded" : "no finite values recorded");
        }
        return svg.append("</svg>\n").toString();
    }

    /**
     * Bars of live latents per log10-density bin, and the dead latents in a bar of their own on the left. A dashed
     * line marks the density above which a latent counts as dense.
     *
     * @param density the evaluation's fire counts
     * @param denseDensity the dense threshold, as a density
     * @return the svg element
     */
    static String histogram(Density density, double denseDensity) {
        long[] bins = density.log10Histogram();
        long dead = density.deadCount();
        long top = dead;
        for (long b : bins) {
            top = Math.max(top, b);
        }
        Axis y = Axis.around(0, Math.max(1, top), 5, true);
        // Slots along the x axis: the dead bar, a gap, then one slot per bin; the axis runs over the bins only.
        double binsLo = Density.binLowerEdge(0);
        double binsHi = Density.binLowerEdge(bins.length);
        StringBuilder svg = open("chart-density", LINE_HEIGHT, "histogram of latents by log10 of firing density");
        Frame frame = new Frame(LINE_HEIGHT);
        double slot = frame.plotWidth() / (bins.length + 2.0);
        frame.gridAndYAxis(svg, y, "latents");
        // x ticks at whole powers of ten, placed on the bins' scale.
        for (int power = (int) Math.ceil(binsLo); power <= (int) Math.floor(binsHi); power++) {
            double px = frame.left() + slot * (2 + (power - binsLo) / (binsHi - binsLo) * bins.length);
            tickX(svg, px, frame.bottom(), power == 0 ? "1" : "1e" + power);
        }
        double deadCentre = frame.left() + slot * 0.5;
        tickX(svg, deadCentre, frame.bottom(), "dead");
        axisLabel(svg, frame.left() + frame.plotWidth() / 2, LINE_HEIGHT - 8, "firing density (log10 scale)");
        bar(svg, "bar dead", deadCentre - slot * 0.4, slot * 0.8, frame, y, dead, DEAD_COLOUR,
                dead + " dead latents (never fired)");
        for (int b = 0; b < bins.length; b++) {
            double px = frame.left() + slot * (2 + b);
            String range = String.format(java.util.Locale.ROOT, "density 1e%.1f to 1e%.1f",
                    Density.binLowerEdge(b), Density.binLowerEdge(b + 1));
            bar(svg, "bar", px + 1, slot - 2, frame, y, bins[b], DENSITY_COLOUR, bins[b] + " latents, " + range);
        }
        double log10Dense = Math.log10(denseDensity);
        double densePx = frame.left() + slot * (2 + (log10Dense - binsLo) / (binsHi - binsLo) * bins.length);
        svg.append("<line class=\"dense-threshold\" x1=\"").append(coord(densePx)).append("\" y1=\"")
                .append(frame.top()).append("\" x2=\"").append(coord(densePx)).append("\" y2=\"").append(frame.bottom())
                .append("\" stroke=\"").append(AXIS).append("\" stroke-dasharray=\"5 4\"/>\n");
        svg.append("<text x=\"").append(coord(densePx + 5)).append("\" y=\"").append(frame.top() + 14)
                .append("\" font-size=\"12\" fill=\"").append(TEXT).append("\">dense ")
                .append(esc("→")).append("</text>\n");
        frame.border(svg);
        return svg.append("</svg>\n").toString();
    }

    /**
     * Dollars on one horizontal axis: the estimate's tolerance band, the estimate, what is spent so far, and a marker
     * for the projected total, green when it lies in the band and red when not.
     *
     * @param cost the run's cost
     * @return the svg element
     */
    static String cost(CostSummary cost) {
        BigDecimal projected = cost.projectedTotal();
        double far = cost.costSoFar().doubleValue();
        if (projected != null) {
            far = Math.max(far, projected.doubleValue());
        }
        if (cost.estimate() != null) {
            far = Math.max(far, cost.bandHigh().doubleValue());
        }
        Axis x = Axis.around(0, far * 1.05, 10, false);
        int height = 150;
        StringBuilder svg = open("chart-cost", height, "cost so far against the estimate");
        Frame frame = new Frame(height, 24, 56);
        frame.background(svg);
        for (double t : x.ticks()) {
            double px = frame.x(x, t);
            gridLine(svg, px, frame.top(), px, frame.bottom());
            tickX(svg, px, frame.bottom(), "$" + x.label(t));
        }
        axisLabel(svg, frame.left() + frame.plotWidth() / 2, height - 8, "US dollars");
        double trackTop = frame.top() + 10;
        double trackHeight = frame.bottom() - frame.top() - 20;
        if (cost.estimate() != null) {
            double lo = frame.x(x, cost.bandLow().doubleValue());
            double hi = frame.x(x, cost.bandHigh().doubleValue());
            svg.append("<rect class=\"band\" x=\"").append(coord(lo)).append("\" y=\"").append(coord(trackTop))
                    .append("\" width=\"").append(coord(Math.max(1, hi - lo))).append("\" height=\"")
                    .append(coord(trackHeight)).append("\" fill=\"").append(BAND_COLOUR).append("\" stroke=\"")
                    .append(WITHIN_COLOUR).append("\" stroke-width=\"1\"><title>estimate band ")
                    .append(esc(Markup.dollars(cost.bandLow()))).append(" to ")
                    .append(esc(Markup.dollars(cost.bandHigh()))).append("</title></rect>\n");
            double est = frame.x(x, cost.estimate().doubleValue());
            svg.append("<line class=\"estimate\" x1=\"").append(coord(est)).append("\" y1=\"").append(coord(trackTop))
                    .append("\" x2=\"").append(coord(est)).append("\" y2=\"").append(coord(trackTop + trackHeight))
                    .append("\" stroke=\"").append(WITHIN_COLOUR).append("\" stroke-width=\"2\"/>\n");
        }
        double spentHeight = trackHeight * 0.4;
        double spentTop = trackTop + (trackHeight - spentHeight) / 2;
        double spentWidth = frame.x(x, cost.costSoFar().doubleValue()) - frame.left();
        svg.append("<rect class=\"spent\" x=\"").append(frame.left()).append("\" y=\"").append(coord(spentTop))
                .append("\" width=\"").append(coord(Math.max(0, spentWidth))).append("\" height=\"")
                .append(coord(spentHeight)).append("\" fill=\"").append(SPENT_COLOUR).append("\"><title>spent so far ")
                .append(esc(Markup.dollars(cost.costSoFar()))).append("</title></rect>\n");
        if (projected != null) {
            Boolean within = cost.projectedWithinBand();
            String colour = Boolean.FALSE.equals(within) ? OUTSIDE_COLOUR : WITHIN_COLOUR;
            double px = frame.x(x, projected.doubleValue());
            svg.append("<g class=\"projected\"><title>projected total ").append(esc(Markup.dollars(projected)))
                    .append("</title><line x1=\"").append(coord(px)).append("\" y1=\"").append(coord(trackTop - 6))
                    .append("\" x2=\"").append(coord(px)).append("\" y2=\"").append(coord(trackTop + trackHeight + 6))
                    .append("\" stroke=\"").append(colour).append("\" stroke-width=\"3\"/><polygon points=\"")
                    .append(coord(px - 7)).append(',').append(coord(trackTop - 14)).append(' ')
                    .append(coord(px + 7)).append(',').append(coord(trackTop - 14)).append(' ')
                    .append(coord(px)).append(',').append(coord(trackTop - 4)).append("\" fill=\"").append(colour)
                    .append("\"/></g>\n");
        }
        frame.border(svg);
        return svg.append("</svg>\n").toString();
    }

    /** Colours of the ROC curves of one class's latents, best latent first. */
    static final String[] ROC_COLOURS = {"#1f5fd1", "#e0700b", "#12944a", "#7b3fd6", "#c0262d"};
    private static final int ROC_SIZE = 420;

    /**
     * ROC curves on one square chart: false-positive rate across, true-positive rate up, both 0 to 1, with the
     * diagonal of a score that knows nothing; one polyline per curve in {@link #ROC_COLOURS} order.
     *
     * @param id      the svg's id
     * @param labels  one label per curve (its tooltip)
     * @param fpr     the curves' x coordinates
     * @param tpr     the curves' y coordinates, aligned
     * @return the svg element
     */
    static String roc(String id, List<String> labels, List<double[]> fpr, List<double[]> tpr) {
        int width = ROC_SIZE + 40;
        StringBuilder svg = new StringBuilder(8192);
        svg.append("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart roc\" id=\"").append(esc(id))
                .append("\" width=\"").append(width).append("\" height=\"").append(ROC_SIZE)
                .append("\" viewBox=\"0 0 ").append(width).append(' ').append(ROC_SIZE)
                .append("\" role=\"img\" font-family=\"sans-serif\"><title>ROC curves</title>\n");
        int left = 64;
        int top = 12;
        int side = ROC_SIZE - top - 52;
        svg.append("<rect class=\"plot-area\" x=\"").append(left).append("\" y=\"").append(top)
                .append("\" width=\"").append(side).append("\" height=\"").append(side).append("\" fill=\"")
                .append(PLOT_BACKGROUND).append("\"/>\n");
        for (int i = 0; i <= 5; i++) {
            double v = i / 5.0;
            double px = left + v * side;
            double py = top + (1 - v) * side;
            gridLine(svg, px, top, px, top + side);
            gridLine(svg, left, py, left + side, py);
            tickX(svg, px, top + side, String.format(java.util.Locale.ROOT, "%.1f", v));
            svg.append("<text class=\"tick-label\" x=\"").append(left - 8).append("\" y=\"").append(coord(py + 4))
                    .append("\" font-size=\"12\" text-anchor=\"end\" fill=\"").append(TEXT).append("\">")
                    .append(String.format(java.util.Locale.ROOT, "%.1f", v)).append("</text>\n");
        }
        svg.append("<line class=\"chance\" x1=\"").append(left).append("\" y1=\"").append(top + side)
                .append("\" x2=\"").append(left + side).append("\" y2=\"").append(top).append("\" stroke=\"")
                .append(AXIS).append("\" stroke-dasharray=\"5 4\"/>\n");
        axisLabel(svg, left + side / 2.0, ROC_SIZE - 8, "false-positive rate");
        svg.append("<text class=\"axis-label\" x=\"16\" y=\"").append(coord(top + side / 2.0))
                .append("\" font-size=\"13\" text-anchor=\"middle\" fill=\"").append(TEXT)
                .append("\" transform=\"rotate(-90 16 ").append(coord(top + side / 2.0)).append(")\">")
                .append("true-positive rate</text>\n");
        for (int c = 0; c < fpr.size(); c++) {
            String colour = ROC_COLOURS[c % ROC_COLOURS.length];
            svg.append("<polyline class=\"series\" fill=\"none\" stroke=\"").append(colour)
                    .append("\" stroke-width=\"2\" points=\"");
            double[] x = fpr.get(c);
            double[] y = tpr.get(c);
            for (int i = 0; i < x.length; i++) {
                svg.append(i == 0 ? "" : " ").append(coord(left + x[i] * side)).append(',')
                        .append(coord(top + (1 - y[i]) * side));
            }
            svg.append("\"><title>").append(esc(labels.get(c))).append("</title></polyline>\n");
        }
        svg.append("<path class=\"axis\" d=\"M").append(left).append(',').append(top).append(" V")
                .append(top + side).append(" H").append(left + side).append("\" fill=\"none\" stroke=\"")
                .append(AXIS).append("\"/>\n");
        return svg.append("</svg>\n").toString();
    }

    private static StringBuilder open(String id, int height, String description) {
        StringBuilder svg = new StringBuilder(8192);
        svg.append("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" id=\"").append(esc(id))
                .append("\" width=\"").append(WIDTH).append("\" height=\"").append(height)
                .append("\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(height)
                .append("\" role=\"img\" font-family=\"sans-serif\"><title>").append(esc(description))
                .append("</title>\n");
        return svg;
    }

    private static void bar(StringBuilder svg, String cssClass, double x, double width, Frame frame, Axis y,
                            long count, String colour, String tooltip) {
        double top = frame.y(y, count);
        svg.append("<rect class=\"").append(cssClass).append("\" x=\"").append(coord(x)).append("\" y=\"")
                .append(coord(top)).append("\" width=\"").append(coord(Math.max(0, width))).append("\" height=\"")
                .append(coord(frame.bottom() - top)).append("\" fill=\"").append(colour).append("\"><title>")
                .append(esc(tooltip)).append("</title></rect>\n");
    }

    private static void gridLine(StringBuilder svg, double x1, double y1, double x2, double y2) {
        svg.append("<line class=\"grid\" x1=\"").append(coord(x1)).append("\" y1=\"").append(coord(y1))
                .append("\" x2=\"").append(coord(x2)).append("\" y2=\"").append(coord(y2)).append("\" stroke=\"")
                .append(GRID).append("\"/>\n");
    }

    private static void tickX(StringBuilder svg, double px, double bottom, String label) {
        svg.append("<line class=\"tick\" x1=\"").append(coord(px)).append("\" y1=\"").append(coord(bottom))
                .append("\" x2=\"").append(coord(px)).append("\" y2=\"").append(coord(bottom + 5))
                .append("\" stroke=\"").append(AXIS).append("\"/>\n");
        svg.append("<text class=\"tick-label\" x=\"").append(coord(px)).append("\" y=\"").append(coord(bottom + 19))
                .append("\" font-size=\"12\" text-anchor=\"middle\" fill=\"").append(TEXT).append("\">")
                .append(esc(label)).append("</text>\n");
    }

    private static void axisLabel(StringBuilder svg, double x, double y, String label) {
        svg.append("<text class=\"axis-label\" x=\"").append(coord(x)).append("\" y=\"").append(coord(y))
                .append("\" font-size=\"13\" text-anchor=\"middle\" fill=\"").append(TEXT).append("\">")
                .append(esc(label)).append("</text>\n");
    }

    /** The plot area of one chart: where it lies in the svg, and how values map into it. */
    private static final class Frame {
        private final int height;
        private final int top;
        private final int bottomMargin;

        Frame(int height) {
            this(height, TOP, BOTTOM);
        }

        Frame(int height, int top, int bottomMargin) {
            this.height = height;
            this.top = top;
            this.bottomMargin = bottomMargin;
        }

        double left() {
            return LEFT;
        }

        double top() {
            return top;
        }

        double bottom() {
            return height - bottomMargin;
        }

        double plotWidth() {
            return WIDTH - LEFT - RIGHT;
        }

        double x(Axis axis, double v) {
            return LEFT + axis.fraction(v) * plotWidth();
        }

        double y(Axis axis, double v) {
            return bottom() - axis.fraction(v) * (bottom() - top);
        }

        void background(StringBuilder svg) {
            svg.append("<rect class=\"plot-area\" x=\"").append(LEFT).append("\" y=\"").append(top)
                    .append("\" width=\"").append(coord(plotWidth())).append("\" height=\"")
                    .append(coord(bottom() - top)).append("\" fill=\"").append(PLOT_BACKGROUND).append("\"/>\n");
        }

        void border(StringBuilder svg) {
            svg.append("<path class=\"axis\" d=\"M").append(LEFT).append(',').append(top).append(" V")
                    .append(coord(bottom())).append(" H").append(coord(LEFT + plotWidth()))
                    .append("\" fill=\"none\" stroke=\"").append(AXIS).append("\"/>\n");
        }

        void gridAndYAxis(StringBuilder svg, Axis y, String yLabel) {
            background(svg);
            for (double t : y.ticks()) {
                double py = y(y, t);
                gridLine(svg, LEFT, py, LEFT + plotWidth(), py);
                svg.append("<line class=\"tick\" x1=\"").append(LEFT - 5).append("\" y1=\"").append(coord(py))
                        .append("\" x2=\"").append(LEFT).append("\" y2=\"").append(coord(py)).append("\" stroke=\"")
                        .append(AXIS).append("\"/>\n");
                svg.append("<text class=\"tick-label\" x=\"").append(LEFT - 8).append("\" y=\"").append(coord(py + 4))
                        .append("\" font-size=\"12\" text-anchor=\"end\" fill=\"").append(TEXT).append("\">")
                        .append(esc(y.label(t))).append("</text>\n");
            }
            double cy = (top + bottom()) / 2;
            svg.append("<text class=\"axis-label\" x=\"16\" y=\"").append(coord(cy))
                    .append("\" font-size=\"13\" text-anchor=\"middle\" fill=\"").append(TEXT)
                    .append("\" transform=\"rotate(-90 16 ").append(coord(cy)).append(")\">").append(esc(yLabel))
                    .append("</text>\n");
        }

        void draw(StringBuilder svg, Axis x, Axis y, String xLabel, String yLabel) {
            gridAndYAxis(svg, y, yLabel);
            for (double t : x.ticks()) {
                double px = x(x, t);
                gridLine(svg, px, top, px, bottom());
                tickX(svg, px, bottom(), x.label(t));
            }
            axisLabel(svg, LEFT + plotWidth() / 2, height - 8, xLabel);
            border(svg);
        }

        void note(StringBuilder svg, String text) {
            svg.append("<text class=\"note\" x=\"").append(coord(LEFT + plotWidth() / 2)).append("\" y=\"")
                    .append(coord((top + bottom()) / 2)).append("\" font-size=\"14\" text-anchor=\"middle\" fill=\"")
                    .append(AXIS).append("\">").append(esc(text)).append("</text>\n");
        }
    }
}

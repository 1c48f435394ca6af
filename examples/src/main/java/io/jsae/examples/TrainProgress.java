package io.jsae.examples;

import io.jsae.core.train.StepReport;
import io.jsae.core.train.TrainingListener;
import io.jsae.examples.report.StepPoint;
import io.jsae.provisioning.CostMeter;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The {@code train} command's view of each step: the progress line and the step points of the report.
 *
 * <p>On a terminal it redraws one line at most five times a second; otherwise (a log file, a pipe) it prints a
 * plain line every {@code plainEvery} seconds, so that a long run shows life without flooding the log. The
 * line holds step/total, tokens/s, the time left to the round cap, loss, L0, explained variance and dollars.
 *
 * <p>Step points are kept for {@code metrics.csv} and the report: every step at first, then, whenever more
 * than {@link #MAX_POINTS} are held, every other one is dropped and the stride doubles, so a run of any
 * length keeps between half and all of that many evenly spaced points.
 */
final class TrainProgress implements TrainingListener {
    /** Most step points held; about 2 points per pixel of a report chart. */
    static final int MAX_POINTS = 4000;

    private final PrintWriter err;
    private final boolean terminal;
    private final long totalSteps;
    private final CostMeter meter;
    private final long plainEveryNanos;
    private final List<StepPoint> points;
    private long stride = 1;
    private final long startNanos = System.nanoTime();
    private long startTokens = -1;
    private long lastPrintNanos;
    private boolean lineOpen;
    private StepReport last;
    private long stepsHere;

    /**
     * @param err where progress goes
     * @param terminal whether it is a terminal (one redrawn line) or not (a plain line every so often)
     * @param totalSteps steps at the round cap, or 0 when unknown
     * @param meter the run's cost meter
     * @param plainEverySeconds seconds between plain lines, 0 for none
     * @param earlier step points of the run before a resume, in order (kept, thinned like new ones)
     */
    TrainProgress(PrintWriter err, boolean terminal, long totalSteps, CostMeter meter, double plainEverySeconds,
                  List<StepPoint> earlier) {
        this.err = err;
        this.terminal = terminal;
        this.totalSteps = totalSteps;
        this.meter = meter;
        this.plainEveryNanos = (long) (plainEverySeconds * 1e9);
        this.points = new ArrayList<>(earlier);
        while (points.size() > MAX_POINTS) {
            thin();
        }
        this.lastPrintNanos = startNanos;
    }

    @Override
    public Action onStep(StepReport r) {
        last = r;
        stepsHere++;
        if (startTokens < 0) {
            startTokens = r.tokensSeen() - r.metrics().rows();
        }
        if (r.step() % stride == 0) {
            points.add(point(r));
            if (points.size() > MAX_POINTS) {
                thin();
            }
        }
        long now = System.nanoTime();
        if (terminal && now - lastPrintNanos >= 200_000_000L) {
            err.print("\r" + line(r, now) + "\033[K");
            err.flush();
            lineOpen = true;
            lastPrintNanos = now;
        } else if (!terminal && plainEveryNanos > 0 && now - lastPrintNanos >= plainEveryNanos) {
            err.println(line(r, now));
            err.flush();
            lastPrintNanos = now;
        }
        return Action.CONTINUE;
    }

    /** Ends the redrawn line, so the next output starts on a line of its own. */
    void endLine() {
        if (lineOpen) {
            err.println();
            err.flush();
            lineOpen = false;
        }
    }

    /** @return the step points so far, oldest first, the last step always included */
    List<StepPoint> points() {
        List<StepPoint> all = new ArrayList<>(points);
        if (last != null && (all.isEmpty() || all.get(all.size() - 1).step() != last.step() + 1)) {
            all.add(point(last));
        }
        return all;
    }

    /** @return tokens per second of this process so far, NaN before two steps */
    double tokensPerSecond() {
        if (last == null) {
            return Double.NaN;
        }
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        return seconds > 0 ? (last.tokensSeen() - startTokens) / seconds : Double.NaN;
    }

    private void thin() {
        List<StepPoint> kept = new ArrayList<>(points.size() / 2 + 1);
        for (int i = 0; i < points.size(); i += 2) {
            kept.add(points.get(i));
        }
        points.clear();
        points.addAll(kept);
        stride *= 2;
    }

    private StepPoint point(StepReport r) {
        var m = r.metrics();
        double ev = m.totalVariance() > 0 ? 1 - m.sse() / m.totalVariance() : Double.NaN;
        return new StepPoint(r.step() + 1, r.tokensSeen(), m.loss(), ev, m.l0(), r.deadFraction(), r.learningRate(),
                meter.costSoFar().doubleValue());
    }

    private String line(StepReport r, long now) {
        var m = r.metrics();
        double seconds = (now - startNanos) / 1e9;
        double rate = seconds > 0 ? (r.tokensSeen() - startTokens) / seconds : Double.NaN;
        long step = r.step() + 1;
        String progress = totalSteps > 0 ? step + "/" + totalSteps : Long.toString(step);
        String eta = "";
        if (totalSteps > step && seconds > 0) {
            eta = " ETA<=" + duration((totalSteps - step) * seconds / stepsHere);
        }
        double ev = m.totalVariance() > 0 ? 1 - m.sse() / m.totalVariance() : Double.NaN;
        return String.format(Locale.ROOT, "step %s  %s tok/s%s  loss %.4g  L0 %.1f  EV %.4f  $%.4f", progress,
                compact(rate), eta, m.loss(), m.l0(), ev, meter.costSoFar().doubleValue());
    }

    static String duration(double seconds) {
        if (!(seconds >= 0) || Double.isInfinite(seconds)) {
            return "?";
        }
        long s = Math.round(seconds);
        if (s >= 3600) {
            return String.format(Locale.ROOT, "%dh%02dm", s / 3600, s % 3600 / 60);
        }
        return s >= 60 ? String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60) : s + "s";
    }

    static String compact(double v) {
        if (!(v >= 0)) {
            return "?";
        }
        if (v >= 1e6) {
            return String.format(Locale.ROOT, "%.2fM", v / 1e6);
        }
        return v >= 1e3 ? String.format(Locale.ROOT, "%.1fk", v / 1e3) : String.format(Locale.ROOT, "%.0f", v);
    }
}

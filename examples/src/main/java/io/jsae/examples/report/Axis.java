package io.jsae.examples.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A linear axis with round tick values (1, 2 or 5 times a power of ten) that covers the data.
 *
 * @param lo   the axis's lower end, a tick
 * @param hi   the axis's upper end, a tick, above {@code lo}
 * @param step the distance between ticks
 */
record Axis(double lo, double hi, double step) {

    /**
     * Picks an axis around the data. A single value or a constant series gets a range around it, so mapping to the
     * axis never divides by zero.
     *
     * @param min      smallest finite data value
     * @param max      largest finite data value
     * @param ticks    about how many ticks to aim for
     * @param integral whether values are whole numbers (steps, counts): then ticks are whole too
     * @return the axis
     */
    static Axis around(double min, double max, int ticks, boolean integral) {
        if (!(min <= max) || Double.isInfinite(min) || Double.isInfinite(max)) {
            min = 0;
            max = 1;
        }
        if (max - min <= Math.abs(max) * 1e-12 || max == min) {
            double pad = max == 0 ? 1 : Math.abs(max) * 0.1;
            if (integral) {
                pad = Math.max(1, Math.ceil(pad));
            }
            min -= pad;
            max += pad;
        }
        double rough = (max - min) / Math.max(1, ticks);
        double magnitude = Math.pow(10, Math.floor(Math.log10(rough)));
        double norm = rough / magnitude;
        double nice = norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10;
        double step = nice * magnitude;
        if (integral) {
            step = Math.max(1, step);
        }
        double lo = Math.floor(min / step + 1e-9) * step;
        double hi = Math.ceil(max / step - 1e-9) * step;
        if (hi <= lo) {
            hi = lo + step;
        }
        return new Axis(lo, hi, step);
    }

    /** @return the tick values from lo to hi */
    List<Double> ticks() {
        List<Double> ticks = new ArrayList<>();
        long n = Math.round((hi - lo) / step);
        for (long i = 0; i <= n; i++) {
            ticks.add(lo + i * step);
        }
        return ticks;
    }

    /**
     * @param v a value
     * @return where it lies on the axis, 0 at lo and 1 at hi
     */
    double fraction(double v) {
        return (v - lo) / (hi - lo);
    }

    /**
     * A tick's label, with as many decimals as the step needs and a k or M suffix for round thousands.
     *
     * @param v a tick value
     * @return its label
     */
    String label(double v) {
        if (Math.abs(v) < step * 1e-9) {
            return "0";
        }
        if (step < 1e-4 || Math.abs(v) >= 1e9) {
            // Enough significant digits that neighbouring ticks differ: those of the largest end down to the step.
            double largest = Math.max(Math.abs(lo), Math.abs(hi));
            int digits = (int) (Math.floor(Math.log10(largest) + 1e-9) - Math.floor(Math.log10(step) + 1e-9)) + 1;
            digits = Math.max(1, Math.min(6, digits));
            return String.format(Locale.ROOT, "%." + (digits - 1) + "e", v)
                    .replace("e-0", "e-").replace("e+0", "e").replace("e+", "e");
        }
        if (step >= 1e6 && step % 1e6 == 0) {
            return Math.round(v / 1e6) + "M";
        }
        // Every tick of an axis reaching 10,000 in thousands, so labels read alike along it.
        if (step >= 1000 && step % 1000 == 0 && Math.max(Math.abs(lo), Math.abs(hi)) >= 10000) {
            return Math.round(v / 1000) + "k";
        }
        int decimals = Math.max(0, (int) -Math.floor(Math.log10(step) + 1e-9));
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }
}

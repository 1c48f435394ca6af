package io.jsae.tumix;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Locale;

/** Number formatting for reasoning sentences: short, locale independent, never in scientific notation for everyday values. */
final class Numbers {

    private Numbers() {
    }

    /** Four significant digits, trailing zeros dropped: 0.4385, 12.5, 1.0E-7. */
    static String format(double v) {
        if (!Double.isFinite(v)) {
            return Double.toString(v);
        }
        if (v == 0) {
            return "0";
        }
        BigDecimal d = new BigDecimal(v).round(new MathContext(4)).stripTrailingZeros();
        double a = Math.abs(v);
        return a >= 1e-4 && a < 1e9 ? d.toPlainString() : d.toString();
    }

    /** A fraction as a percentage with one decimal (2.1%), or two significant digits below 0.1%. */
    static String percent(double fraction) {
        double p = fraction * 100;
        if (p != 0 && Math.abs(p) < 0.1) {
            return String.format(Locale.ROOT, "%.2g%%", p);
        }
        return String.format(Locale.ROOT, "%.1f%%", p);
    }
}

package io.jsae.examples.report;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.Locale;

/** Escaping and number formats shared by the report's HTML and SVG. */
final class Markup {

    private Markup() {
    }

    /**
     * Escapes text for element content and double- or single-quoted attributes alike.
     *
     * @param text any text; null becomes the empty string
     * @return the text with {@code & < > " '} replaced by references
     */
    static String esc(String text) {
        if (text == null) {
            return "";
        }
        StringBuilder out = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> {
                    // Control characters other than tab and newlines are not allowed in XML; user input may hold them.
                    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
                        out.append('\uFFFD');
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }

    /**
     * A number for a table or caption: integers whole, others to 4 significant digits, very small or large ones in
     * scientific form.
     *
     * @param v a value
     * @return its text, "n/a" for NaN
     */
    static String number(double v) {
        if (Double.isNaN(v)) {
            return "n/a";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "∞" : "-∞";
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        double a = Math.abs(v);
        if (a >= 1e-4 && a < 1e7) {
            return new BigDecimal(v).round(new MathContext(4, RoundingMode.HALF_EVEN)).stripTrailingZeros()
                    .toPlainString();
        }
        return String.format(Locale.ROOT, "%.3e", v);
    }

    /**
     * @param v a coordinate
     * @return it with one decimal, as SVG attributes take it
     */
    static String coord(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    /**
     * @param amount dollars
     * @return "$15.48" (cents rounded half up)
     */
    static String dollars(BigDecimal amount) {
        BigDecimal cents = amount.setScale(2, RoundingMode.HALF_UP);
        return cents.signum() < 0 ? "-$" + cents.negate().toPlainString() : "$" + cents.toPlainString();
    }

    /**
     * @param fraction a fraction such as 0.10
     * @return it as a percentage such as "10%" (up to two decimals, trailing zeros dropped)
     */
    static String percent(BigDecimal fraction) {
        BigDecimal pct = fraction.movePointRight(2).setScale(2, RoundingMode.HALF_UP).stripTrailingZeros();
        return pct.toPlainString() + "%";
    }
}

package io.jsae.provisioning;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/** Money and percentage arithmetic shared by the planners: exact until display, HALF_UP when shown. */
final class Money {

    /** Precision of intermediate quotients; far beyond cents, so display rounding is the only rounding seen. */
    static final MathContext CONTEXT = MathContext.DECIMAL64;

    private static final BigDecimal HUNDRED = BigDecimal.valueOf(100);

    private Money() {
    }

    /** "$15.48": US dollars rounded HALF_UP to cents. */
    static String usd(BigDecimal amount) {
        return "$" + cents(amount).toPlainString();
    }

    /** An amount rounded HALF_UP to cents. */
    static BigDecimal cents(BigDecimal amount) {
        return amount.setScale(2, RoundingMode.HALF_UP);
    }

    /** How many percent {@code value} is below {@code reference}; negative when it is above. */
    static BigDecimal percentBelow(BigDecimal reference, BigDecimal value) {
        if (reference.signum() == 0) {
            throw new IllegalArgumentException("cannot compare against a reference of 0");
        }
        return reference.subtract(value).multiply(HUNDRED).divide(reference, CONTEXT);
    }

    /** "46.5%": a percentage rounded HALF_UP to one decimal. */
    static String percent(BigDecimal percent) {
        return percent.setScale(1, RoundingMode.HALF_UP).toPlainString() + "%";
    }

    /** Hours shown without trailing zeros: "12", "1.2", "8.4". */
    static String hours(BigDecimal hours) {
        BigDecimal h = hours.setScale(2, RoundingMode.HALF_UP).stripTrailingZeros();
        return h.scale() < 0 ? h.setScale(0).toPlainString() : h.toPlainString();
    }
}

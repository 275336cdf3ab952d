package io.circuitscope.core;

import java.util.Locale;

/** Numbers as users read them: a value that rounds to zero prints as 0, never as "-0.0000". */
public final class Decimals {
    private Decimals() {
    }

    /** The most decimals {@link #digitsAgainst} grows to: beyond this a double has no more digits to show. */
    static final int MAX_DIGITS = 17;

    /**
     * The fewest decimals, at least {@code min}, at which {@code value} rounds to a number on its own side of
     * {@code threshold}, never onto it nor across it: 0.99248826 against 0.9925 needs 5 ("0.99249"), since "0.9925"
     * would show a failing value equal to the threshold. A value equal to the threshold (or NaN) takes {@code min}.
     */
    public static int digitsAgainst(double value, double threshold, int min) {
        if (!Double.isFinite(value) || !Double.isFinite(threshold) || value == threshold) {
            return min;
        }
        int side = Double.compare(value, threshold);
        for (int d = min; d < MAX_DIGITS; d++) {
            double shown = Double.parseDouble(String.format(Locale.ROOT, "%." + d + "f", value));
            if (Double.compare(shown, threshold) == side) {
                return d;
            }
        }
        return MAX_DIGITS;
    }

    /** {@code value} with at least {@code min} decimals and as many more as {@link #digitsAgainst} needs. */
    public static String against(double value, double threshold, int min) {
        return fixed(value, digitsAgainst(value, threshold, min));
    }

    /** A threshold as the user gave it, unrounded and without trailing zeros: 0.9925, 0.8, 0.01, 1. */
    public static String threshold(double value) {
        if (!Double.isFinite(value)) {
            return String.valueOf(value);
        }
        return java.math.BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
    }

    /** {@code value} with {@code digits} decimals (Locale.ROOT), without a sign when it rounds to zero. */
    public static String fixed(double value, int digits) {
        double shown = Math.abs(value) < 0.5 * Math.pow(10, -digits) ? 0.0 : value;
        return String.format(Locale.ROOT, "%." + digits + "f", shown);
    }
}

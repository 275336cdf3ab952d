package io.circuitscope.core;

import java.util.Locale;

/** Numbers as users read them: a value that rounds to zero prints as 0, never as "-0.0000". */
public final class Decimals {
    private Decimals() {
    }

    /** The most decimals {@link #digitsAgainst} grows to: beyond this a double has no more digits to show. */
    static final int MAX_DIGITS = 17;

    /**
     * The most decimals {@link #against} prints in fixed notation: a value that needs more (1e-20 against 0,
     * 0.8000000000000001 against 0.8) prints as {@link Double#toString}, its shortest exact form, which never reads as
     * the threshold unless it is the threshold.
     */
    static final int MAX_FIXED = 6;

    /**
     * The fewest decimals, at least {@code min}, at which {@code value} rounds to a number on its own side of
     * {@code threshold}, never onto it nor across it: 0.99248826 against 0.9925 needs 5 ("0.99249"), since "0.9925"
     * would show a failing value equal to the threshold. Sides are numeric: -0.0 is 0.0, so -1e-5 against 0 needs 5
     * ("-0.00001"), not the 4 of "-0.0000". A value equal to the threshold (or NaN) takes {@code min}. When no number
     * of decimals up to {@link #MAX_DIGITS} separates them, {@link #MAX_DIGITS}; {@link #fixedAgainst} and
     * {@link #against} then print the value's exact form instead.
     */
    public static int digitsAgainst(double value, double threshold, int min) {
        if (!Double.isFinite(value) || !Double.isFinite(threshold) || value == threshold) {
            return min;
        }
        for (int d = min; d < MAX_DIGITS; d++) {
            if (separated(value, threshold, d)) {
                return d;
            }
        }
        return MAX_DIGITS;
    }

    /** Whether {@code value} at {@code digits} decimals reads strictly on its own side of {@code threshold}. */
    private static boolean separated(double value, double threshold, int digits) {
        double shown = Double.parseDouble(String.format(Locale.ROOT, "%." + digits + "f", value));
        return value < threshold ? shown < threshold : shown > threshold;
    }

    /**
     * {@code value} with at least {@code min} decimals and as many more as {@link #digitsAgainst} needs; past
     * {@link #MAX_FIXED} decimals, its exact shortest form ({@link Double#toString}) instead.
     */
    public static String against(double value, double threshold, int min) {
        return fixedAgainst(value, threshold, digitsAgainst(value, threshold, min));
    }

    /**
     * {@code value} with {@code digits} decimals, as {@link #fixed}, when that is at most {@link #MAX_FIXED} and reads
     * on the value's own side of {@code threshold} (or the two are equal, or either is not finite); otherwise its exact
     * shortest form ({@link Double#toString}), so that a value never prints as its threshold unless it equals it.
     */
    public static String fixedAgainst(double value, double threshold, int digits) {
        if (!Double.isFinite(value) || !Double.isFinite(threshold) || value == threshold
                || (digits <= MAX_FIXED && separated(value, threshold, digits))) {
            return fixed(value, digits);
        }
        return Double.toString(value);
    }

    /**
     * A confidence interval "[low, high]" whose ends are compared with {@code threshold}: both ends share the decimals
     * the end further from separation needs ({@link #digitsAgainst}, at least {@code min}), each printed by
     * {@link #fixedAgainst} as the value it brackets is, so console, report and JSON readers see the same text.
     */
    public static String intervalAgainst(double low, double high, double threshold, int min) {
        int ends = Math.max(digitsAgainst(low, threshold, min), digitsAgainst(high, threshold, min));
        return "[" + fixedAgainst(low, threshold, ends) + ", " + fixedAgainst(high, threshold, ends) + "]";
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

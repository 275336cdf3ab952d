package io.circuitscope.core;

import java.util.Locale;

/** Numbers as users read them: a value that rounds to zero prints as 0, never as "-0.0000". */
public final class Decimals {
    private Decimals() {
    }

    /** {@code value} with {@code digits} decimals (Locale.ROOT), without a sign when it rounds to zero. */
    public static String fixed(double value, int digits) {
        double shown = Math.abs(value) < 0.5 * Math.pow(10, -digits) ? 0.0 : value;
        return String.format(Locale.ROOT, "%." + digits + "f", shown);
    }
}

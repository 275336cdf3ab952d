package io.circuitscope.core.task;

import java.util.Locale;

/**
 * Which way activations move. Denoising runs the corrupted input and patches in clean activations
 * (does this component suffice to restore the behaviour?); noising runs the clean input and patches
 * in corrupted activations (is it necessary?).
 */
public enum Direction {
    DENOISE,
    NOISE;

    public static Direction byName(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "denoise", "denoising" -> DENOISE;
            case "noise", "noising" -> NOISE;
            default -> throw new IllegalArgumentException("unknown direction '" + name + "' (known: denoise, noise)");
        };
    }

    /**
     * Denoising: (m(patched) - m(corrupted)) / (m(clean) - m(corrupted)): 1 = the patch restores the clean behaviour.
     * Noising: (m(clean) - m(patched)) / (m(clean) - m(corrupted)): 1 = the patch destroys it.
     * NaN when the corruption does not move the metric measurably ({@link TaskEffect#measurable}).
     */
    public double normalized(double patched, double clean, double corrupted) {
        if (!TaskEffect.measurable(clean, corrupted)) {
            return Double.NaN;
        }
        double span = clean - corrupted;
        return this == DENOISE ? (patched - corrupted) / span : (clean - patched) / span;
    }
}

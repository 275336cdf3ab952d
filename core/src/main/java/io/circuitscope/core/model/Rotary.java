package io.circuitscope.core.model;

import java.util.Objects;

/**
 * Rotary position embedding settings: which dimensions rotate, how pairs are formed and the
 * inverse frequency of each pair (already including any rope scaling).
 */
public record Rotary(int rotaryDim, RotaryStyle style, double[] inverseFrequencies) {
    public Rotary {
        Objects.requireNonNull(style, "style");
        if (rotaryDim <= 0 || rotaryDim % 2 != 0) {
            throw new IllegalArgumentException("rotary dimension must be positive and even, got " + rotaryDim);
        }
        if (inverseFrequencies.length != rotaryDim / 2) {
            throw new IllegalArgumentException("need " + rotaryDim / 2 + " inverse frequencies, got "
                    + inverseFrequencies.length);
        }
        inverseFrequencies = inverseFrequencies.clone();
    }

    /** Plain RoPE: frequency of pair i is theta^(-2i / rotaryDim). */
    public static Rotary standard(int rotaryDim, double theta, RotaryStyle style) {
        double[] inv = new double[rotaryDim / 2];
        for (int i = 0; i < inv.length; i++) {
            inv[i] = 1.0 / Math.pow(theta, (2.0 * i) / rotaryDim);
        }
        return new Rotary(rotaryDim, style, inv);
    }

    @Override
    public double[] inverseFrequencies() {
        return inverseFrequencies.clone();
    }

    double inverseFrequency(int pair) {
        return inverseFrequencies[pair];
    }
}

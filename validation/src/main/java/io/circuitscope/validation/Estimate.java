package io.circuitscope.validation;

/** A number with a bootstrap confidence interval (NaN bounds when none was computed). */
public record Estimate(double value, double low, double high) {
    public static Estimate point(double value) {
        return new Estimate(value, Double.NaN, Double.NaN);
    }

    @Override
    public String toString() {
        String v = io.circuitscope.core.Decimals.fixed(value, 4);
        return Double.isNaN(low) ? v
                : v + " [" + io.circuitscope.core.Decimals.fixed(low, 4) + ", " + io.circuitscope.core.Decimals.fixed(high, 4) + "]";
    }
}

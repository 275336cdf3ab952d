package io.circuitscope.validation;

/** A number with a bootstrap confidence interval (NaN bounds when none was computed). */
public record Estimate(double value, double low, double high) {
    public static Estimate point(double value) {
        return new Estimate(value, Double.NaN, Double.NaN);
    }

    @Override
    public String toString() {
        return Double.isNaN(low) ? String.format("%.4f", value) : String.format("%.4f [%.4f, %.4f]", value, low, high);
    }
}

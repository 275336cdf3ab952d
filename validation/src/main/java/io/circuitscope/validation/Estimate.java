package io.circuitscope.validation;

/** A number with a bootstrap confidence interval (NaN bounds when none was computed). */
public record Estimate(double value, double low, double high) {
    public static Estimate point(double value) {
        return new Estimate(value, Double.NaN, Double.NaN);
    }

    /**
     * As {@link #toString()}, with as many more decimals as it takes for the value and each end of the interval to
     * show on their own side of {@code threshold} ({@link io.circuitscope.core.Decimals#against} and
     * {@link io.circuitscope.core.Decimals#intervalAgainst}, as the report prints them): a value compared with a
     * threshold never prints as the threshold or past it.
     */
    public String toString(double threshold) {
        // the value's own decimals, so that it prints as it does where no interval is shown; the ends share theirs
        String v = io.circuitscope.core.Decimals.against(value, threshold, 4);
        if (Double.isNaN(low)) {
            return v;
        }
        return v + " " + io.circuitscope.core.Decimals.intervalAgainst(low, high, threshold, 4);
    }

    @Override
    public String toString() {
        String v = io.circuitscope.core.Decimals.fixed(value, 4);
        return Double.isNaN(low) ? v
                : v + " [" + io.circuitscope.core.Decimals.fixed(low, 4) + ", " + io.circuitscope.core.Decimals.fixed(high, 4) + "]";
    }
}

package io.circuitscope.validation;

import java.util.Random;
import java.util.function.ToDoubleFunction;
import org.apache.commons.math3.stat.descriptive.rank.Percentile;

/**
 * Percentile bootstrap over task targets: every statistic is recomputed on resamples (with
 * replacement) of the same target indices, so related quantities are resampled together.
 */
final class Bootstrap {
    private Bootstrap() {
    }

    /** {@code statistic} maps a resample (target indices) to a number; returns it with its interval. */
    static Estimate estimate(int targets, ToDoubleFunction<int[]> statistic, int resamples, double confidence, long seed) {
        int[] identity = new int[targets];
        for (int i = 0; i < targets; i++) {
            identity[i] = i;
        }
        double value = statistic.applyAsDouble(identity);
        if (resamples == 0 || targets < 2) {
            return Estimate.point(value);
        }
        Random rng = new Random(seed);
        double[] values = new double[resamples];
        int[] sample = new int[targets];
        for (int r = 0; r < resamples; r++) {
            for (int i = 0; i < targets; i++) {
                sample[i] = rng.nextInt(targets);
            }
            values[r] = statistic.applyAsDouble(sample);
        }
        // a resample on which the statistic is undefined (NaN: e.g. a correlation of constant values) gives no evidence
        double[] defined = java.util.Arrays.stream(values).filter(v -> !Double.isNaN(v)).toArray();
        if (defined.length < resamples / 2) {
            return Estimate.point(value);
        }
        Percentile p = new Percentile();
        double tail = (1 - confidence) / 2 * 100;
        return new Estimate(value, p.evaluate(defined, tail), p.evaluate(defined, 100 - tail));
    }

    static double mean(double[] v, int[] idx) {
        double s = 0;
        for (int i : idx) {
            s += v[i];
        }
        return s / idx.length;
    }
}

package io.circuitscope.validation;

import java.util.Random;
import java.util.function.ToDoubleFunction;
import org.apache.commons.math3.stat.descriptive.rank.Percentile;

/**
 * Percentile bootstrap over task targets: every statistic is recomputed on resamples (with
 * replacement) of the same target indices, so related quantities are resampled together.
 * Resamples draw indices, so the intervals depend on the targets' order (the same task shuffled gives other ends).
 */
final class Bootstrap {
    private Bootstrap() {
    }

    /** {@code statistic} maps a resample (target indices) to a number; returns it with its interval. */
    static Estimate estimate(int targets, ToDoubleFunction<int[]> statistic, int resamples, double confidence, long seed) {
        Random rng = new Random(seed);
        return estimate(targets, statistic, resamples, confidence, () -> {
            int[] sample = new int[targets];
            for (int i = 0; i < targets; i++) {
                sample[i] = rng.nextInt(targets);
            }
            return sample;
        });
    }

    /**
     * Cluster bootstrap: each resample draws, with replacement, as many clusters as there are
     * ({@code clusterOf[i]} names index i's cluster, numbered from 0) and takes every index of each drawn
     * cluster, since indices of one cluster (targets of one prompt) are not independent. With one index
     * per cluster, in cluster order, it draws exactly what {@link #estimate(int, ToDoubleFunction, int, double,
     * long)} draws.
     */
    static Estimate estimateClustered(int[] clusterOf, ToDoubleFunction<int[]> statistic, int resamples,
            double confidence, long seed) {
        int clusters = 0;
        for (int c : clusterOf) {
            clusters = Math.max(clusters, c + 1);
        }
        java.util.List<java.util.List<Integer>> members = new java.util.ArrayList<>();
        for (int c = 0; c < clusters; c++) {
            members.add(new java.util.ArrayList<>());
        }
        for (int i = 0; i < clusterOf.length; i++) {
            members.get(clusterOf[i]).add(i);
        }
        int n = clusters;
        Random rng = new Random(seed);
        return estimate(clusterOf.length, statistic, clusters < 2 ? 0 : resamples, confidence, () -> {
            java.util.List<Integer> drawn = new java.util.ArrayList<>();
            for (int k = 0; k < n; k++) {
                drawn.addAll(members.get(rng.nextInt(n)));
            }
            return drawn.stream().mapToInt(Integer::intValue).toArray();
        });
    }

    private static Estimate estimate(int targets, ToDoubleFunction<int[]> statistic, int resamples, double confidence,
            java.util.function.Supplier<int[]> resample) {
        int[] identity = new int[targets];
        for (int i = 0; i < targets; i++) {
            identity[i] = i;
        }
        double value = statistic.applyAsDouble(identity);
        if (resamples == 0 || targets < 2) {
            return Estimate.point(value);
        }
        double[] values = new double[resamples];
        for (int r = 0; r < resamples; r++) {
            values[r] = statistic.applyAsDouble(resample.get());
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

    /**
     * Stratified percentile bootstrap: each resample draws, with replacement, as many indices from each
     * stratum as it holds ({@code stratumOf[i]} names index i's stratum), as a stratified sample is drawn.
     */
    static Estimate estimateStratified(int[] stratumOf, ToDoubleFunction<int[]> statistic, int resamples,
            double confidence, long seed) {
        int n = stratumOf.length;
        java.util.Map<Integer, java.util.List<Integer>> strata = new java.util.TreeMap<>();
        for (int i = 0; i < n; i++) {
            strata.computeIfAbsent(stratumOf[i], k -> new java.util.ArrayList<>()).add(i);
        }
        int[][] members = strata.values().stream().map(l -> l.stream().mapToInt(Integer::intValue).toArray())
                .toArray(int[][]::new);
        Random rng = new Random(seed);
        return estimate(n, statistic, resamples, confidence, () -> {
            int[] sample = new int[n];
            int at = 0;
            for (int[] stratum : members) {
                for (int k = 0; k < stratum.length; k++) {
                    sample[at++] = stratum[rng.nextInt(stratum.length)];
                }
            }
            return sample;
        });
    }

    static double mean(double[] v, int[] idx) {
        double s = 0;
        for (int i : idx) {
            s += v[i];
        }
        return s / idx.length;
    }
}

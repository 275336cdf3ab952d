package io.circuitscope.validation;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * Pearson and Spearman correlation with a weight per observation, for samples drawn with unequal
 * probabilities: weighting each observation by 1 / (its probability of being drawn) estimates the
 * correlation over the whole population (Horvitz-Thompson). With unit weights both equal the usual
 * (Commons Math) values; an integer weight w counts as w copies of the observation.
 */
public final class WeightedCorrelation {
    private WeightedCorrelation() {
    }

    /** Weighted Pearson correlation; NaN when either side is constant (undefined, as in Commons Math). */
    public static double pearson(double[] x, double[] y, double[] w) {
        check(x, y, w);
        if (constant(x) || constant(y)) {
            return Double.NaN; // a weighted mean off by round-off would otherwise leave a spurious ~1e-17
        }
        double total = 0;
        double mx = 0;
        double my = 0;
        for (int i = 0; i < x.length; i++) {
            total += w[i];
            mx += w[i] * x[i];
            my += w[i] * y[i];
        }
        mx /= total;
        my /= total;
        double sxy = 0;
        double sxx = 0;
        double syy = 0;
        for (int i = 0; i < x.length; i++) {
            double dx = x[i] - mx;
            double dy = y[i] - my;
            sxy += w[i] * dx * dy;
            sxx += w[i] * dx * dx;
            syy += w[i] * dy * dy;
        }
        return sxy / Math.sqrt(sxx * syy);
    }

    private static boolean constant(double[] v) {
        for (double x : v) {
            if (Double.compare(x + 0.0, v[0] + 0.0) != 0) {
                return false;
            }
        }
        return true;
    }

    /** Pearson correlation of weighted mid-ranks (ties share their rank; -0.0 ties 0.0); NaN when a value is NaN. */
    public static double spearman(double[] x, double[] y, double[] w) {
        check(x, y, w);
        if (Arrays.stream(x).anyMatch(Double::isNaN) || Arrays.stream(y).anyMatch(Double::isNaN)) {
            return Double.NaN; // a NaN has no rank (it ties nothing, not itself), as in the unweighted correlation
        }
        return pearson(ranks(x, w), ranks(y, w), w);
    }

    /** Each value's rank: the weight of all smaller values plus half the weight of its ties. */
    static double[] ranks(double[] v, double[] w) {
        Integer[] order = IntStream.range(0, v.length).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble(i -> v[i] + 0.0));
        double[] rank = new double[v.length];
        double below = 0;
        int i = 0;
        while (i < order.length) {
            int j = i;
            double tied = 0;
            while (j < order.length && v[order[j]] + 0.0 == v[order[i]] + 0.0) {
                tied += w[order[j]];
                j++;
            }
            for (int k = i; k < j; k++) {
                rank[order[k]] = below + tied / 2;
            }
            below += tied;
            i = j;
        }
        return rank;
    }

    private static void check(double[] x, double[] y, double[] w) {
        if (x.length != y.length || x.length != w.length) {
            throw new IllegalArgumentException("lengths differ: " + x.length + ", " + y.length + ", " + w.length);
        }
    }
}

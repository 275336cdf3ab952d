package io.circuitscope.validation;

import io.circuitscope.core.graph.EdgeScores;
import java.util.ArrayList;
import java.util.List;

/**
 * ROC curve of a score ranking against a reference set (the ACDC paper's evaluation): walk down the
 * ranking defined by {@link EdgeScores#ranking()} (importance, largest first), counting reference and
 * non-reference items; items with equal |score| enter together (a diagonal step), so ties are
 * scored fairly. Unscored (NaN) items come last, together.
 */
public record RocCurve(List<double[]> points, double auc) {

    public static RocCurve of(EdgeScores scores, boolean[] reference) {
        return of(scores.importances(), reference);
    }

    /** ROC of arbitrary scores (ranked by |score|) against {@code reference}. */
    public static RocCurve of(double[] scores, boolean[] reference) {
        if (scores.length != reference.length) {
            throw new IllegalArgumentException("scores and reference differ in length");
        }
        int positives = 0;
        for (boolean r : reference) {
            positives += r ? 1 : 0;
        }
        int negatives = reference.length - positives;
        if (positives == 0 || negatives == 0) {
            throw new IllegalArgumentException("the reference must contain some but not all items (has " + positives
                    + " of " + reference.length + ")");
        }
        Integer[] order = new Integer[scores.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> Double.compare(key(scores[b]), key(scores[a])));
        List<double[]> points = new ArrayList<>();
        points.add(new double[] {0, 0});
        int tp = 0;
        int fp = 0;
        double auc = 0;
        int i = 0;
        while (i < order.length) {
            double k = key(scores[order[i]]);
            int tpBefore = tp;
            int fpBefore = fp;
            while (i < order.length && key(scores[order[i]]) == k) {
                if (reference[order[i]]) {
                    tp++;
                } else {
                    fp++;
                }
                i++;
            }
            double x0 = (double) fpBefore / negatives;
            double x1 = (double) fp / negatives;
            auc += (x1 - x0) * ((double) tpBefore / positives + (double) tp / positives) / 2;
            points.add(new double[] {x1, (double) tp / positives});
        }
        return new RocCurve(points, auc);
    }

    private static double key(double score) {
        return Double.isNaN(score) ? Double.NEGATIVE_INFINITY : Math.abs(score);
    }
}

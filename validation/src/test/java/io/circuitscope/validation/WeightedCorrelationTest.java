package io.circuitscope.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.apache.commons.math3.stat.correlation.PearsonsCorrelation;
import org.apache.commons.math3.stat.correlation.SpearmansCorrelation;

class WeightedCorrelationTest {
    /**
     * Data with ties (values rounded to a few levels) and both signs of zero; one draw in eight is constant,
     * so that undefined (NaN) correlations are compared too.
     */
    static double[] data(Random r, int n) {
        double[] v = new double[n];
        boolean constant = r.nextInt(8) == 0;
        for (int i = 0; i < n; i++) {
            if (constant) {
                v[i] = r.nextBoolean() ? 0.0 : -0.0;
                continue;
            }
            v[i] = r.nextInt(3) == 0 ? Math.round(r.nextGaussian() * 2) / 2.0 : r.nextGaussian();
            v[i] = v[i] == 0 && r.nextBoolean() ? -0.0 : v[i];
        }
        return v;
    }

    /** Undefined (NaN) exactly where the reference is, and equal to it elsewhere. */
    static void assertSameCorrelation(double expected, double actual, String what) {
        assertEquals(Double.isNaN(expected), Double.isNaN(actual), what + ": expected " + expected + ", got " + actual);
        if (!Double.isNaN(expected)) {
            assertEquals(expected, actual, 1e-9, what);
        }
    }

    /** With unit weights, the usual Pearson and (tie-averaged) Spearman correlations. */
    @Property(tries = 100)
    void unitWeightsGiveTheUsualCorrelations(@ForAll @IntRange(min = 3, max = 60) int n, @ForAll long seed) {
        Random r = new Random(seed);
        double[] x = data(r, n);
        double[] y = data(r, n);
        double[] w = new double[n];
        java.util.Arrays.fill(w, 1);
        double pearson = new PearsonsCorrelation().correlation(x, y);
        double[] xs = x.clone();
        double[] ys = y.clone();
        for (int i = 0; i < n; i++) {
            xs[i] += 0.0; // Commons Math ranks -0.0 apart from 0.0; the weighted version ties them
            ys[i] += 0.0;
        }
        double spearman = new SpearmansCorrelation().correlation(xs, ys);
        assertSameCorrelation(pearson, WeightedCorrelation.pearson(x, y, w), "pearson");
        assertSameCorrelation(spearman, WeightedCorrelation.spearman(x, y, w), "spearman");
    }

    /** An integer weight w counts as w copies of the observation. */
    @Property(tries = 100)
    void anIntegerWeightIsThatManyCopies(@ForAll @IntRange(min = 3, max = 40) int n, @ForAll long seed) {
        Random r = new Random(seed);
        double[] x = data(r, n);
        double[] y = data(r, n);
        double[] w = new double[n];
        int copies = 0;
        for (int i = 0; i < n; i++) {
            w[i] = 1 + r.nextInt(4);
            copies += (int) w[i];
        }
        double[] xr = new double[copies];
        double[] yr = new double[copies];
        double[] ones = new double[copies];
        int at = 0;
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < w[i]; c++) {
                xr[at] = x[i];
                yr[at] = y[i];
                ones[at++] = 1;
            }
        }
        double pearson = WeightedCorrelation.pearson(xr, yr, ones);
        double spearman = WeightedCorrelation.spearman(xr, yr, ones);
        assertSameCorrelation(pearson, WeightedCorrelation.pearson(x, y, w), "pearson");
        assertSameCorrelation(spearman, WeightedCorrelation.spearman(x, y, w), "spearman");
    }

    /** A constant side has no correlation: NaN, which the bootstrap drops, not a round-off value it would count. */
    @Test
    void aConstantSideIsUndefinedWhateverTheWeights() {
        double[] constant = {0.1, 0.1, 0.1, 0.1};
        double[] varying = {1, 3, 2, 5};
        double[] weights = {0.3, 1.7, 2.9, 0.55};
        assertTrue(Double.isNaN(WeightedCorrelation.pearson(constant, varying, weights)));
        assertTrue(Double.isNaN(WeightedCorrelation.pearson(varying, constant, weights)));
        assertTrue(Double.isNaN(WeightedCorrelation.spearman(constant, varying, weights)));
    }

    /** A NaN score makes the rank correlation undefined, as it does Pearson's, instead of throwing. */
    @Test
    void aNanScoreGivesNanNotAnException() {
        assertTrue(Double.isNaN(ScoreAgreement.spearman(new double[] {1, Double.NaN, 3}, new double[] {1, 2, 3})));
        assertEquals(1.0, ScoreAgreement.spearman(new double[] {1, 2, 3}, new double[] {10, 20, 30}), 1e-12);
    }

    /**
     * The weighted rank correlation of a NaN is NaN too, as its Pearson's and the unweighted one's: ranking NaN looped
     * for ever (a NaN ties nothing, not even itself, so the walk over tie groups never moved past it), and the
     * compare-scorers bootstrap with weights would hang on one NaN score.
     */
    @Test
    void aNanScoreGivesNanUnderWeightsTooAndReturns() {
        double[] w = {1, 2, 0.5};
        double spearman = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(5),
                () -> WeightedCorrelation.spearman(new double[] {1, Double.NaN, 3}, new double[] {1, 2, 3}, w));
        assertTrue(Double.isNaN(spearman), "got " + spearman);
        assertTrue(Double.isNaN(org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(5),
                () -> WeightedCorrelation.spearman(new double[] {1, 2, 3}, new double[] {Double.NaN, 2, 3}, w))));
        assertTrue(Double.isNaN(WeightedCorrelation.pearson(new double[] {1, Double.NaN, 3}, new double[] {1, 2, 3}, w)));
    }
}

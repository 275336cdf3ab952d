package io.circuitscope.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class RocCurveTest {
    @Property(tries = 50)
    void perfectRankingHasAucOne(@ForAll @IntRange(min = 2, max = 200) int n, @ForAll @IntRange(min = 0, max = 1000) int seed) {
        Random rng = new Random(seed);
        boolean[] ref = new boolean[n];
        double[] scores = new double[n];
        ref[0] = true;
        ref[n - 1] = false;
        for (int i = 1; i < n - 1; i++) {
            ref[i] = rng.nextBoolean();
        }
        for (int i = 0; i < n; i++) {
            scores[i] = (ref[i] ? 10 : 1) + rng.nextDouble() * (rng.nextBoolean() ? 1 : -1) * 0.5;
        }
        assertEquals(1.0, RocCurve.of(scores, ref).auc(), 1e-12);
    }

    @Property(tries = 20)
    void randomRankingsAverageHalf(@ForAll @IntRange(min = 0, max = 100_000) int seed) {
        Random rng = new Random(seed);
        double sum = 0;
        int trials = 200;
        for (int t = 0; t < trials; t++) {
            int n = 60;
            boolean[] ref = new boolean[n];
            double[] scores = new double[n];
            for (int i = 0; i < n; i++) {
                ref[i] = i < 15;
                scores[i] = rng.nextDouble();
            }
            sum += RocCurve.of(scores, ref).auc();
        }
        // mean of 200 AUCs with sd about 0.085 each: the average is within 0.03 of 1/2
        assertEquals(0.5, sum / trials, 0.03);
    }

    @Test
    void tiesAreAStepAndPrecisionRecallCount() {
        assertEquals(0.5, RocCurve.of(new double[] {1, 1, 1, 1}, new boolean[] {true, false, true, false}).auc(), 1e-12);
        assertEquals(0.0, RocCurve.of(new double[] {1, 2}, new boolean[] {true, false}).auc(), 1e-12);
        CircuitComparison.Counts pr = CircuitComparison.Counts.of(new boolean[] {true, true, false, false},
                new boolean[] {true, false, true, false});
        assertEquals(0.5, pr.precision());
        assertEquals(0.5, pr.recall());
    }

    /**
     * Hand-worked: ranked by |score| with NaN last, -3 (ref) comes first, then the tie 2, 2 (non-ref, ref), then the
     * tie 0.5, -0.5 (non-ref, non-ref), then NaN (ref). Pairwise: 3 + 2.5 + 0 wins of 9 pairs = 11/18.
     */
    @Test
    void negativeScoresRankByMagnitudeAndUnscoredComeLast() {
        RocCurve roc = RocCurve.of(new double[] {-3, 2, Double.NaN, 2, 0.5, -0.5},
                new boolean[] {true, false, true, true, false, false});
        assertEquals(11.0 / 18, roc.auc(), 1e-12);
        double[][] expected = {{0, 0}, {0, 1.0 / 3}, {1.0 / 3, 2.0 / 3}, {1, 2.0 / 3}, {1, 1}};
        assertEquals(expected.length, roc.points().size());
        for (int i = 0; i < expected.length; i++) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(expected[i], roc.points().get(i), 1e-12, "point " + i);
        }
    }

    /** AUC is the Mann-Whitney statistic: the share of (reference, other) pairs ranked right, ties counting half. */
    @Property(tries = 200)
    void aucIsThePairwiseShareWithTiesHalf(@ForAll @IntRange(min = 2, max = 30) int n,
            @ForAll @IntRange(min = 0, max = 100_000) int seed) {
        Random rng = new Random(seed);
        // few distinct values, both signs and NaN, so ties, sign and unscored items all occur
        double[] palette = {-2, -1, -0.5, 0, 0.5, 1, 2, Double.NaN};
        boolean[] ref = new boolean[n];
        double[] scores = new double[n];
        for (int i = 0; i < n; i++) {
            ref[i] = rng.nextBoolean();
            scores[i] = palette[rng.nextInt(palette.length)];
        }
        ref[0] = true;
        ref[1] = false;
        double wins = 0;
        int pairs = 0;
        for (int a = 0; a < n; a++) {
            for (int b = 0; b < n; b++) {
                if (ref[a] && !ref[b]) {
                    double ka = Double.isNaN(scores[a]) ? -1 : Math.abs(scores[a]);
                    double kb = Double.isNaN(scores[b]) ? -1 : Math.abs(scores[b]);
                    wins += ka > kb ? 1 : ka == kb ? 0.5 : 0;
                    pairs++;
                }
            }
        }
        assertEquals(wins / pairs, RocCurve.of(scores, ref).auc(), 1e-12);
    }

    @Test
    void precisionAndRecallAreUndefinedWithNothingKeptOrNoReference() {
        CircuitComparison.Counts none = CircuitComparison.Counts.of(new boolean[] {false, false, false},
                new boolean[] {true, true, false});
        assertEquals(Double.NaN, none.precision());
        assertEquals(0.0, none.recall());
        assertEquals(Double.NaN, CircuitComparison.Counts.of(new boolean[] {true}, new boolean[] {false}).recall());
        CircuitComparison.Counts pr = CircuitComparison.Counts.of(new boolean[] {true, true, true, false},
                new boolean[] {true, false, false, true});
        assertEquals(1.0 / 3, pr.precision(), 1e-12);
        assertEquals(0.5, pr.recall(), 1e-12);
    }
}

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
        double[] pr = RocCurve.precisionRecall(new boolean[] {true, true, false, false}, new boolean[] {true, false, true, false});
        assertEquals(0.5, pr[0]);
        assertEquals(0.5, pr[1]);
    }
}

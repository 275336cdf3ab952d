package io.circuitscope.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** The Clopper-Pearson bound checked against the binomial distribution it inverts, computed here by summing terms. */
class FalseNegativeBoundTest {
    @Test
    void noneFoundInTenGivesTheRuleOfThreeBound() {
        // with k = 0 the bound solves (1 - p)^n = 1 - confidence: 1 - 0.05^(1/10) = 0.2589
        assertEquals(1 - Math.pow(0.05, 0.1), FalseNegativeBound.upperFraction(0, 10, 0.95), 1e-9);
        assertEquals(0.2589, FalseNegativeBound.upperFraction(0, 10, 0.95), 1e-4);
        assertEquals(1 - Math.pow(0.01, 1.0 / 50), FalseNegativeBound.upperFraction(0, 50, 0.99), 1e-9);
    }

    @Test
    void nothingSampledOrEverythingFoundBoundsNothing() {
        assertEquals(1.0, FalseNegativeBound.upperFraction(0, 0, 0.95));
        assertEquals(1.0, FalseNegativeBound.upperFraction(7, 7, 0.95));
    }

    /** The upper bound p is where seeing at most k of n becomes as unlikely as 1 - confidence: P(X <= k; n, p). */
    @Property(tries = 100)
    void theBoundIsWhereAtMostKFoundHasProbabilityOneMinusConfidence(@ForAll @IntRange(min = 1, max = 60) int n,
            @ForAll @IntRange(min = 0, max = 59) int anyK, @ForAll @IntRange(min = 80, max = 99) int percent) {
        int k = anyK % n; // found < sampled: the bound is a Beta quantile, not 1
        double confidence = percent / 100.0;
        double p = FalseNegativeBound.upperFraction(k, n, confidence);
        assertEquals(1 - confidence, binomialCdf(k, n, p), 1e-7, "k " + k + " of " + n + " bound " + p);
        // and it lies above the observed fraction
        org.junit.jupiter.api.Assertions.assertTrue(p > (double) k / n);
    }

    private static double binomialCdf(int k, int n, double p) {
        double sum = 0;
        for (int i = 0; i <= k; i++) {
            double logTerm = logChoose(n, i) + i * Math.log(p) + (n - i) * Math.log1p(-p);
            sum += Math.exp(logTerm);
        }
        return sum;
    }

    private static double logChoose(int n, int i) {
        double s = 0;
        for (int j = 1; j <= i; j++) {
            s += Math.log(n - i + j) - Math.log(j);
        }
        return s;
    }
}

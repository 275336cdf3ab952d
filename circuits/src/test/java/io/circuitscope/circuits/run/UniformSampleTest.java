package io.circuitscope.circuits.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

class UniformSampleTest {
    /** k distinct indices in range, ascending, the same for a seed; all of them when k reaches n. */
    @Property(tries = 200)
    void aSeededSampleIsDistinctSortedAndReproducible(@ForAll @IntRange(min = 1, max = 500) int n,
            @ForAll @IntRange(min = 1, max = 600) int k, @ForAll long seed) {
        int[] sample = ScorerComparison.uniformSample(n, Math.min(n, k), seed);
        assertEquals(Math.min(n, k), sample.length);
        for (int i = 0; i < sample.length; i++) {
            assertTrue(sample[i] >= 0 && sample[i] < n);
            assertTrue(i == 0 || sample[i] > sample[i - 1], "ascending and distinct: " + Arrays.toString(sample));
        }
        assertArrayEquals(sample, ScorerComparison.uniformSample(n, Math.min(n, k), seed));
    }

    /** Every index is about equally likely: over many seeds each of 20 indices is drawn near k/n of the time. */
    @Property(tries = 1)
    void everyIndexIsEquallyLikely() {
        int n = 20;
        int k = 5;
        int[] counts = new int[n];
        int draws = 20_000;
        for (int s = 0; s < draws; s++) {
            for (int i : ScorerComparison.uniformSample(n, k, s)) {
                counts[i]++;
            }
        }
        double expected = draws * (double) k / n; // 5000, sd about 61
        for (int i = 0; i < n; i++) {
            assertTrue(Math.abs(counts[i] - expected) < 300, "index " + i + " drawn " + counts[i] + " times");
        }
        assertFalse(Arrays.equals(ScorerComparison.uniformSample(1000, 10, 1), ScorerComparison.uniformSample(1000, 10, 2)));
    }
}

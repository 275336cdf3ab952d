package io.circuitscope.validation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The minimality and completeness masks are made one pass at a time, never all at once. */
class CircuitValidatorChunkingTest {
    @Test
    void atMostOnePassOfMasksIsAliveAtOnce() {
        int count = 3 * CircuitValidator.MASKS_PER_PASS + 5;
        int[] made = {0};
        int[] evaluated = {0};
        int[] mostAlive = {0};
        double[] values = CircuitValidator.evaluateInChunks(chunk -> {
            mostAlive[0] = Math.max(mostAlive[0], made[0] - evaluated[0]);
            double[] v = new double[chunk.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = chunk.get(i)[0] ? 1 : 0; // mask i keeps edge 0 when i is even
                v[i] += chunk.get(i).length; // and has length i + 1
            }
            evaluated[0] += chunk.size();
            return v;
        }, count, i -> {
            made[0]++;
            boolean[] m = new boolean[i + 1];
            m[0] = i % 2 == 0;
            return m;
        });
        assertTrue(mostAlive[0] <= CircuitValidator.MASKS_PER_PASS, "masks alive at once: " + mostAlive[0]);
        double[] expected = new double[count];
        for (int i = 0; i < count; i++) {
            expected[i] = (i % 2 == 0 ? 1 : 0) + i + 1;
        }
        assertArrayEquals(expected, values);
    }

    @Test
    void noMasksMeansNoPasses() {
        double[] values = CircuitValidator.evaluateInChunks(chunk -> {
            throw new AssertionError("no pass expected");
        }, 0, i -> new boolean[1]);
        assertArrayEquals(new double[0], values);
    }
}

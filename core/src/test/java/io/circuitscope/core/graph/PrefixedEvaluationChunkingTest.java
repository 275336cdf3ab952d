package io.circuitscope.core.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Masks (validation's minimality and completeness, discovery's false-negative check) are made one chunk at a time,
 * never all at once, and every chunk is reported done.
 */
class PrefixedEvaluationChunkingTest {
    @Test
    void atMostOnePassOfMasksIsAliveAtOnce() {
        int count = 3 * PrefixedEvaluation.MASKS_PER_PASS + 5;
        int[] made = {0};
        int[] evaluated = {0};
        int[] mostAlive = {0};
        java.util.List<Integer> done = new java.util.ArrayList<>();
        double[] values = PrefixedEvaluation.inChunks(chunk -> {
            mostAlive[0] = Math.max(mostAlive[0], made[0] - evaluated[0]);
            double[] v = new double[chunk.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = chunk.get(i)[0] ? 1 : 0; // mask i keeps edge 0 when i is even
                v[i] += chunk.get(i).length; // and has length i + 1
            }
            evaluated[0] += chunk.size();
            return v;
        }, PrefixedEvaluation.MASKS_PER_PASS, count, i -> {
            made[0]++;
            boolean[] m = new boolean[i + 1];
            m[0] = i % 2 == 0;
            return m;
        }, 7, done::add);
        assertTrue(mostAlive[0] <= PrefixedEvaluation.MASKS_PER_PASS, "masks alive at once: " + mostAlive[0]);
        double[] expected = new double[count];
        for (int i = 0; i < count; i++) {
            expected[i] = (i % 2 == 0 ? 1 : 0) + i + 1;
        }
        assertArrayEquals(expected, values);
        int m = PrefixedEvaluation.MASKS_PER_PASS;
        // counted on from the 7 masks done before, after every chunk
        assertEquals(java.util.List.of(7 + m, 7 + 2 * m, 7 + 3 * m, 7 + count), done);
    }

    @Test
    void noMasksMeansNoPasses() {
        double[] values = PrefixedEvaluation.inChunks(chunk -> {
            throw new AssertionError("no pass expected");
        }, PrefixedEvaluation.MASKS_PER_PASS, 0, i -> new boolean[1], 0, i -> {
            throw new AssertionError("nothing done");
        });
        assertArrayEquals(new double[0], values);
    }
}

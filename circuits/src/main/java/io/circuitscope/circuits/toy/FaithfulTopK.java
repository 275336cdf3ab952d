package io.circuitscope.circuits.toy;

import io.circuitscope.core.graph.EdgeScores;
import io.circuitscope.core.graph.TaskPatcher;
import java.util.ArrayList;
import java.util.List;

/**
 * The reference-circuit rule of the toy models: rank the edges by |exact effect| and keep the
 * smallest top k whose faithfulness, {@code (m(C) - m(corrupted)) / (m(clean) - m(corrupted))} with
 * every other edge patched, reaches the target.
 *
 * <p>Why not a share of the summed |effect|: single-edge effects do not add up (on the first IOI toy
 * the edges covering 90% of the summed |effect| kept 0.23 of the behaviour), so the size of the
 * circuit is decided by what its edges do together.
 */
public final class FaithfulTopK {
    /** Faithfulness the reference circuit must reach. */
    public static final double TARGET = 0.85;
    /** Top-k prefixes evaluated per batch of patched passes. */
    private static final int MASKS_PER_PASS = 32;

    /** The chosen circuit: its size, keep-mask, metric value and faithfulness. */
    public record Choice(int k, boolean[] keep, double value, double faithfulness) {
    }

    private FaithfulTopK() {
    }

    /** The smallest top k of {@code exact} reaching {@code target} (all edges if none smaller does). */
    public static Choice select(TaskPatcher tp, EdgeScores exact, double target) {
        int n = exact.size();
        for (int first = 1; first <= n; first += MASKS_PER_PASS) {
            int last = Math.min(n, first + MASKS_PER_PASS - 1);
            List<boolean[]> masks = new ArrayList<>();
            for (int k = first; k <= last; k++) {
                masks.add(exact.topK(k));
            }
            double[] values = tp.evaluateKeep(masks);
            for (int i = 0; i < values.length; i++) {
                double f = tp.normalized(values[i]);
                if (f >= target || first + i == n) {
                    return new Choice(first + i, masks.get(i), values[i], f);
                }
            }
        }
        throw new IllegalArgumentException("the graph has no edges");
    }
}

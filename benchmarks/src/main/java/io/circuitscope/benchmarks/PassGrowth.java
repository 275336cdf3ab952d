package io.circuitscope.benchmarks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.circuitscope.core.task.Metric;
import io.circuitscope.core.task.WatchedMetric;

/**
 * A metric that also watches whether passes leave arrays behind until their batch (or task) ends, which a count
 * after each iteration cannot see: that memory is freed by then, but it grows with the passes, steps or variants
 * of a batch. At each pass it counts the arrays the pass's parent manager (its scope: the batch's run, the task)
 * holds outside the pass; over consecutive passes of one scope that count should stay where it started.
 */
final class PassGrowth extends WatchedMetric {
    private NDManager scope;
    private int first;
    private int growth;

    PassGrowth(Metric metric) {
        super(metric);
    }

    /** The most any scope's count grew from its first pass since the last call, and starts afresh. */
    int take() {
        int g = growth;
        growth = 0;
        scope = null;
        return g;
    }

    @Override
    protected void watch(NDArray logits) {
        NDManager pass = logits.getManager();
        NDManager parent = pass.getParentManager();
        if (parent != null) {
            int outside = parent.getManagedArrays().size() - pass.getManagedArrays().size();
            if (parent != scope) {
                scope = parent;
                first = outside;
            } else {
                growth = Math.max(growth, outside - first);
            }
        }
    }
}

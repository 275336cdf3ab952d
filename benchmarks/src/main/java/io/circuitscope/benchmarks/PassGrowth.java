package io.circuitscope.benchmarks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.circuitscope.core.task.Batch;
import io.circuitscope.core.task.Metric;
import io.circuitscope.core.task.Task;

/**
 * A metric that also watches whether passes leave arrays behind until their batch (or task) ends, which a count
 * after each iteration cannot see: that memory is freed by then, but it grows with the passes, steps or variants
 * of a batch. At each pass it counts the arrays the pass's parent manager (its scope: the batch's run, the task)
 * holds outside the pass; over consecutive passes of one scope that count should stay where it started.
 */
final class PassGrowth implements Metric {
    private final Metric metric;
    private NDManager scope;
    private int first;
    private int growth;

    PassGrowth(Metric metric) {
        this.metric = metric;
    }

    /** The most any scope's count grew from its first pass since the last call, and starts afresh. */
    int take() {
        int g = growth;
        growth = 0;
        scope = null;
        return g;
    }

    @Override
    public NDArray perTarget(NDArray logits, Batch batch, NDArray cleanLogProbs) {
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
        return metric.perTarget(logits, batch, cleanLogProbs);
    }

    @Override
    public String name() {
        return metric.name();
    }

    @Override
    public boolean higherIsBetter() {
        return metric.higherIsBetter();
    }

    @Override
    public void check(Task task) {
        metric.check(task);
    }

    @Override
    public boolean differentiable() {
        return metric.differentiable();
    }

    @Override
    public boolean needsCleanReference() {
        return metric.needsCleanReference();
    }
}

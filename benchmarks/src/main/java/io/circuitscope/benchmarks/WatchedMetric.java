package io.circuitscope.benchmarks;

import ai.djl.ndarray.NDArray;
import io.circuitscope.core.task.Batch;
import io.circuitscope.core.task.Metric;
import io.circuitscope.core.task.Task;

/**
 * A metric that answers as the one it wraps and lets a harness look at each pass's logits first ({@link #watch}):
 * the benchmarks count passes and arrays this way without touching the code they measure. {@code perVariant} is the
 * interface's default, through {@link #perTarget}, so a subclass sees those passes too unless it overrides it.
 */
abstract class WatchedMetric implements Metric {
    private final Metric metric;

    WatchedMetric(Metric metric) {
        this.metric = metric;
    }

    /** Called with every pass's logits before the wrapped metric reads them. */
    abstract void watch(NDArray logits);

    /** The metric this one answers as. */
    final Metric wrapped() {
        return metric;
    }

    @Override
    public NDArray perTarget(NDArray logits, Batch batch, NDArray cleanLogProbs) {
        watch(logits);
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

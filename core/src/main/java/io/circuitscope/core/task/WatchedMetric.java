package io.circuitscope.core.task;

import ai.djl.ndarray.NDArray;

/**
 * A metric that answers as the one it wraps and lets a harness look at each pass's logits first ({@link #watch}):
 * the benchmarks (and the tests that check the engine's own counts against theirs) count passes and arrays this
 * way without touching the code they measure. {@code perVariant} is the
 * interface's default, through {@link #perTarget}, so a subclass sees those passes too unless it overrides it.
 */
public abstract class WatchedMetric implements Metric {
    private final Metric metric;

    protected WatchedMetric(Metric metric) {
        this.metric = metric;
    }

    /** Called with every pass's logits before the wrapped metric reads them. */
    protected abstract void watch(NDArray logits);

    /** The metric this one answers as. */
    protected final Metric wrapped() {
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

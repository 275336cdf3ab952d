package io.circuitscope.core.testing;

import ai.djl.ndarray.NDArray;
import io.circuitscope.core.task.Batch;
import io.circuitscope.core.task.Metric;
import io.circuitscope.core.task.Metrics;
import java.util.function.Consumer;

/**
 * The logit difference, showing each pass's logits to a test before scoring them: their manager tells which pass
 * made them, so memory tests count what a pass's scope holds and order tests see when a pass ran.
 */
public class ObservedLogitDiff implements Metric {
    private final Consumer<NDArray> observer;

    public ObservedLogitDiff(Consumer<NDArray> observer) {
        this.observer = observer;
    }

    /** For subclasses that override {@link #observe}. */
    protected ObservedLogitDiff() {
        this(logits -> { });
    }

    protected void observe(NDArray logits) {
        observer.accept(logits);
    }

    @Override
    public String name() {
        return Metrics.LOGIT_DIFF.name();
    }

    @Override
    public boolean higherIsBetter() {
        return Metrics.LOGIT_DIFF.higherIsBetter();
    }

    @Override
    public NDArray perTarget(NDArray logits, Batch batch, NDArray cleanLogProbs) {
        observe(logits);
        return Metrics.LOGIT_DIFF.perTarget(logits, batch, cleanLogProbs);
    }
}

package io.circuitscope.core.task;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * A metric that counts the passes it reads inside a gradient collector (PyTorch's grad mode on): each gradient
 * pass reads its metric once (EAP-IG's steps run as many passes per batch as its pass budget needs), exact passes
 * run outside one. (The logits' own requires-grad flag reads false there, so it cannot tell them apart.) The
 * benchmarks count gradient passes with it, and a test checks the engine's own count against it.
 */
public final class GradientPassCount extends WatchedMetric {
    private long count;

    public GradientPassCount(Metric metric) {
        super(metric);
    }

    /** Gradient passes read so far. */
    public long count() {
        return count;
    }

    @Override
    protected void watch(NDArray logits) {
        if (JniUtils.isGradMode()) {
            count++;
        }
    }

    /** Straight to the wrapped metric, uncounted: gradient passes read {@code perTarget}. */
    @Override
    public NDArray perVariant(NDArray logits, Batch batch, NDArray cleanLogProbs) {
        return wrapped().perVariant(logits, batch, cleanLogProbs);
    }
}

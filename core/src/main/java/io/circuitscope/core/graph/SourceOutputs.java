package io.circuitscope.core.graph;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Every source's output for a batch, stacked [nSources, batch, seq, d_model]: the values an edge
 * carries when it is patched (corrupted, mean, zero ...). Owned by the manager that created it.
 */
public record SourceOutputs(NDArray stacked) {
    public int batch() {
        return (int) stacked.getShape().get(1);
    }

    public int seq() {
        return (int) stacked.getShape().get(2);
    }

    /** The same outputs with every source set to zero (zero ablation). */
    public SourceOutputs zeros() {
        return new SourceOutputs(stacked.zerosLike());
    }

    /** {@code one} [nSources, 1, seq, d_model] repeated for {@code batch} examples (a task-level mean ablation). */
    public static SourceOutputs repeated(NDArray one, int batch) {
        Shape s = one.getShape();
        return new SourceOutputs(one.broadcast(new Shape(s.get(0), batch, s.get(2), s.get(3))));
    }

    /** Every example replaced by the mean over the batch at each position (mean ablation). */
    public SourceOutputs meanOverBatch() {
        Shape s = stacked.getShape();
        return new SourceOutputs(stacked.mean(new int[] {1}, true).broadcast(s));
    }

    /** Output of source {@code s}, [batch, seq, d_model]. */
    public NDArray source(int s) {
        return stacked.get(s);
    }
}

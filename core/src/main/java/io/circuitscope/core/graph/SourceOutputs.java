package io.circuitscope.core.graph;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Every source's output for a batch, stacked [nSources, batch, seq, d_model]: the values an edge
 * carries when it is patched (corrupted, mean, zero ...). Owned by the manager that created it.
 * {@code allZero} says they are zero ablation's zeros, which {@link EdgePatcher} then sums exactly.
 */
public record SourceOutputs(NDArray stacked, boolean allZero) {
    public SourceOutputs(NDArray stacked) {
        this(stacked, false);
    }

    /** Zeros shaped [nSources, batch, seq, d_model] (zero ablation), of the given type. */
    public static SourceOutputs zeros(ai.djl.ndarray.NDManager manager, Shape shape, ai.djl.ndarray.types.DataType type) {
        return new SourceOutputs(manager.zeros(shape, type), true);
    }

    public int batch() {
        return (int) stacked.getShape().get(1);
    }

    public int seq() {
        return (int) stacked.getShape().get(2);
    }

    /** The same outputs with every source set to zero (zero ablation). */
    public SourceOutputs zeros() {
        return new SourceOutputs(stacked.zerosLike(), true);
    }

    /** {@code one} [nSources, 1, seq, d_model] repeated for {@code batch} examples (a task-level mean ablation). */
    public static SourceOutputs repeated(NDArray one, int batch) {
        Shape s = one.getShape();
        return new SourceOutputs(one.broadcast(new Shape(s.get(0), batch, s.get(2), s.get(3))), false);
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

package io.circuitscope.core.task;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * A scalar summary of the model's behaviour at the task's targets. Values are per target and per
 * mask variant, [M, T], for logits [M * B, seq, vocab]; they stay differentiable where the metric is.
 */
public interface Metric {
    String name();

    /** Whether larger values mean more of the behaviour (KL divergence: no). */
    boolean higherIsBetter();

    /** Checks, before any pass, that the task suits this metric; throws naming what is missing. */
    default void check(Task task) {
    }

    /** Whether gradients of this metric mean anything (accuracy and rank are step functions: no). */
    default boolean differentiable() {
        return true;
    }

    /** Whether {@link #perTarget} needs the clean run's log-probabilities at the targets. */
    default boolean needsCleanReference() {
        return false;
    }

    /**
     * Per-target values [M, T].
     *
     * @param cleanLogProbs [T, vocab] log-probabilities of the unpatched clean run at the targets, or null
     */
    NDArray perTarget(NDArray logits, Batch batch, NDArray cleanLogProbs);

    /** The mean over targets, [M]. */
    default NDArray perVariant(NDArray logits, Batch batch, NDArray cleanLogProbs) {
        return perTarget(logits, batch, cleanLogProbs).mean(new int[] {1});
    }

    /** Logits at every target, [M, T, vocab]. */
    static NDArray atTargets(NDArray logits, Batch batch) {
        Shape s = logits.getShape();
        long rows = s.get(0);
        long seq = s.get(1);
        long vocab = s.get(2);
        long masks = rows / batch.size();
        int[] logitPositions = batch.logitPositions();
        // logits at every position, or (cheaper passes) only at the batch's target positions
        boolean onlyTargets = seq != batch.length() && seq == logitPositions.length;
        if (masks * batch.size() != rows || (seq != batch.length() && !onlyTargets)) {
            throw new IllegalArgumentException("logits " + s + " do not fit a batch of " + batch.size() + " x "
                    + batch.length() + " (or its " + logitPositions.length + " target positions)");
        }
        long[] flat = new long[batch.targets()];
        for (int t = 0; t < flat.length; t++) {
            long column = onlyTargets ? java.util.Arrays.binarySearch(logitPositions, batch.position()[t]) : batch.position()[t];
            flat[t] = batch.row()[t] * seq + column;
        }
        NDArray index = logits.getManager().create(flat);
        return logits.reshape(masks, batch.size() * seq, vocab).get(new NDIndex(":, {}, :", index));
    }

    /** A one-hot [T, vocab] matrix of the given token per target (picks values without advanced indexing). */
    static NDArray oneHot(NDArray like, int[] tokens, long vocab) {
        float[] v = new float[(int) (tokens.length * vocab)];
        for (int t = 0; t < tokens.length; t++) {
            if (tokens[t] < 0 || tokens[t] >= vocab) {
                throw new IllegalArgumentException("answer token id " + tokens[t] + " is outside the vocabulary of "
                        + vocab);
            }
            v[(int) (t * vocab + tokens[t])] = 1f;
        }
        return like.getManager().create(v, new Shape(tokens.length, vocab)).toType(DataType.FLOAT32, false);
    }

    /** Value of the given token per target: [M, T]. */
    static NDArray pick(NDArray atTargets, int[] tokens) {
        long vocab = atTargets.getShape().get(2);
        return atTargets.mul(oneHot(atTargets, tokens, vocab)).sum(new int[] {2});
    }
}

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

    /**
     * Which sign of a score marks an edge that supports the behaviour under this metric: a score is the metric's
     * change when the edge is patched (or removed), so "negative" where higher is better (logit-diff) and
     * "positive" where lower is (KL).
     */
    default String importantSign() {
        return higherIsBetter() ? "negative" : "positive";
    }

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
     * @param cleanLogProbs [T, vocab] log-probabilities of the unpatched clean run at the targets, up to a constant per
     *                      row ({@link #cleanReference}: its logits there), or null
     */
    NDArray perTarget(NDArray logits, Batch batch, NDArray cleanLogProbs);

    /** The mean over targets, [M]. */
    default NDArray perVariant(NDArray logits, Batch batch, NDArray cleanLogProbs) {
        return perTarget(logits, batch, cleanLogProbs).mean(new int[] {1});
    }

    /**
     * What {@link #perTarget} takes as {@code cleanLogProbs} from the clean run's logits ([B, seq or target positions,
     * vocab]): its logits at the targets, [T, vocab], log-probabilities up to a constant per row, which KL divergence
     * normalises in double precision ({@link Metrics#KL}). Float32 log-probabilities would carry log-softmax's
     * rounding, about 1e-6 per row, into every KL; double ones would hold twice the memory for the task's life.
     */
    static NDArray cleanReference(NDArray logits, Batch batch) {
        return atTargets(logits, batch).get(0);
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
        int[][] sets = new int[tokens.length][];
        for (int t = 0; t < tokens.length; t++) {
            sets[t] = new int[] {tokens[t]};
        }
        return multiHot(like, sets, vocab);
    }

    /** A [T, vocab] matrix with 1 at each of target t's tokens {@code sets[t]}, 0 elsewhere. */
    static NDArray multiHot(NDArray like, int[][] sets, long vocab) {
        float[] v = new float[(int) (sets.length * vocab)];
        for (int t = 0; t < sets.length; t++) {
            for (int token : sets[t]) {
                if (token < 0 || token >= vocab) {
                    throw new IllegalArgumentException("answer token id " + token + " is outside the vocabulary of "
                            + vocab);
                }
                v[(int) (t * vocab + token)] = 1f;
            }
        }
        return like.getManager().create(v, new Shape(sets.length, vocab)).toType(DataType.FLOAT32, false);
    }

    /** Value of the given token per target: [M, T]. */
    static NDArray pick(NDArray atTargets, int[] tokens) {
        long vocab = atTargets.getShape().get(2);
        return atTargets.mul(oneHot(atTargets, tokens, vocab)).sum(new int[] {2});
    }

    /** The sum of the values at each target's tokens: [M, T] (probabilities of an answer set add up). */
    static NDArray sumOver(NDArray atTargets, int[][] sets) {
        long vocab = atTargets.getShape().get(2);
        return atTargets.mul(multiHot(atTargets, sets, vocab)).sum(new int[] {2});
    }

    /**
     * log sum exp of the values at each target's tokens: [M, T]. Of logits, the answer set's logit (log p(set)
     * up to the normaliser); of log-probabilities, log p(set). For one token it is that token's value.
     */
    static NDArray logSumExpOver(NDArray atTargets, int[][] sets) {
        long vocab = atTargets.getShape().get(2);
        NDArray inSet = multiHot(atTargets, sets, vocab);
        // tokens outside the set are pushed far below so exp() makes them 0; the shift is a constant for the
        // gradient (it cancels in value), so it carries none
        NDArray masked = atTargets.add(inSet.sub(1f).mul(1e9f));
        NDArray shift = masked.max(new int[] {2}, true).stopGradient();
        return masked.sub(shift).exp().mul(inSet).sum(new int[] {2}).log().add(shift.squeeze(2));
    }

    /** The largest value at each target's tokens: [M, T] (not differentiable in any useful way). */
    static NDArray maxOver(NDArray atTargets, int[][] sets) {
        long vocab = atTargets.getShape().get(2);
        NDArray inSet = multiHot(atTargets, sets, vocab);
        return atTargets.add(inSet.sub(1f).mul(1e9f)).max(new int[] {2});
    }
}

package io.circuitscope.core.task;

import java.util.List;

/**
 * One clean prompt, its corrupted twin (same length) and what the clean prompt should predict.
 *
 * @param noisePositions positions (non-negative) whose embeddings the Gaussian-noise corruption perturbs,
 *                       e.g. the subject tokens of a factual-recall prompt (causal tracing); empty when unused
 */
public record Example(int[] clean, int[] corrupt, List<Target> targets, int[] noisePositions) {
    public Example(int[] clean, int[] corrupt, List<Target> targets) {
        this(clean, corrupt, targets, new int[0]);
    }

    public Example {
        noisePositions = noisePositions == null ? new int[0] : noisePositions.clone();
        for (int p : noisePositions) {
            if (p < 0 || p >= clean.length) {
                throw new IllegalArgumentException("noise position " + p + " is outside a prompt of " + clean.length
                        + " tokens");
            }
        }
        clean = clean.clone();
        corrupt = corrupt.clone();
        targets = List.copyOf(targets);
        if (clean.length == 0) {
            throw new IllegalArgumentException("empty clean prompt");
        }
        if (clean.length != corrupt.length) {
            throw new IllegalArgumentException("clean prompt has " + clean.length + " tokens but the corrupted one has "
                    + corrupt.length);
        }
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("an example needs at least one target");
        }
        for (Target t : targets) {
            t.resolvedPosition(clean.length);
        }
    }

    @Override
    public int[] clean() {
        return clean.clone();
    }

    @Override
    public int[] corrupt() {
        return corrupt.clone();
    }

    @Override
    public int[] noisePositions() {
        return noisePositions.clone();
    }

    public int length() {
        return clean.length;
    }
}

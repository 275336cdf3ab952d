package io.circuitscope.core.task;

import java.util.ArrayList;
import java.util.List;

/**
 * Examples of one length, ready for a forward pass, with their targets flattened: target t belongs
 * to row {@code row[t]} at position {@code position[t]}; {@code wrong[t]} is -1 when absent.
 * {@code noisePositions[b]} are row b's positions for the Gaussian-noise corruption (may be empty).
 */
public record Batch(int[][] clean, int[][] corrupt, int[] row, int[] position, int[] correct, int[] wrong,
        int[][] noisePositions) {

    public Batch(int[][] clean, int[][] corrupt, int[] row, int[] position, int[] correct, int[] wrong) {
        this(clean, corrupt, row, position, correct, wrong, new int[clean.length][0]);
    }

    public static Batch of(List<Example> examples) {
        if (examples.isEmpty()) {
            throw new IllegalArgumentException("empty batch");
        }
        int length = examples.get(0).length();
        int[][] clean = new int[examples.size()][];
        int[][] corrupt = new int[examples.size()][];
        int[][] noise = new int[examples.size()][];
        List<int[]> targets = new ArrayList<>();
        for (int b = 0; b < examples.size(); b++) {
            Example e = examples.get(b);
            if (e.length() != length) {
                throw new IllegalArgumentException("batch mixes prompt lengths " + length + " and " + e.length());
            }
            clean[b] = e.clean();
            corrupt[b] = e.corrupt();
            noise[b] = e.noisePositions();
            for (Target t : e.targets()) {
                targets.add(new int[] {b, t.resolvedPosition(length), t.correctId(), t.wrongId() == null ? -1 : t.wrongId()});
            }
        }
        int n = targets.size();
        int[] row = new int[n];
        int[] position = new int[n];
        int[] correct = new int[n];
        int[] wrong = new int[n];
        for (int i = 0; i < n; i++) {
            row[i] = targets.get(i)[0];
            position[i] = targets.get(i)[1];
            correct[i] = targets.get(i)[2];
            wrong[i] = targets.get(i)[3];
        }
        return new Batch(clean, corrupt, row, position, correct, wrong, noise);
    }

    public int size() {
        return clean.length;
    }

    public int length() {
        return clean[0].length;
    }

    public int targets() {
        return row.length;
    }

    /** The same examples with clean and corrupted prompts swapped (targets unchanged). */
    public Batch swapped() {
        return new Batch(corrupt, clean, row, position, correct, wrong, noisePositions);
    }

    /**
     * The distinct target positions, ascending: a forward pass that will only be read by a metric needs
     * logits there and nowhere else (see {@code HookedTransformer.forward(..., logitPositions)}).
     */
    public int[] logitPositions() {
        return java.util.Arrays.stream(position).distinct().sorted().toArray();
    }

    public boolean hasWrongAnswers() {
        for (int w : wrong) {
            if (w < 0) {
                return false;
            }
        }
        return true;
    }
}

package io.circuitscope.core.task;

import java.util.ArrayList;
import java.util.List;

/**
 * Examples of one length, ready for a forward pass, with their targets flattened: target t belongs
 * to row {@code row[t]} at position {@code position[t]}; {@code wrong[t]} is -1 when absent.
 * {@code noisePositions[b]} are row b's positions for the Gaussian-noise corruption (may be empty).
 * {@code correctSets[t]} and {@code wrongSets[t]} are target t's whole answers ({@link Target#correctIds()});
 * {@code correct[t]} and {@code wrong[t]} are their first tokens, the answers themselves when every answer is
 * one token ({@link #hasAnswerSets()} false).
 */
public record Batch(int[][] clean, int[][] corrupt, int[] row, int[] position, int[] correct, int[] wrong,
        int[][] noisePositions, int[][] correctSets, int[][] wrongSets) {

    public Batch(int[][] clean, int[][] corrupt, int[] row, int[] position, int[] correct, int[] wrong) {
        this(clean, corrupt, row, position, correct, wrong, new int[clean.length][0], singletons(correct),
                singletons(wrong));
    }

    private static int[][] singletons(int[] ids) {
        int[][] out = new int[ids.length][];
        for (int t = 0; t < ids.length; t++) {
            out[t] = ids[t] < 0 ? new int[0] : new int[] {ids[t]};
        }
        return out;
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
        List<Target> answers = new ArrayList<>();
        for (int b = 0; b < examples.size(); b++) {
            Example e = examples.get(b);
            if (e.length() != length) {
                throw new IllegalArgumentException("batch mixes prompt lengths " + length + " and " + e.length());
            }
            clean[b] = e.clean();
            corrupt[b] = e.corrupt();
            noise[b] = e.noisePositions();
            for (Target t : e.targets()) {
                targets.add(new int[] {b, t.resolvedPosition(length), t.correctIds().get(0),
                    t.wrongIds().isEmpty() ? -1 : t.wrongIds().get(0)});
                answers.add(t);
            }
        }
        int n = targets.size();
        int[] row = new int[n];
        int[] position = new int[n];
        int[] correct = new int[n];
        int[] wrong = new int[n];
        int[][] correctSets = new int[n][];
        int[][] wrongSets = new int[n][];
        for (int i = 0; i < n; i++) {
            row[i] = targets.get(i)[0];
            position[i] = targets.get(i)[1];
            correct[i] = targets.get(i)[2];
            wrong[i] = targets.get(i)[3];
            correctSets[i] = answers.get(i).correctIds().stream().mapToInt(Integer::intValue).toArray();
            wrongSets[i] = answers.get(i).wrongIds().stream().mapToInt(Integer::intValue).toArray();
        }
        return new Batch(clean, corrupt, row, position, correct, wrong, noise, correctSets, wrongSets);
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
        return new Batch(corrupt, clean, row, position, correct, wrong, noisePositions, correctSets, wrongSets);
    }

    /**
     * The distinct target positions, ascending: a forward pass that will only be read by a metric needs
     * logits there and nowhere else (see {@code HookedTransformer.forward(..., logitPositions)}).
     */
    public int[] logitPositions() {
        return java.util.Arrays.stream(position).distinct().sorted().toArray();
    }

    /** Whether some target's correct or wrong answer is more than one token. */
    public boolean hasAnswerSets() {
        for (int t = 0; t < correctSets.length; t++) {
            if (correctSets[t].length > 1 || wrongSets[t].length > 1) {
                return true;
            }
        }
        return false;
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

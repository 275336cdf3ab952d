package io.circuitscope.core.task;

import java.util.ArrayList;
import java.util.List;

/**
 * Examples of one length, ready for a forward pass, with their targets flattened: target t belongs
 * to row {@code row[t]} at position {@code position[t]}; {@code correctSets[t]} and {@code wrongSets[t]} are its
 * answers ({@link Target#correctIds()}; a wrong set is empty when absent), one token each unless
 * {@link #hasAnswerSets()}. {@code noisePositions[b]} are row b's positions for the Gaussian-noise corruption
 * (may be empty).
 */
public record Batch(int[][] clean, int[][] corrupt, int[] row, int[] position, int[][] noisePositions,
        int[][] correctSets, int[][] wrongSets) {

    public static Batch of(List<Example> examples) {
        if (examples.isEmpty()) {
            throw new IllegalArgumentException("empty batch");
        }
        int length = examples.get(0).length();
        int[][] clean = new int[examples.size()][];
        int[][] corrupt = new int[examples.size()][];
        int[][] noise = new int[examples.size()][];
        List<Integer> rows = new ArrayList<>();
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
                rows.add(b);
                answers.add(t);
            }
        }
        int n = answers.size();
        int[] row = new int[n];
        int[] position = new int[n];
        int[][] correctSets = new int[n][];
        int[][] wrongSets = new int[n][];
        for (int i = 0; i < n; i++) {
            Target t = answers.get(i);
            row[i] = rows.get(i);
            position[i] = t.resolvedPosition(length);
            correctSets[i] = t.correctIds().stream().mapToInt(Integer::intValue).toArray();
            wrongSets[i] = t.wrongIds().stream().mapToInt(Integer::intValue).toArray();
        }
        return new Batch(clean, corrupt, row, position, noise, correctSets, wrongSets);
    }

    /** Each target's correct token: the first of its set (the token itself unless {@link #hasAnswerSets()}). */
    public int[] correct() {
        int[] out = new int[correctSets.length];
        for (int t = 0; t < out.length; t++) {
            out[t] = correctSets[t][0];
        }
        return out;
    }

    /** Each target's wrong token, -1 when it has none: the first of its set, as {@link #correct()}. */
    public int[] wrong() {
        int[] out = new int[wrongSets.length];
        for (int t = 0; t < out.length; t++) {
            out[t] = wrongSets[t].length == 0 ? -1 : wrongSets[t][0];
        }
        return out;
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
        return new Batch(corrupt, clean, row, position, noisePositions, correctSets, wrongSets);
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
        for (int[] w : wrongSets) {
            if (w.length == 0) {
                return false;
            }
        }
        return true;
    }
}

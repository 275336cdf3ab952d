package io.circuitscope.core.task;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A named list of examples; batched by prompt length since a forward pass needs equal lengths. */
public record Task(String name, List<Example> examples) {
    public Task {
        examples = List.copyOf(examples);
        if (examples.isEmpty()) {
            throw new IllegalArgumentException("task '" + name + "' has no examples");
        }
    }

    /** Batches of at most {@code maxSize} examples, each of one prompt length, in file order within a length. */
    public List<Batch> batches(int maxSize) {
        Map<Integer, List<Example>> byLength = new LinkedHashMap<>();
        for (Example e : examples) {
            byLength.computeIfAbsent(e.length(), k -> new ArrayList<>()).add(e);
        }
        List<Batch> out = new ArrayList<>();
        for (List<Example> group : byLength.values()) {
            for (int i = 0; i < group.size(); i += maxSize) {
                out.add(Batch.of(group.subList(i, Math.min(group.size(), i + maxSize))));
            }
        }
        return out;
    }

    /**
     * The one prompt length of every example, which position-aware graphs index by; an error naming the
     * first example of another length when there is none ({@code purpose} says what needs it).
     */
    public int commonLength(String purpose) {
        int length = examples.get(0).length();
        for (int i = 1; i < examples.size(); i++) {
            int other = examples.get(i).length();
            if (other != length) {
                throw new IllegalArgumentException(purpose + " needs prompts of one length, but in task '" + name
                        + "' example 1 has " + length + " tokens and example " + (i + 1) + " has " + other + " tokens"
                        + " (position-aware edges are indexed by token position; use a templated task)");
            }
        }
        return length;
    }

    public int size() {
        return examples.size();
    }

    /**
     * Refuses, naming the first example and target, a task whose answers are sets of tokens when
     * {@code purpose} needs one correct and one wrong token per target (a single unembedding direction).
     */
    public void requireSingleTokenAnswers(String purpose) {
        for (int i = 0; i < examples.size(); i++) {
            List<Target> targets = examples.get(i).targets();
            for (int t = 0; t < targets.size(); t++) {
                if (targets.get(t).hasAnswerSets()) {
                    throw new IllegalArgumentException(purpose + " needs one correct and one wrong token per target, but "
                            + "task '" + name + "' example " + (i + 1) + ", targets[" + t + "] has answer sets (correct "
                            + targets.get(t).correctIds().size() + " tokens, wrong " + targets.get(t).wrongIds().size()
                            + ")");
                }
            }
        }
    }

    /** The first {@code n} examples (or all). */
    public Task head(int n) {
        return new Task(name, examples.subList(0, Math.min(n, examples.size())));
    }
}

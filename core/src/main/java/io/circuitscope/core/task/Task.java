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
        List<Batch> out = new ArrayList<>();
        for (IndexedBatch b : indexedBatches(maxSize)) {
            out.add(b.batch());
        }
        return out;
    }

    /**
     * A batch and, for each of its rows, the example's index in {@link #examples()} (file order, from 0): batches
     * group examples by length, so a row's place in batch order is not its place in the task.
     */
    public record IndexedBatch(Batch batch, int[] examples) {
    }

    /**
     * The examples' indices (file order, from 0) by prompt length, lengths in order of first appearance: the
     * groups batches are cut from and mean ablation averages over.
     */
    public Map<Integer, List<Integer>> examplesByLength() {
        Map<Integer, List<Integer>> byLength = new LinkedHashMap<>();
        for (int i = 0; i < examples.size(); i++) {
            byLength.computeIfAbsent(examples.get(i).length(), k -> new ArrayList<>()).add(i);
        }
        return byLength;
    }

    /** {@link #batches} with each row's example index. */
    public List<IndexedBatch> indexedBatches(int maxSize) {
        List<IndexedBatch> out = new ArrayList<>();
        for (List<Integer> group : examplesByLength().values()) {
            for (int i = 0; i < group.size(); i += maxSize) {
                List<Integer> indices = group.subList(i, Math.min(group.size(), i + maxSize));
                out.add(new IndexedBatch(Batch.of(indices.stream().map(examples::get).toList()),
                        indices.stream().mapToInt(Integer::intValue).toArray()));
            }
        }
        return out;
    }

    /**
     * The one prompt length of every example, which position-aware graphs index by; an error naming the
     * first example of another length when there is none ({@code purpose} says what needs it, as the caller's user
     * knows it: a command's option, a batch plan's field, or words).
     */
    public int commonLength(String purpose) {
        int length = examples.get(0).length();
        for (int i = 1; i < examples.size(); i++) {
            int other = examples.get(i).length();
            if (other != length) {
                throw new IllegalArgumentException(purpose + " needs prompts of one length, but in task '" + name
                        + "' example 1 has " + length + " tokens and example " + (i + 1) + " has " + other + " tokens"
                        + " (split by position, nodes and edges are indexed by token position; use a templated task)");
            }
        }
        return length;
    }

    /**
     * Every position some target reads its logits at, ascending; negative positions resolve against their
     * example's length (for a position-aware graph, the common length).
     */
    public int[] targetPositions() {
        java.util.TreeSet<Integer> positions = new java.util.TreeSet<>();
        for (Example e : examples) {
            for (Target t : e.targets()) {
                positions.add(t.resolvedPosition(e.length()));
            }
        }
        return positions.stream().mapToInt(Integer::intValue).toArray();
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

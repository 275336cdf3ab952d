package io.circuitscope.core.task;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The groups mean ablation averages over: a task's examples by prompt length (a forward pass needs equal lengths,
 * and positions only line up within a length). An example alone at its length would be "ablated" with its own
 * run's activations, so mean ablation refuses such a task, and a group of a few examples gets a note.
 * Examples are numbered from 1 in task-file order (blank and comment lines not counted).
 */
public final class MeanAblationGroups {
    /** Below this many examples of one length a mean is noted as a mean over only that many. */
    public static final int SMALL = 8;

    private final Task task;
    private final Map<Integer, List<Integer>> byLength = new TreeMap<>(); // length -> example numbers (from 1)

    private MeanAblationGroups(Task task) {
        this.task = task;
        task.examplesByLength().forEach((length, indices) ->
                byLength.put(length, indices.stream().map(i -> i + 1).toList()));
    }

    public static MeanAblationGroups of(Task task) {
        return new MeanAblationGroups(task);
    }

    /**
     * Refuses a task with an example alone at its prompt length, naming how many examples have each length and
     * which are alone; {@code option} names the setting that chose mean ablation as the caller's user knows it (a
     * command's "--ablation", a batch plan's "ablation", in words "corruption"), followed by its values.
     */
    public void requireNoSingletons(String option) {
        List<Integer> alone = byLength.values().stream().filter(g -> g.size() == 1).map(g -> g.get(0)).sorted().toList();
        if (alone.isEmpty()) {
            return;
        }
        throw new IllegalArgumentException(option + " mean averages each activation over the task's examples of the same "
                + "prompt length, but in task '" + task.name() + "' " + (alone.size() == 1 ? "example " : "examples ")
                + numbers(alone) + (alone.size() == 1 ? " is" : " are") + " alone at " + (alone.size() == 1 ? "its"
                : "their") + " length, so " + (alone.size() == 1 ? "it" : "each") + " would be patched with its own run's "
                + "activations, not a mean (examples by length: " + lengths() + "); give at least two examples of "
                + "each length (or prompts of one length, e.g. a templated task) or use " + option
                + " resample");
    }

    /** One line per length with fewer than {@link #SMALL} (but more than one) examples, saying so. */
    public List<String> smallGroupNotes(String option) {
        List<String> notes = new ArrayList<>();
        byLength.forEach((length, group) -> {
            if (group.size() > 1 && group.size() < SMALL) {
                notes.add("note: " + option + " mean: the mean at prompt length " + length + " is over only "
                        + group.size() + " examples (" + numbers(group) + ")");
            }
        });
        return notes;
    }

    /** "19 tokens: 1 (example 2); 20 tokens: 4 (examples 1, 4, 5, 6)", at most ten lengths. */
    private String lengths() {
        List<String> parts = new ArrayList<>();
        byLength.forEach((length, group) -> parts.add(length + " tokens: " + group.size() + " ("
                + (group.size() == 1 ? "example " : "examples ") + numbers(group) + ")"));
        return parts.size() <= 10 ? String.join("; ", parts)
                : String.join("; ", parts.subList(0, 10)) + "; and " + (parts.size() - 10) + " more lengths";
    }

    /** At most ten numbers, then how many more. */
    private static String numbers(List<Integer> examples) {
        String shown = examples.stream().limit(10).map(String::valueOf).collect(Collectors.joining(", "));
        return examples.size() > 10 ? shown + " and " + (examples.size() - 10) + " more" : shown;
    }
}

package io.circuitscope.circuits.run;

import io.circuitscope.core.Hashes;
import io.circuitscope.core.planted.PlantedModel;
import io.circuitscope.core.task.Task;

/**
 * Whether a planted model's ground truth fits the task it runs on: the truth assumes the corruption of the model's
 * own task, so a comparison with it on another task may not hold. Said by discover, validate and each batch run.
 */
public final class PlantedTasks {
    private PlantedTasks() {
    }

    /**
     * Whether {@code task} is not the planted model's own: a task file counts as its own when it holds the examples
     * the model makes with {@code seed} (as discover writes them to task.jsonl). False when {@code planted} is null.
     */
    public static boolean replacesOwnTask(PlantedModel planted, Task task, long seed) {
        return planted != null && !Hashes.of(task).equals(Hashes.of(planted.task(seed, task.size())));
    }

    /** How a comparison names a planted model's ground truth under {@code ablation} (each has its own circuit). */
    public static String referenceName(PlantedModel planted, io.circuitscope.core.graph.Ablation ablation) {
        return "planted ground truth (" + planted.name() + ") under " + ablation.key() + " ablation";
    }

    /** The one-line note for {@link #replacesOwnTask}. */
    public static String note(PlantedModel planted) {
        return "note: the planted ground truth assumes the corruption of planted:" + planted.name() + "'s own task; with "
                + "this task the comparison may not hold";
    }
}

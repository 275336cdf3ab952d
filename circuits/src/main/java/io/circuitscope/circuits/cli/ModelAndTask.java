package io.circuitscope.circuits.cli;

import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.Circuit;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.planted.PlantedModel;
import io.circuitscope.core.planted.PlantedModels;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.task.TaskFile;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A model with its task and, for planted models, the ground truth: either a model named by path or
 * hub id with a task file, or an embedded planted-circuit model ({@code planted:NAME}) built in memory.
 *
 * @param planted the planted model, null for any other
 */
record ModelAndTask(HookedTransformer model, Task task, PlantedModel planted, Map<String, String> roles,
        AutoCloseable owner) implements AutoCloseable {

    /** With {@code bos} false, text prompts do not begin with the model's BOS token. */
    static ModelAndTask open(String model, Path taskFile, int examples, long seed, boolean align, boolean quiet,
            boolean bos, java.io.PrintWriter err) {
        if (taskFile != null) {
            TaskFile.requireReadable(taskFile); // before the model is loaded (or downloaded), not after
        }
        if (PlantedModels.isPlanted(model)) {
            PlantedModel planted = PlantedModels.byArgument(model);
            HookedTransformer built = planted.build();
            try {
                Task task = taskFile != null
                        ? TaskFile.read(taskFile, null, align, built.config().vocabSize(), built.config().contextLength())
                        : planted.task(seed, examples);
                Map<String, String> roles = new LinkedHashMap<>();
                for (String node : planted.groundTruthNodes()) {
                    if (!node.equals("input") && !node.equals("logits")) {
                        roles.put(node, "planted circuit");
                    }
                }
                return new ModelAndTask(built, task, planted, roles, built);
            } catch (RuntimeException e) {
                built.close();
                throw e;
            }
        }
        LoadedModel loaded = ModelOptions.load(model, quiet, bos, err);
        try {
            Task task = taskFile == null ? null : TaskFile.read(taskFile, loaded.tokenizer(), align,
                    loaded.model().config().vocabSize(), loaded.model().config().contextLength());
            return new ModelAndTask(loaded.model(), task, null, Map.of(), loaded);
        } catch (RuntimeException e) {
            loaded.close();
            throw e;
        }
    }

    /** Where the model was loaded from; null for a planted model. */
    Path source() {
        return owner instanceof LoadedModel loaded ? loaded.source() : null;
    }

    /**
     * A planted model's ground truth under {@code ablation} (each ablation has its own exact circuit), null for
     * other models.
     */
    Circuit reference(Ablation ablation) {
        return planted == null ? null
                : Circuit.ofEdgeNames(ComputationGraph.of(model.config()), planted.groundTruthEdges(ablation));
    }

    /** How the comparison names {@link #reference}: which model's truth, under which ablation. */
    String referenceName(Ablation ablation) {
        return planted == null ? null : io.circuitscope.circuits.run.PlantedTasks.referenceName(planted, ablation);
    }

    /**
     * Whether the task is not a planted model's own: the planted ground truth assumes its own task's corruption,
     * so a comparison on another task may not hold. A task file counts as the model's own when it holds the
     * examples the model makes with {@code seed} (as discover writes them to task.jsonl). False for other models.
     */
    boolean replacesPlantedTask(long seed) {
        return io.circuitscope.circuits.run.PlantedTasks.replacesOwnTask(planted, task, seed);
    }

    /** The one-line note for {@link #replacesPlantedTask}. */
    String plantedTaskNote() {
        return io.circuitscope.circuits.run.PlantedTasks.note(planted);
    }

    @Override
    public void close() throws Exception {
        owner.close();
    }
}

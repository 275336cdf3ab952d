package io.circuitscope.circuits.cli;

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
 */
record ModelAndTask(HookedTransformer model, Task task, Circuit reference, String referenceName,
        Map<String, String> roles, AutoCloseable owner) implements AutoCloseable {

    /** With {@code bos} false, text prompts do not begin with the model's BOS token. */
    static ModelAndTask open(String model, Path taskFile, int examples, long seed, boolean align, boolean quiet,
            boolean bos) {
        if (PlantedModels.isPlanted(model)) {
            PlantedModel planted = PlantedModels.byArgument(model);
            HookedTransformer built = planted.build();
            try {
                Task task = taskFile != null
                        ? TaskFile.read(taskFile, null, align, built.config().vocabSize(), built.config().contextLength())
                        : planted.task(seed, examples);
                Circuit truth = Circuit.ofEdgeNames(ComputationGraph.of(built.config()), planted.groundTruthEdges());
                Map<String, String> roles = new LinkedHashMap<>();
                for (String node : planted.groundTruthNodes()) {
                    if (!node.equals("input") && !node.equals("logits")) {
                        roles.put(node, "planted circuit");
                    }
                }
                return new ModelAndTask(built, task, truth, "planted ground truth (" + planted.name() + ")", roles, built);
            } catch (RuntimeException e) {
                built.close();
                throw e;
            }
        }
        LoadedModel loaded = ModelOptions.load(model, quiet, bos);
        try {
            Task task = taskFile == null ? null : TaskFile.read(taskFile, loaded.tokenizer(), align,
                    loaded.model().config().vocabSize(), loaded.model().config().contextLength());
            return new ModelAndTask(loaded.model(), task, null, null, Map.of(), loaded);
        } catch (RuntimeException e) {
            loaded.close();
            throw e;
        }
    }

    @Override
    public void close() throws Exception {
        owner.close();
    }
}

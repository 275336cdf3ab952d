package io.circuitscope.circuits.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.planted.PlantedModels;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.task.TaskFile;
import java.nio.file.Path;
import picocli.CommandLine;

/** Shared pieces of the analysis commands. */
final class AnalysisSupport {
    static final ObjectMapper JSON = new ObjectMapper();

    private AnalysisSupport() {
    }

    /**
     * Before any model is loaded: a usage error when there is no task file and the model brings no task, and the
     * task file's read error when it names none that can be read (else found only after the load).
     */
    static void requireTask(Path file, String model, CommandLine.Model.CommandSpec spec, String needer) {
        if (file == null && !PlantedModels.isPlanted(model)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--task is required for " + needer
                    + " with model " + model + " (only planted:NAME models bring their own task)");
        }
        if (file != null) {
            TaskFile.requireReadable(file);
        }
    }

    /** The task file read for the loaded model, or, without a file, the planted model's own task. */
    static Task task(Path file, String model, LoadedModel loaded) {
        if (file == null) {
            return PlantedModels.byArgument(model).task(0, PlantedModels.DEFAULT_EXAMPLES);
        }
        return TaskFile.read(file, loaded.tokenizer(), false, loaded.model().config().vocabSize(),
                loaded.model().config().contextLength());
    }
}

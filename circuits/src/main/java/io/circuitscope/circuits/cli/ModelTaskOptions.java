package io.circuitscope.circuits.cli;

import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.planted.PlantedModels;
import io.circuitscope.core.task.TaskFile;
import io.circuitscope.core.tokenize.TextTokenizer;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * {@code --model} (a planted model by default), {@code --task}, {@code --examples} and {@code --align}:
 * the model and task of the commands that patch edges (discover, compare-scorers).
 */
final class ModelTaskOptions {
    @Option(names = "--model", defaultValue = "planted:ioi", paramLabel = "MODEL",
            description = "Model directory, llama2.c .bin file, Hugging Face hub id, or an embedded planted-circuit "
                    + "model planted:ioi|induction|greater-than (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--task", paramLabel = "T.jsonl",
            description = "Task file (JSON Lines); planted models bring their own task when omitted.")
    Path taskFile;

    @Option(names = "--examples", defaultValue = "" + io.circuitscope.core.planted.PlantedModels.DEFAULT_EXAMPLES, description = "Examples of a planted model's task (default: ${DEFAULT-VALUE}).")
    int examples;

    @Option(names = "--align", description = "Left-pad clean/corrupted prompts of different token lengths.")
    boolean align;

    @Option(names = "--no-bos", description = ModelOptions.NO_BOS)
    boolean noBos;

    /**
     * Says so, rather than dropping them silently, when options given on the command line are not read: {@code
     * --examples} with a task file, which gives the examples itself, and {@code --align} with a planted model's own
     * task, which needs no padding (it pads a task file's prompts).
     */
    void noteIgnoredOptions(CommandLine.Model.CommandSpec spec) {
        CommandLine.ParseResult given = spec.commandLine().getParseResult();
        java.io.PrintWriter err = spec.commandLine().getErr();
        if (given.hasMatchedOption("--examples") && taskFile != null) {
            err.println("note: --examples does not apply with --task (the task file gives the examples); ignored");
        }
        if (given.hasMatchedOption("--align") && taskFile == null && PlantedModels.isPlanted(model)) {
            err.println("note: --align does not apply to " + model + "'s own task (it pads the prompts of a --task "
                    + "file); ignored");
        }
        err.flush();
    }

    /**
     * {@link AlignPaddingNote} for the task file as {@code --align} padded it, null when nothing was aligned or every
     * row was padded alike.
     */
    String alignPaddingNote(ModelAndTask mt) {
        if (!align || taskFile == null) {
            return null;
        }
        // the tokenizer that read the file (planted models read token ids only)
        TextTokenizer tokenizer = mt.owner() instanceof LoadedModel loaded ? loaded.tokenizer() : null;
        return AlignPaddingNote.of(TaskFile.alignPadding(taskFile, tokenizer));
    }

    /** Prints {@link #alignPaddingNote} on stderr when edges are split {@code byPosition} and rows were padded unevenly. */
    void noteAlignPadding(CommandLine.Model.CommandSpec spec, ModelAndTask mt, boolean byPosition) {
        String note = byPosition ? alignPaddingNote(mt) : null;
        if (note != null) {
            spec.commandLine().getErr().println(note);
            spec.commandLine().getErr().flush();
        }
    }

    /**
     * The model and its task; a usage error when the model brings no task and none was given. Options given that
     * this leaves unread are noted ({@link #noteIgnoredOptions}).
     */
    ModelAndTask open(CommandLine.Model.CommandSpec spec, long seed, boolean quiet) {
        if (examples < 1) { // as a batch plan's examples; 0 and -2 said "task 'planted-ioi' has no examples"
            throw new CommandLine.ParameterException(spec.commandLine(), "--examples must be >= 1, got " + examples);
        }
        noteIgnoredOptions(spec);
        ModelAndTask mt;
        try {
            mt = ModelAndTask.open(model, taskFile, examples, seed, align, quiet, !noBos,
                    spec.commandLine().getErr());
        } catch (io.circuitscope.core.task.UnequalPromptLengthsException e) {
            throw e.orAlign("pass --align"); // this command has the option; validate and the analyses do not
        }
        if (mt.task() == null) {
            try {
                mt.close();
            } catch (Exception e) {
                // the usage error below is the one to report
            }
            throw new CommandLine.ParameterException(spec.commandLine(), "--task is required for model " + model);
        }
        return mt;
    }
}

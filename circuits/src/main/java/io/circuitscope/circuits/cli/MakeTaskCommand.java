package io.circuitscope.circuits.cli;

import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.task.TaskFile;
import io.circuitscope.core.task.generate.Generated;
import io.circuitscope.core.task.generate.Generators;
import io.circuitscope.core.task.generate.TaskGenerator;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Writes a generated task (IOI, Greater-Than, induction, factual recall, translation) as TaskFile JSONL. */
@Command(name = "make-task", mixinStandardHelpOptions = true,
        description = "Generate a task file: ioi, greater-than, induction, factual, translation.")
final class MakeTaskCommand implements Callable<Integer> {
    @Option(names = "--generator", required = true, description = "ioi | greater-than | induction | factual | translation")
    String generator;

    @CommandLine.Mixin
    ModelOptions modelOptions;

    @Option(names = "--n", defaultValue = "50", description = "Number of examples (default ${DEFAULT-VALUE}).")
    int n;

    @Option(names = "--seed", defaultValue = "1", description = "Random seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--out", required = true, description = "Output JSONL file.")
    Path out;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (n <= 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--n must be positive, got " + n);
        }
        TaskGenerator g;
        try {
            g = Generators.byName(generator);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        try (LoadedModel loaded = modelOptions.load()) {
            Generated generated;
            try {
                generated = g.generate(loaded.tokenizer(), loaded.model().config().vocabSize(), n, seed);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(modelOptions.model + ": " + e.getMessage(), e);
            }
            int context = loaded.model().config().contextLength();
            if (generated.longestPrompt() > context) {
                // the file would only fail later, in every command that reads it with this model
                throw new IllegalArgumentException(modelOptions.model + ": " + g.name() + " prompts of "
                        + generated.longestPrompt() + " tokens do not fit the model's context of " + context
                        + " tokens; " + out + " not written");
            }
            TaskFile.write(out, generated.task());
            spec.commandLine().getOut().printf("wrote %d %s examples to %s%s%n", generated.task().size(), g.name(), out,
                    generated.skipped().isEmpty() ? "" : " (skipped: " + generated.skipped() + ")");
        }
        return 0;
    }
}

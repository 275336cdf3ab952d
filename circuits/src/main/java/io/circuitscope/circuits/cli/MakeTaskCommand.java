package io.circuitscope.circuits.cli;

import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.task.TaskFile;
import io.circuitscope.core.task.UnequalPromptLengthsException;
import io.circuitscope.core.task.csv.AmbiguousAnswersException;
import io.circuitscope.core.task.csv.EapAnswerColumns;
import io.circuitscope.core.task.csv.EapCsvTask;
import io.circuitscope.core.task.generate.Generated;
import io.circuitscope.core.task.generate.Generators;
import io.circuitscope.core.task.generate.IoiGenerator;
import io.circuitscope.core.task.generate.TaskGenerator;
import io.circuitscope.core.tokenize.TextTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Writes a task as TaskFile JSONL: generated (IOI, Greater-Than, induction, factual recall, translation) or
 * converted from a CSV written for EAP-IG ({@link EapCsvTask}).
 */
@Command(name = "make-task", mixinStandardHelpOptions = true,
        description = "Write a task file: generated (ioi, greater-than, induction, factual, translation) or "
                + "converted from an EAP-IG CSV (columns clean, corrupted, correct_idx/incorrect_idx or label).")
final class MakeTaskCommand implements Callable<Integer> {
    /** Exactly one source: a generator or a CSV file. */
    static final class Source {
        @Option(names = "--generator", required = true, description = "ioi | greater-than | induction | factual | translation")
        String generator;

        @Option(names = "--from-csv", required = true, paramLabel = "FILE.csv",
                description = "Convert a task CSV written for EAP-IG: prompts in 'clean' and 'corrupted' (text), "
                        + "answers in 'correct_idx' and 'incorrect_idx' (token ids, or lists of them: answer sets) or "
                        + "'label' (Greater-Than's start year YY: the years after YY correct, the rest wrong).")
        Path csv;
    }

    @CommandLine.ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    @CommandLine.Mixin
    ModelOptions modelOptions;

    @Option(names = "--n", defaultValue = "50", description = "Number of examples to generate (default ${DEFAULT-VALUE}).")
    int n;

    @Option(names = "--seed", defaultValue = "1", description = "Random seed of a generator (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--templates", paramLabel = "wang|acdc", description = "With --generator ioi: wang (default: "
            + "eight of Wang et al.'s templates, ABBA and BABA) or acdc (ACDC's IOI setup: its one template, ABBA "
            + "only, every prompt of one length; ACDC's prompts have no BOS token, so add --no-bos).")
    String templates;

    @Option(names = "--align", description = "With --from-csv: left-pad the shorter of a row's clean and corrupted "
            + "prompts instead of refusing prompts of different token lengths.")
    boolean align;

    @Option(names = "--answers", paramLabel = "ids|years", description = "With --from-csv: read 'correct_idx' as token "
            + "ids or as Greater-Than's start year YY (the EAP-IG authors' greater-than CSV keeps its years there). "
            + "Needed only when the header cannot tell: 'correct_idx' alone, every value 0-99.")
    String answers;

    @Option(names = "--out", required = true, description = "Output JSONL file.")
    Path out;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /**
     * Refuses an --out that is the task.jsonl a discover or train-toy run wrote beside its circuit: it was replaced
     * without a word, leaving circuit.json (or reference_circuit.json) beside a task it was not found on, and the
     * task it was found on lost.
     */
    private void refuseARunsTask() {
        if (!Files.isRegularFile(out) || !out.getFileName().toString().equals("task.jsonl")) {
            return;
        }
        Path folder = out.toAbsolutePath().getParent();
        for (String circuit : List.of("circuit.json", "reference_circuit.json")) {
            if (Files.exists(folder.resolve(circuit))) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--out " + out + " is the task the "
                        + circuit + " beside it was found on; writing over it would leave that circuit beside another "
                        + "task; give another file");
            }
        }
    }

    @Override
    public Integer call() throws Exception {
        PathChecks.fileForWriting(spec, "--out", out);
        refuseARunsTask();
        // make-task --from-csv ioi.csv --out ioi.csv wrote the task over the CSV it was converted from
        PathChecks.distinctFiles(spec, "--out", out, "--from-csv", source.csv,
                "the task would replace the CSV it is converted from; give --out another file");
        if (source.csv != null) {
            refuseGiven("--from-csv", "--n", "--seed", "--templates");
            io.circuitscope.core.task.csv.CsvTable.requireReadable(source.csv); // before the model, not after its load
            return convertCsv(answerReading());
        }
        refuseGiven("--generator", "--align", "--answers");
        return generate();
    }

    /** The named generator; {@code --templates} chooses IOI's prompt distribution and no other generator's. */
    private TaskGenerator generator() {
        try {
            TaskGenerator g = Generators.byName(source.generator);
            if (templates == null) {
                return g;
            }
            if (!(g instanceof IoiGenerator)) {
                throw new IllegalArgumentException("--templates applies to --generator ioi only, not " + g.name());
            }
            return new IoiGenerator(acdcOrWang());
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    private IoiGenerator.Templates acdcOrWang() {
        try {
            return IoiGenerator.Templates.parse(templates);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--templates: " + e.getMessage(), e);
        }
    }

    /** Options of the other source would be silently ignored. */
    private void refuseGiven(String chosen, String... options) {
        for (String option : options) {
            if (spec.commandLine().getParseResult().hasMatchedOption(option)) {
                throw new CommandLine.ParameterException(spec.commandLine(), option + " does not apply to " + chosen);
            }
        }
    }

    private EapAnswerColumns.Reading answerReading() {
        if (answers == null) {
            return EapAnswerColumns.Reading.AUTO;
        }
        return switch (answers) {
            case "ids" -> EapAnswerColumns.Reading.IDS;
            case "years" -> EapAnswerColumns.Reading.YEARS;
            default -> throw new CommandLine.ParameterException(spec.commandLine(), "--answers must be ids or years, got '"
                    + answers + "'");
        };
    }

    private int convertCsv(EapAnswerColumns.Reading reading) throws Exception {
        try (LoadedModel loaded = modelOptions.load()) {
            var config = loaded.model().config();
            TextTokenizer tokenizer = loaded.requireTokenizer("a CSV's prompts are text");
            OptionalInt bosId = tokenizer.bos();
            EapCsvTask.Imported imported = read(tokenizer, config.vocabSize(), config.contextLength(), reading);
            TaskFile.write(out, imported.task());
            spec.commandLine().getOut().printf(Locale.ROOT, "wrote %d examples from %s to %s (answers: %s; BOS: %s%s)%n",
                    imported.task().size(), source.csv, out, imported.answers(),
                    bosId.isPresent() ? "token id " + bosId.getAsInt() : "none",
                    imported.ignoredColumns().isEmpty() ? "" : "; ignored columns: "
                            + String.join(", ", imported.ignoredColumns()));
        }
        return 0;
    }

    /** The CSV's task; where the reader leaves a choice to its caller, the error names this command's option for it. */
    private EapCsvTask.Imported read(TextTokenizer tokenizer, int vocabSize, int contextLength,
            EapAnswerColumns.Reading reading) {
        try {
            return new EapCsvTask(tokenizer, vocabSize, contextLength, align).read(source.csv, reading);
        } catch (UnequalPromptLengthsException e) {
            throw e.orAlign("pass --align");
        } catch (AmbiguousAnswersException e) {
            throw e.sayWhich("--answers years", "--answers ids");
        }
    }

    private int generate() throws Exception {
        if (n <= 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--n must be positive, got " + n);
        }
        TaskGenerator g = generator();
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
            spec.commandLine().getOut().printf(Locale.ROOT, "wrote %d %s examples to %s%s%n", generated.task().size(), g.name(), out,
                    generated.skipped().isEmpty() ? "" : " (skipped: " + generated.skipped() + ")");
            if (templates != null && acdcOrWang() == IoiGenerator.Templates.ACDC
                    && loaded.tokenizer().bos().isPresent()) {
                spec.commandLine().getOut().println("note: the prompts begin with the BOS token; ACDC's have none "
                        + "(--no-bos)");
            }
        }
        return 0;
    }
}

package io.circuitscope.core.task.csv;

import io.circuitscope.core.task.Example;
import io.circuitscope.core.task.PromptText;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.task.TaskFile;
import io.circuitscope.core.task.TaskFileException;
import io.circuitscope.core.task.UnequalPromptLengthsException;
import io.circuitscope.core.tokenize.TextTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A task kept as CSV for EAP-IG (Hanna et al.): columns {@code clean} and {@code corrupted} hold the prompts as
 * text, the answer columns are read by {@link EapAnswerColumns}, other columns (pandas' unnamed index, IOI's
 * {@code corrupted_hard}) are ignored, as EAP-IG's loaders ignore them. Prompts are tokenized with the model's
 * tokenizer and, as EAP-IG's TransformerLens tokenization does, start with the BOS token when one is given.
 * Every row is checked before a task is returned; errors name the file, line, row and column.
 */
public final class EapCsvTask {
    static final String CLEAN = "clean";
    static final String CORRUPTED = "corrupted";

    private final TextTokenizer tokenizer;
    private final int vocabSize;
    private final int contextLength;
    private final boolean align;

    /** What was read, and how, for the command's summary. */
    public record Imported(Task task, String answers, List<String> ignoredColumns) {
    }

    /**
     * @param tokenizer the model's; prompts begin with its BOS token when it has one ({@link TextTokenizer#encodePrompt})
     * @param align left-pad the shorter of a row's prompts (as task files can be aligned) instead of refusing
     *              prompts of different token lengths with an {@link UnequalPromptLengthsException}
     */
    public EapCsvTask(TextTokenizer tokenizer, int vocabSize, int contextLength, boolean align) {
        this.tokenizer = tokenizer;
        this.vocabSize = vocabSize;
        this.contextLength = contextLength;
        this.align = align;
    }

    /** The CSV's examples, the answer column read as {@code reading} says (see {@link EapAnswerColumns}). */
    public Imported read(Path file, EapAnswerColumns.Reading reading) {
        CsvTable table = CsvTable.read(file);
        for (String column : List.of(CLEAN, CORRUPTED)) {
            if (!table.has(column)) {
                throw new TaskFileException(file + ": no '" + column + "' column (EAP-IG "
                        + "reads the prompts from 'clean' and 'corrupted'); the header has " + table.header());
            }
        }
        EapAnswerColumns answers = EapAnswerColumns.of(table, reading);
        List<Example> examples = new ArrayList<>();
        for (CsvTable.Row row : table.rows()) {
            examples.add(example(row, answers));
        }
        List<String> ignored = new ArrayList<>();
        for (String column : table.header()) {
            if (!column.equals(CLEAN) && !column.equals(CORRUPTED) && !EapAnswerColumns.ALL.contains(column)) {
                ignored.add(column.isEmpty() ? "(unnamed)" : column);
            }
        }
        String name = file.getFileName().toString().replaceFirst("\\.csv$", "");
        return new Imported(new Task(name, examples), answers.describe(), ignored);
    }

    private Example example(CsvTable.Row row, EapAnswerColumns answers) {
        int[] clean = prompt(row, CLEAN);
        int[] corrupt = prompt(row, CORRUPTED);
        if (clean.length != corrupt.length) {
            if (!align) { // the caller adds how its user asks for alignment (UnequalPromptLengthsException#orAlign)
                throw new UnequalPromptLengthsException(row.where(CORRUPTED) + "is " + corrupt.length + " tokens but '"
                        + CLEAN + "' is " + clean.length + "; patching compares them position by position: make them the "
                        + "same length");
            }
            int length = Math.max(clean.length, corrupt.length);
            clean = TaskFile.leftPad(clean, length);
            corrupt = TaskFile.leftPad(corrupt, length);
        }
        if (clean.length > contextLength) {
            throw row.error(CLEAN, "is " + clean.length + " tokens" + (tokenizer.bos().isPresent() ? " with BOS" : "")
                    + ", longer than the model's context window of " + contextLength + " tokens");
        }
        return new Example(clean, corrupt, List.of(answers.target(row, tokenizer, vocabSize)));
    }

    private int[] prompt(CsvTable.Row row, String column) {
        String text = row.cell(column);
        if (text.isEmpty()) {
            throw row.error(column, "is empty");
        }
        try {
            return PromptText.encode(tokenizer, text, vocabSize); // as EAP-IG's to_tokens(prepend_bos=True) reads it
        } catch (IllegalArgumentException e) {
            throw row.error(column, e.getMessage());
        }
    }
}

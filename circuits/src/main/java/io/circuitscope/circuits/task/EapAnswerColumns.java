package io.circuitscope.circuits.task;

import io.circuitscope.core.task.Target;
import io.circuitscope.core.task.TaskFileException;
import io.circuitscope.core.task.generate.GreaterThanGenerator;
import io.circuitscope.core.tokenize.TextTokenizer;
import java.util.List;

/**
 * Which columns of an EAP-IG task CSV say what the clean prompt should predict, decided from the header, and
 * the {@link Target} they give for a row. EAP-IG's metrics read the logits at the clean prompt's last token,
 * so every target is at position -1. Two forms exist in EAP-IG's own data:
 * <ul>
 * <li>{@code correct_idx} and {@code incorrect_idx} (IOI): token ids of the model's tokenizer, the pair its
 * logit difference compares. {@code incorrect_idx} may be absent (then metrics needing a wrong answer say
 * so). A cell may hold a one-element list {@code [123]}; a longer list is refused, since EAP-IG scores a
 * list by summing the probabilities of its tokens, which a target of one token cannot express.</li>
 * <li>{@code label} (Greater-Than): not a token id but the clean prompt's two-digit start year YY (52 for
 * "from the year 1352"), which EAP-IG's metric compares with all year tokens (sum of p(year > YY) minus sum
 * of p(year <= YY)). A target has one correct and one wrong token, so it becomes the nearest pair that
 * {@code make-task --generator greater-than} uses: YY + 1 correct, YY - 1 wrong.</li>
 * </ul>
 */
public final class EapAnswerColumns {
    static final String CORRECT = "correct_idx";
    static final String INCORRECT = "incorrect_idx";
    static final String LABEL = "label";
    static final List<String> ALL = List.of(CORRECT, INCORRECT, LABEL);

    private final boolean yearLabel;
    private final boolean hasIncorrect;

    private EapAnswerColumns(boolean yearLabel, boolean hasIncorrect) {
        this.yearLabel = yearLabel;
        this.hasIncorrect = hasIncorrect;
    }

    public static EapAnswerColumns of(CsvTable table) {
        boolean ids = table.has(CORRECT);
        boolean label = table.has(LABEL);
        if (ids && label) {
            throw new TaskFileException(table.file() + ": has both a '" + CORRECT + "' and a '" + LABEL + "' column; "
                    + "keep one (" + CORRECT + "/" + INCORRECT + ": answer token ids; " + LABEL
                    + ": Greater-Than's start year)");
        }
        if (!ids && !label) {
            throw new TaskFileException(table.file() + ": no answer column: give '" + CORRECT + "' (and '" + INCORRECT
                    + "') as token ids, or '" + LABEL + "' as Greater-Than's two-digit start year; the header has "
                    + table.header());
        }
        if (label && table.has(INCORRECT)) {
            throw new TaskFileException(table.file() + ": has '" + INCORRECT + "' beside '" + LABEL + "' but no '"
                    + CORRECT + "'; give the correct answer's token id in '" + CORRECT + "'");
        }
        return new EapAnswerColumns(label, table.has(INCORRECT));
    }

    /** What the answers were read as, for the command's summary. */
    public String describe() {
        if (yearLabel) {
            return "'" + LABEL + "' read as Greater-Than's start year YY: correct YY+1, wrong YY-1";
        }
        return "'" + CORRECT + "'" + (hasIncorrect ? "/'" + INCORRECT + "'" : "") + " read as token ids"
                + (hasIncorrect ? "" : " (no wrong answers)");
    }

    public Target target(CsvTable.Row row, TextTokenizer tokenizer, int vocabSize) {
        if (yearLabel) {
            return yearTarget(row, tokenizer, vocabSize);
        }
        int correct = tokenId(row, CORRECT, vocabSize);
        Integer wrong = hasIncorrect ? tokenId(row, INCORRECT, vocabSize) : null;
        if (wrong != null && wrong == correct) {
            throw row.error(INCORRECT, "is the correct answer's token id " + correct + "; a contrastive metric would "
                    + "be 0 whatever is patched");
        }
        return new Target(-1, correct, wrong);
    }

    private static int tokenId(CsvTable.Row row, String column, int vocabSize) {
        String raw = row.cell(column).trim();
        if (raw.isEmpty()) {
            throw row.error(column, "is empty; give a token id");
        }
        String single = raw;
        if (raw.startsWith("[") && raw.endsWith("]")) {
            String inner = raw.substring(1, raw.length() - 1).trim();
            String[] ids = inner.isEmpty() ? new String[0] : inner.split(",");
            if (ids.length != 1) {
                throw row.error(column, "holds " + ids.length + " token ids " + raw + "; EAP-IG scores a list by the "
                        + "summed probability of its tokens, which a target of one token cannot express: give one id");
            }
            single = ids[0].trim();
        }
        int id;
        try {
            id = Integer.parseInt(single);
        } catch (NumberFormatException e) {
            id = -1;
        }
        if (id < 0) {
            throw row.error(column, "is '" + raw + "', not a token id (a non-negative integer)");
        }
        if (id >= vocabSize) {
            throw row.error(column, "is token id " + id + ", outside the model's vocabulary [0, " + vocabSize + ")");
        }
        return id;
    }

    private static Target yearTarget(CsvTable.Row row, TextTokenizer tokenizer, int vocabSize) {
        String raw = row.cell(LABEL).trim();
        int yy;
        try {
            yy = Integer.parseInt(raw);
        } catch (NumberFormatException e) {
            throw row.error(LABEL, "is '" + raw + "', not a year: Greater-Than's label is the start year's last two "
                    + "digits (52 for 1352)");
        }
        List<String> answers;
        try {
            answers = GreaterThanGenerator.answerPair(yy);
        } catch (IllegalArgumentException e) {
            throw row.error(LABEL, "is " + yy + ": " + e.getMessage() + "; for answers given as token ids use columns '"
                    + CORRECT + "' and '" + INCORRECT + "'");
        }
        return new Target(-1, yearToken(row, answers.get(0), tokenizer, vocabSize),
                yearToken(row, answers.get(1), tokenizer, vocabSize));
    }

    private static int yearToken(CsvTable.Row row, String year, TextTokenizer tokenizer, int vocabSize) {
        int id;
        try {
            id = tokenizer.singleToken(year);
        } catch (IllegalArgumentException e) {
            throw row.error(LABEL, "needs the answer year as one token, but " + e.getMessage());
        }
        if (tokenizer.unknownId().isPresent() && id == tokenizer.unknownId().getAsInt()) {
            throw row.error(LABEL, "needs the answer year '" + year + "', which the tokenizer does not know ([UNK])");
        }
        if (id >= vocabSize) {
            throw row.error(LABEL, "needs the answer year '" + year + "', token id " + id
                    + ", outside the model's vocabulary [0, " + vocabSize + ")");
        }
        return id;
    }
}

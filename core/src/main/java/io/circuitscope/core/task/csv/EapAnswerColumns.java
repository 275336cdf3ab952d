package io.circuitscope.core.task.csv;

import io.circuitscope.core.task.Target;
import io.circuitscope.core.task.TaskFileException;
import io.circuitscope.core.task.generate.GreaterThanGenerator;
import io.circuitscope.core.tokenize.TextTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;

/**
 * Which columns of an EAP-IG task CSV say what the clean prompt should predict, decided from the header, and
 * the {@link Target} they give for a row. EAP-IG's metrics read the logits at the clean prompt's last token,
 * so every target is at position -1. Two forms exist in EAP-IG's own data:
 * <ul>
 * <li>{@code correct_idx} and {@code incorrect_idx} (IOI): token ids of the model's tokenizer, the pair its
 * logit difference compares. {@code incorrect_idx} may be absent (then metrics needing a wrong answer say
 * so). A cell may hold a list {@code [123, 456]}, which EAP-IG scores by the summed probability of its tokens:
 * it becomes an answer set, whose probabilities the metrics add up the same way.</li>
 * <li>{@code label} (Greater-Than): not a token id but the clean prompt's two-digit start year YY (52 for
 * "from the year 1352"), which EAP-IG's metric compares with all year tokens (sum of p(year > YY) minus sum
 * of p(year <= YY)). It becomes those two answer sets, as {@code make-task --generator greater-than} makes them.</li>
 * </ul>
 * The same years also come in {@code correct_idx}: the Greater-Than CSV behind the EAP-IG authors' faithfulness
 * results (hannamw/eap-ig-faithfulness) names its year column so. The header cannot tell the two apart, so a
 * {@code correct_idx} column without {@code incorrect_idx} whose every value is a two-digit number is refused
 * until the caller says which it is ({@link Reading}): read as token ids, 52 would have been token 52.
 */
public final class EapAnswerColumns {
    /** How to read the answer column: from the header ({@code AUTO}), or as the caller says. */
    public enum Reading {
        AUTO, IDS, YEARS
    }

    static final String CORRECT = "correct_idx";
    static final String INCORRECT = "incorrect_idx";
    static final String LABEL = "label";
    static final List<String> ALL = List.of(CORRECT, INCORRECT, LABEL);

    /** The column holding Greater-Than's start year, or null when the answers are token ids. */
    private final String yearColumn;
    private final boolean hasIncorrect;
    /** The tokenizer's token for each two-digit year, read once for a year column (-1: not one token). */
    private int[] yearTokens;

    private EapAnswerColumns(String yearColumn, boolean hasIncorrect) {
        this.yearColumn = yearColumn;
        this.hasIncorrect = hasIncorrect;
    }

    public static EapAnswerColumns of(CsvTable table, Reading reading) {
        EapAnswerColumns byHeader = byHeader(table);
        if (byHeader.yearColumn != null || reading == Reading.IDS) {
            if (reading == Reading.IDS && byHeader.yearColumn != null) {
                throw new TaskFileException(table.file() + ": answers to be read as token ids, but its answer column is "
                        + "'" + LABEL + "', Greater-Than's start year; token ids go in '" + CORRECT + "'");
            }
            return byHeader;
        }
        if (reading == Reading.YEARS) {
            if (byHeader.hasIncorrect) {
                throw new TaskFileException(table.file() + ": answers to be read as Greater-Than's start year, but it has "
                        + "an '" + INCORRECT + "' column, which holds token ids; years come alone, in '" + CORRECT
                        + "' or '" + LABEL + "'");
            }
            return new EapAnswerColumns(CORRECT, false);
        }
        if (!byHeader.hasIncorrect && looksLikeYears(table)) {
            throw new AmbiguousAnswersException(table.file() + ": every '" + CORRECT + "' is a number from 0 to 99, "
                    + "there is no '" + INCORRECT + "' and every clean prompt ends in digits: Greater-Than's start years "
                    + "(the EAP-IG authors' greater-than CSV keeps them in '" + CORRECT + "') or token ids?");
        }
        return byHeader;
    }

    /** Greater-Than's rows: a two-digit answer, and a clean prompt that ends in the century ("... the year 13"). */
    private static boolean looksLikeYears(CsvTable table) {
        for (CsvTable.Row row : table.rows()) {
            if (!row.cell(CORRECT).trim().matches("\\d{1,2}") || !row.cell("clean").strip().matches("(?s).*\\d")) {
                return false;
            }
        }
        return !table.rows().isEmpty();
    }

    private static EapAnswerColumns byHeader(CsvTable table) {
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
        return new EapAnswerColumns(label ? LABEL : null, table.has(INCORRECT));
    }

    /** What the answers were read as, for the command's summary. */
    public String describe() {
        if (yearColumn != null) {
            return "'" + yearColumn + "' read as Greater-Than's start year YY: correct = the years after YY, wrong = the "
                    + "years up to YY (answer sets; prob-diff is the paper's metric)";
        }
        return "'" + CORRECT + "'" + (hasIncorrect ? "/'" + INCORRECT + "'" : "") + " read as token ids"
                + (hasIncorrect ? "" : " (no wrong answers)");
    }

    public Target target(CsvTable.Row row, TextTokenizer tokenizer, int vocabSize) {
        if (yearColumn != null) {
            return yearTarget(row, tokenizer, vocabSize);
        }
        List<Integer> correct = tokenIds(row, CORRECT, vocabSize);
        List<Integer> wrong = hasIncorrect ? tokenIds(row, INCORRECT, vocabSize) : List.of();
        OptionalInt shared = Target.sharedToken(correct, wrong);
        if (shared.isPresent()) {
            boolean pair = correct.size() == 1 && wrong.size() == 1;
            throw row.error(INCORRECT, (pair ? "is the correct answer's token id " : "lists token id ")
                    + shared.getAsInt() + (pair ? "" : ", a correct answer")
                    + "; a contrastive metric would not tell them apart whatever is patched");
        }
        return new Target(-1, correct, wrong);
    }

    /** A cell's token ids: one id, or a list {@code [1, 2]} of distinct ids (an answer set). */
    private static List<Integer> tokenIds(CsvTable.Row row, String column, int vocabSize) {
        String raw = row.cell(column).trim();
        if (raw.isEmpty()) {
            throw row.error(column, "is empty; give a token id");
        }
        String[] cells = {raw};
        if (raw.startsWith("[") && raw.endsWith("]")) {
            String inner = raw.substring(1, raw.length() - 1).trim();
            if (inner.isEmpty()) {
                throw row.error(column, "is an empty list; give at least one token id");
            }
            cells = inner.split(",");
        }
        List<Integer> ids = new ArrayList<>();
        for (String cell : cells) {
            int id;
            try {
                id = Integer.parseInt(cell.trim());
            } catch (NumberFormatException e) {
                id = -1;
            }
            if (id < 0) {
                throw row.error(column, "is '" + raw + "', not a token id (a non-negative integer)"
                        + (cells.length > 1 ? " or a list of them" : ""));
            }
            if (id >= vocabSize) {
                throw row.error(column, "is token id " + id + ", outside the model's vocabulary [0, " + vocabSize + ")");
            }
            if (ids.contains(id)) {
                throw row.error(column, "lists token id " + id + " twice; EAP-IG would count its probability twice");
            }
            ids.add(id);
        }
        return ids;
    }

    private Target yearTarget(CsvTable.Row row, TextTokenizer tokenizer, int vocabSize) {
        String raw = row.cell(yearColumn).trim();
        int yy;
        try {
            yy = Integer.parseInt(raw);
        } catch (NumberFormatException e) {
            yy = -1;
        }
        if (yy < 0 || yy > 99) {
            throw row.error(yearColumn, "is '" + raw + "', not a year: Greater-Than's answer is the start year's last two "
                    + "digits (52 for 1352)");
        }
        if (yearTokens == null) {
            yearTokens = GreaterThanGenerator.yearTokens(tokenizer);
            for (int y = 0; y < yearTokens.length; y++) {
                if (yearTokens[y] >= vocabSize) {
                    throw row.error(yearColumn, "needs the year '" + String.format(Locale.ROOT, "%02d", y) + "', token id " + yearTokens[y]
                            + ", outside the model's vocabulary [0, " + vocabSize + ")");
                }
            }
        }
        Target answers = GreaterThanGenerator.answerSets(yy, yearTokens);
        if (answers == null) {
            throw row.error(yearColumn, "is " + yy + ": no two-digit year that is one token of this tokenizer lies "
                    + (yy == 99 ? "after it" : "on one side of it") + ", so the probability difference has nothing to "
                    + "compare; for answers given as token ids use columns '" + CORRECT + "' and '" + INCORRECT + "'");
        }
        return answers;
    }
}

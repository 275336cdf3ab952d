package io.circuitscope.core.task.csv;

import io.circuitscope.core.io.ReadErrors;
import io.circuitscope.core.task.TaskFileException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.apache.commons.csv.DuplicateHeaderMode;

/**
 * A CSV file with a header line, as pandas writes and reads it, its rows knowing the line they start on so
 * that every error can name the file, line and column. Columns without a name (pandas' index) are allowed;
 * two columns of one name are not (which would be read is a guess); a row with more or fewer fields than the
 * header is refused, since its values would land under the wrong column names.
 */
public record CsvTable(Path file, List<String> header, List<Row> rows) {
    public CsvTable {
        header = List.copyOf(header);
        rows = List.copyOf(rows);
    }

    /** One data row: its number (1 = the first under the header), the line it starts on, its values by column. */
    public record Row(Path file, int number, long line, List<String> header, List<String> values) {
        public Row {
            header = List.copyOf(header);
            values = List.copyOf(values);
        }

        /** The value under {@code column}; the caller checked that the header has it. */
        public String cell(String column) {
            return values.get(header.indexOf(column));
        }

        public TaskFileException error(String column, String problem) {
            return new TaskFileException(where(column) + problem);
        }

        /** The file, line, row and column, as every error about a cell begins. */
        public String where(String column) {
            return file + ":" + line + ": row " + number + ", column '" + column + "' ";
        }
    }

    public boolean has(String column) {
        return header.contains(column);
    }

    /** Throws what {@link #read} would when {@code file} cannot be read at all: checked before a model is loaded. */
    public static void requireReadable(Path file) {
        String why = ReadErrors.whyUnreadable(file);
        if (why != null) {
            throw new TaskFileException(file + ": cannot read CSV file: " + why);
        }
    }

    public static CsvTable read(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new TaskFileException(file + ": cannot read CSV file: " + ReadErrors.describe(e));
        }
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1); // the byte-order mark some spreadsheet programs write
        }
        CSVFormat format = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true)
                .setAllowMissingColumnNames(true).setDuplicateHeaderMode(DuplicateHeaderMode.ALLOW_EMPTY).get();
        LineIndex lines = new LineIndex(text);
        try (CSVParser parser = CSVParser.parse(text, format)) {
            List<String> header = parser.getHeaderNames();
            if (header.isEmpty()) {
                throw new TaskFileException(file + ": is empty (expected a header line such as clean,corrupted,"
                        + "correct_idx,incorrect_idx)");
            }
            List<Row> rows = new ArrayList<>();
            for (CSVRecord record : parser) {
                long line = lines.lineOf(record.getCharacterPosition());
                if (record.size() != header.size()) {
                    throw new TaskFileException(file + ":" + line + ": row " + record.getRecordNumber() + " has "
                            + record.size() + " fields but the header has " + header.size() + " columns");
                }
                rows.add(new Row(file, Math.toIntExact(record.getRecordNumber()), line, header, record.toList()));
            }
            if (rows.isEmpty()) {
                throw new TaskFileException(file + ": has a header line but no rows");
            }
            return new CsvTable(file, header, rows);
        } catch (IOException | UncheckedIOException | IllegalArgumentException | IllegalStateException e) {
            // commons-csv reports malformed input (an unclosed quote, a duplicate column name) this way; the
            // unchecked wrapper's own message would repeat the exception's class name
            Throwable cause = e instanceof UncheckedIOException && e.getCause() != null ? e.getCause() : e;
            throw new TaskFileException(file + describe(String.valueOf(cause.getMessage())));
        }
    }

    private static final java.util.regex.Pattern AFTER_QUOTE = java.util.regex.Pattern.compile(
            "Invalid character between encapsulated token and delimiter at line: (\\d+), position: (\\d+)");
    private static final java.util.regex.Pattern UNCLOSED = java.util.regex.Pattern.compile(
            "\\(startline (\\d+)\\) EOF reached before encapsulated token finished");
    private static final java.util.regex.Pattern DUPLICATE = java.util.regex.Pattern.compile(
            "The header contains a duplicate name: \"(.*)\" in \\[.*");

    /**
     * commons-csv's message in a spreadsheet user's words, after the file name: its parser's terms ("encapsulated
     * token") and its advice to programmers ("use CSVFormat.Builder.setDuplicateHeaderMode()") say nothing to someone
     * who exported the file. A message not recognised is kept as it is.
     */
    static String describe(String message) {
        java.util.regex.Matcher m = AFTER_QUOTE.matcher(message);
        if (m.find()) {
            return ":" + m.group(1) + ": is not valid CSV: a quoted field goes on after its closing quote (near character "
                    + m.group(2) + " of the file); a quoted field must end at a comma or the line's end, and a quote "
                    + "inside it is written twice (\"\")";
        }
        m = UNCLOSED.matcher(message);
        if (m.find()) {
            return ":" + m.group(1) + ": is not valid CSV: a quote opened on this line is never closed (the file ends "
                    + "inside it)";
        }
        m = DUPLICATE.matcher(message);
        if (m.find()) {
            return ": is not valid CSV: the header names the column '" + m.group(1) + "' twice";
        }
        return ": is not valid CSV: " + message;
    }

    /** Line numbers (from 1) of character offsets, for records that span several lines in quotes. */
    private static final class LineIndex {
        private final List<Integer> starts = new ArrayList<>();

        LineIndex(String text) {
            starts.add(0);
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (c == '\n' || (c == '\r' && (i + 1 == text.length() || text.charAt(i + 1) != '\n'))) {
                    starts.add(i + 1);
                }
            }
        }

        long lineOf(long offset) {
            int lo = 0;
            int hi = starts.size() - 1;
            while (lo < hi) {
                int mid = (lo + hi + 1) >>> 1;
                if (starts.get(mid) <= offset) {
                    lo = mid;
                } else {
                    hi = mid - 1;
                }
            }
            return lo + 1;
        }
    }
}

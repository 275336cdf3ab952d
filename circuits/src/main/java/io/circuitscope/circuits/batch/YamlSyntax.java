package io.circuitscope.circuits.batch;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.util.Locale;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * A YAML syntax error in plain words and a place. SnakeYAML's own message spans several lines with
 * copies of the offending text and caret markers ("in 'reader', line 1, column 9: ... ^"), which
 * read as noise once flattened into one error line.
 */
final class YamlSyntax {
    private YamlSyntax() {
    }

    /**
     * e.g. "expected ',' or ']', but got ':' (line 2, column 8; in the flow sequence opened at line 1, column 9)".
     * Falls back to Jackson's message when the cause is not one of SnakeYAML's marked errors.
     */
    static String describe(JsonProcessingException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof MarkedYAMLException marked && marked.getProblem() != null) {
                return problem(marked) + context(marked);
            }
        }
        String m = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
        String at = e.getLocation() == null || e.getLocation().getLineNr() < 1 ? ""
                : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
        if (m.startsWith("Duplicate field ")) {
            return "key " + m.substring("Duplicate field ".length()) + " appears twice" + at;
        }
        return m + at;
    }

    private static String problem(MarkedYAMLException e) {
        String problem = e.getProblem().strip();
        if (problem.contains("<block end>")) {
            // SnakeYAML's name for a mapping or list that ended where the text went on at another indentation
            problem += ": check the indentation";
        }
        return e.getProblemMark() == null ? problem : problem + " (" + place(e.getProblemMark()) + contextPlace(e) + ")";
    }

    private static String contextPlace(MarkedYAMLException e) {
        if (e.getContext() == null || e.getContextMark() == null) {
            return "";
        }
        // "while parsing a flow sequence" -> "in the flow sequence opened at ..."
        String what = e.getContext().strip().replaceFirst("^while (parsing|scanning) (a |an )?", "");
        return "; in the " + what.toLowerCase(Locale.ROOT) + " opened at " + place(e.getContextMark());
    }

    private static String context(MarkedYAMLException e) {
        return e.getProblemMark() == null && e.getContext() != null ? " (" + e.getContext().strip() + ")" : "";
    }

    private static String place(Mark mark) {
        // SnakeYAML counts from 0
        return "line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1);
    }
}

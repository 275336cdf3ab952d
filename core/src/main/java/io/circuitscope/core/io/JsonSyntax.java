package io.circuitscope.core.io;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A JSON syntax error in plain words and a place: Jackson's own messages quote its feature flags
 * ("enable `JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS`") and refer back into the text as
 * "[Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, column: 7]".
 */
public final class JsonSyntax {
    private static final Pattern SOURCE = Pattern.compile("\\[Source: [^\\]]*?; line: (\\d+), column: (\\d+)\\]");
    private static final Pattern FOUND = Pattern.compile("^Unexpected character \\('(.*?)' \\(code (\\d+)[^)]*\\)\\)");
    private static final Pattern TOKEN = Pattern.compile("^(?:Unrecognized|Non-standard) token '(.*?)'");
    private static final Pattern OPENED = Pattern.compile("(?:start marker at|starting at) (line \\d+, column \\d+|column \\d+)");
    private static final String VALUE = "a string, number, array, object, true, false or null";

    private JsonSyntax() {
    }

    /**
     * What is wrong and where, e.g. "the JSON ends before the array opened at line 1, column 7 is closed (line 1,
     * column 13)". With {@code oneLine} (a JSON Lines line read on its own) places are given as columns only.
     */
    public static String describe(JsonProcessingException e, boolean oneLine) {
        String problem = problem(e, oneLine);
        JsonLocation at = e.getLocation();
        if (at == null || at.getColumnNr() < 1) {
            return problem;
        }
        return problem + " (" + place(at.getLineNr(), at.getColumnNr(), oneLine) + ")";
    }

    private static String place(long line, long column, boolean oneLine) {
        return oneLine ? "column " + column : "line " + line + ", column " + column;
    }

    private static String problem(JsonProcessingException e, boolean oneLine) {
        String m = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
        Matcher src = SOURCE.matcher(m);
        StringBuilder placed = new StringBuilder();
        while (src.find()) {
            src.appendReplacement(placed, Matcher.quoteReplacement(
                    place(Long.parseLong(src.group(1)), Long.parseLong(src.group(2)), oneLine)));
        }
        m = src.appendTail(placed).toString();
        Matcher opened = OPENED.matcher(m);
        String openedAt = opened.find() ? " opened at " + opened.group(1) : "";
        if (m.startsWith("Unexpected end-of-input")) {
            String text = oneLine ? "the line" : "the JSON";
            if (m.contains("close marker for Array")) {
                return text + " ends before the array" + openedAt + " is closed with ']'";
            }
            if (m.contains("close marker for Object") || m.contains("Object entries")) {
                return text + " ends before the object" + openedAt + " is closed with '}'";
            }
            if (m.contains("closing quote")) {
                return text + " ends inside a string (no closing '\"')";
            }
            return text + " ends too early";
        }
        if (m.startsWith("Unexpected close marker")) {
            return "a closing '" + m.charAt("Unexpected close marker '".length()) + "' does not match the "
                    + (m.contains("for Object") ? "object" : "array") + openedAt;
        }
        Matcher found = FOUND.matcher(m);
        if (found.find()) {
            String c = shown(found.group(1), Integer.parseInt(found.group(2)));
            if (m.contains("in numeric value")) {
                return "a malformed number (" + c + " where a digit should be)";
            }
            if (m.contains("start field name")) {
                return "expected a key in double quotes, found " + c;
            }
            if (m.contains("separate Object entries")) {
                return "expected ',' or '}' after an object's value, found " + c;
            }
            if (m.contains("separate Array entries")) {
                return "expected ',' or ']' after an array element, found " + c;
            }
            if (m.contains("comment")) {
                return "found " + c + ": JSON has no comments";
            }
            return "expected a value (" + VALUE + "), found " + c;
        }
        Matcher token = TOKEN.matcher(m);
        if (token.find()) {
            return "'" + token.group(1) + "' is not a JSON value (expected " + VALUE + ")";
        }
        if (m.startsWith("Duplicate field")) {
            return "key " + m.substring("Duplicate field ".length()) + " appears twice";
        }
        if (m.contains("Leading zeroes")) {
            return "a number with a leading zero";
        }
        if (m.startsWith("Illegal unquoted character")) {
            return "a control character inside a string (write it escaped, e.g. \\n)";
        }
        if (m.startsWith("Unrecognized character escape")) {
            return "an unknown escape sequence in a string";
        }
        // Anything else: Jackson's words, without its feature names.
        return m.replaceAll(":? ?enable `[^`]*` to allow", "").replaceAll(" \\(not recognized as one since .*\\)", "");
    }

    /** A character as the user would recognise it; invisible ones (a byte-order mark, a tab) by code point. */
    private static String shown(String text, int code) {
        return code > 32 && code < 127 ? "'" + text + "'" : String.format(Locale.ROOT, "U+%04X", code);
    }

    /**
     * The text without a leading UTF-8 byte-order mark, which editors on Windows write: Jackson skips one in bytes
     * but not in a string.
     */
    public static String withoutByteOrderMark(String text) {
        return text.startsWith("\uFEFF") ? text.substring(1) : text;
    }
}

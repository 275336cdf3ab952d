package io.circuitscope.core.task;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.circuitscope.core.io.JsonSyntax;
import java.io.IOException;
import java.util.Iterator;
import java.util.List;

/**
 * A task file's line read strictly: one JSON object and nothing after it, no key twice, and only the keys a task
 * file has. Read loosely, "{...} garbage" passed, a second object on the line was dropped, and a misspelled
 * "wrong_idx" left the wrong answer out without a word.
 */
final class TaskLineJson {
    /** Every key of an example; {@link TaskFile#write} writes the id forms and noise_positions. */
    static final List<String> EXAMPLE_KEYS = List.of("clean_ids", "clean", "corrupt_ids", "corrupt", "targets",
            "noise_positions");
    /** Every key of a target; {@link TaskFile#write} writes position and the _id/_ids forms. */
    static final List<String> TARGET_KEYS = List.of("position", "correct_id", "correct_ids", "correct", "wrong_id",
            "wrong_ids", "wrong");

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
    private static final int SHOWN = 24;

    private TaskLineJson() {
    }

    /**
     * The line's object.
     *
     * @throws IllegalArgumentException saying what is wrong (to be prefixed with the file and line)
     */
    static JsonNode object(String line) {
        try (JsonParser parser = JSON.createParser(line)) {
            JsonNode node = JSON.readTree(parser);
            if (node == null || !node.isObject()) {
                throw new IllegalArgumentException("is not a JSON object");
            }
            int end = (int) parser.currentLocation().getCharOffset();
            String rest = line.substring(end).strip();
            if (!rest.isEmpty()) {
                throw new IllegalArgumentException("has " + (rest.startsWith("{") ? "a second JSON object" : "'"
                        + shortened(rest) + "'") + " after the example's closing '}' at column " + end
                        + " (one example per line)");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("is not valid JSON: " + JsonSyntax.describe(e, true));
        } catch (IOException e) {
            throw new IllegalStateException("reading a string cannot fail", e);
        }
    }

    /**
     * An error message for the first key of {@code object} that is not among {@code known}, naming it as
     * {@code prefix + key}; null when every key is known.
     */
    static String unknownKey(JsonNode object, String prefix, List<String> known, String what) {
        for (Iterator<String> keys = object.fieldNames(); keys.hasNext(); ) {
            String key = keys.next();
            if (!known.contains(key)) {
                return "field '" + prefix + key + "' is not a key of " + what + " (the keys are "
                        + String.join(", ", known) + ")";
            }
        }
        return null;
    }

    private static String shortened(String text) {
        return text.length() <= SHOWN ? text : text.substring(0, SHOWN) + "...";
    }
}

package io.circuitscope.circuits.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * JSON has no NaN or infinity; Jackson writes them as the strings "NaN" and "Infinity", which no JSON reader takes
 * for numbers (and which Python's json module would load as strings). An undefined number (an empty circuit's
 * precision, 0 / 0) is written as null instead.
 */
public final class JsonNumbers {
    private JsonNumbers() {
    }

    /** Puts {@code value}, or null when it is NaN or infinite. */
    public static void put(ObjectNode o, String field, double value) {
        if (Double.isFinite(value)) {
            o.put(field, value);
        } else {
            o.putNull(field);
        }
    }

    /**
     * Rewrites, in place and recursively, the numbers JSON cannot say as meant: every NaN or infinite number becomes
     * null, and every -0.0 becomes 0.0 (a complement faithfulness of -0.0 or a score that rounded to a negative zero
     * would read as a sign where there is none).
     */
    public static void normalise(JsonNode node) {
        if (node instanceof ObjectNode o) {
            List<String> fields = new ArrayList<>();
            o.fieldNames().forEachRemaining(fields::add);
            for (String field : fields) {
                JsonNode v = o.get(field);
                JsonNode replacement = replacement(v);
                if (replacement != null) {
                    o.set(field, replacement);
                } else {
                    normalise(v);
                }
            }
        } else if (node instanceof ArrayNode a) {
            for (int i = 0; i < a.size(); i++) {
                JsonNode replacement = replacement(a.get(i));
                if (replacement != null) {
                    a.set(i, replacement);
                } else {
                    normalise(a.get(i));
                }
            }
        }
    }

    /** What {@link #normalise} writes in place of {@code v}, or null to keep it. */
    private static JsonNode replacement(JsonNode v) {
        if (!v.isFloatingPointNumber()) {
            return null;
        }
        double d = v.doubleValue();
        if (!Double.isFinite(d)) {
            return NullNode.getInstance();
        }
        return d == 0 && Double.doubleToRawLongBits(d) != 0 ? DoubleNode.valueOf(0.0) : null;
    }
}

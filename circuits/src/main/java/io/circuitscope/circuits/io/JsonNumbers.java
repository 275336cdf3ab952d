package io.circuitscope.circuits.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

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

    /** Replaces every NaN or infinite number in {@code node} (recursively) by null, in place. */
    public static void nullNonFinite(JsonNode node) {
        if (node instanceof ObjectNode o) {
            List<String> bad = new ArrayList<>();
            for (java.util.Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> f = it.next();
                if (nonFinite(f.getValue())) {
                    bad.add(f.getKey());
                } else {
                    nullNonFinite(f.getValue());
                }
            }
            bad.forEach(o::putNull);
        } else if (node instanceof ArrayNode a) {
            for (int i = 0; i < a.size(); i++) {
                if (nonFinite(a.get(i))) {
                    a.setNull(i);
                } else {
                    nullNonFinite(a.get(i));
                }
            }
        }
    }

    private static boolean nonFinite(JsonNode v) {
        return v.isFloatingPointNumber() && !Double.isFinite(v.asDouble());
    }
}

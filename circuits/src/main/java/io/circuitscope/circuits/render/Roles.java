package io.circuitscope.circuits.render;

import com.fasterxml.jackson.databind.JsonNode;
import io.circuitscope.circuits.io.CircuitDocument;
import io.circuitscope.core.graph.ComputationGraph;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The optional {@code "roles"} section of circuit.json: what a node does, as a free-form string,
 * used to colour diagrams.
 *
 * <pre>
 * "roles": {"a9.h9": "name mover", "a9.h6": "name mover", "a8.h6": "S-inhibition", "a0.h1": "duplicate token"}
 * </pre>
 * Keys are node names of the circuit's graph ({@code a{l}.h{h}}, {@code m{l}}, {@code input},
 * {@code logits}); values are non-empty strings. The roles of IOI and induction circuits
 * (name mover, backup name mover, negative name mover, S-inhibition, induction, duplicate token,
 * previous token) have fixed colours; any other role gets the next colour of a fixed palette in
 * order of first appearance.
 */
public final class Roles {
    public static final String KEY = "roles";

    private static final Map<String, String> KNOWN = Map.ofEntries(
            Map.entry("name mover", "#8dd3c7"),
            Map.entry("backup name mover", "#ccebc5"),
            Map.entry("negative name mover", "#fb8072"),
            Map.entry("s-inhibition", "#fdb462"),
            Map.entry("induction", "#bebada"),
            Map.entry("duplicate token", "#80b1d3"),
            Map.entry("previous token", "#b3de69"),
            Map.entry("induction (previous token)", "#b3de69"));
    private static final String[] PALETTE = {"#fccde5", "#ffffb3", "#d9d9ff", "#e5c494", "#a6d854", "#ffd92f",
        "#66c2a5", "#e78ac3"};

    private final Map<String, String> roleOf;
    private final Map<String, String> colourOf = new LinkedHashMap<>();

    private Roles(Map<String, String> roleOf) {
        this.roleOf = roleOf;
        int next = 0;
        for (String role : roleOf.values()) {
            if (!colourOf.containsKey(role)) {
                String known = KNOWN.get(role.toLowerCase(Locale.ROOT));
                colourOf.put(role, known != null ? known : PALETTE[next++ % PALETTE.length]);
            }
        }
    }

    public static Roles none() {
        return new Roles(Map.of());
    }

    public static Roles of(Map<String, String> roleOf) {
        return new Roles(new LinkedHashMap<>(roleOf));
    }

    /** The roles section of {@code doc}, checked against its graph; none when absent. */
    public static Roles of(CircuitDocument doc) {
        JsonNode node = doc.extra().get(KEY);
        if (node == null || node.isNull()) {
            return none();
        }
        if (!node.isObject()) {
            throw new IllegalArgumentException("field 'roles' must be an object {\"node name\": \"role\"}");
        }
        ComputationGraph g = doc.circuit().graph();
        Map<String, String> roles = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            try {
                g.node(e.getKey());
            } catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException("field 'roles." + e.getKey() + "': " + ex.getMessage());
            }
            if (!e.getValue().isTextual() || e.getValue().asText().isBlank()) {
                throw new IllegalArgumentException("field 'roles." + e.getKey() + "' must be a non-empty string");
            }
            roles.put(e.getKey(), e.getValue().asText());
        }
        return new Roles(roles);
    }

    /** The role of a node, or null. */
    public String roleOf(String node) {
        return roleOf.get(node);
    }

    public boolean isEmpty() {
        return roleOf.isEmpty();
    }

    /** Fill colour of a role. */
    public String colour(String role) {
        return colourOf.getOrDefault(role, "#ffffff");
    }
}

package io.circuitscope.circuits.run;

import io.circuitscope.core.graph.Circuit;
import io.circuitscope.core.graph.Node;
import io.circuitscope.validation.ValidationReport;
import java.util.ArrayList;
import java.util.List;

/**
 * Counts said with what they count: a circuit's nodes include input and logits, minimality's components are its edges
 * and its heads and MLPs, and node precision and recall count heads and MLPs only. "6 nodes" beside "16 components" and
 * a node recall over 4 heads left a reader to guess which nodes each meant.
 */
public final class CircuitCounts {
    private CircuitCounts() {
    }

    /** "6 nodes (input, logits and 4 heads)"; "0 nodes" for an empty circuit. */
    public static String nodes(Circuit circuit) {
        int heads = 0;
        int mlps = 0;
        boolean input = false;
        boolean logits = false;
        for (Node n : circuit.nodes()) {
            switch (n.kind()) {
                case HEAD -> heads++;
                case MLP -> mlps++;
                case INPUT -> input = true;
                case LOGITS -> logits = true;
                default -> throw new IllegalStateException(n.kind().toString());
            }
        }
        List<String> parts = new ArrayList<>();
        if (input) {
            parts.add("input");
        }
        if (logits) {
            parts.add("logits");
        }
        if (heads > 0) {
            parts.add(heads + (heads == 1 ? " head" : " heads"));
        }
        if (mlps > 0) {
            parts.add(mlps + (mlps == 1 ? " MLP" : " MLPs"));
        }
        int total = circuit.nodes().size();
        return total + (total == 1 ? " node" : " nodes") + (parts.isEmpty() ? "" : " (" + join(parts) + ")");
    }

    /** What minimality's components are: "12 edges, 4 heads and MLPs" (nodes other than input and logits). */
    public static String components(List<ValidationReport.ComponentScore> components) {
        long nodes = components.stream().filter(ValidationReport.ComponentScore::node).count();
        long edges = components.size() - nodes;
        return edges + (edges == 1 ? " edge" : " edges") + ", " + nodes + (nodes == 1 ? " head or MLP" : " heads and MLPs");
    }

    /** "1 forward pass", "3 gradient passes": a count of passes of {@code kind} ("forward", "gradient"). */
    public static String passes(long count, String kind) {
        return count + " " + kind + (count == 1 ? " pass" : " passes");
    }

    private static String join(List<String> parts) {
        if (parts.size() == 1) {
            return parts.get(0);
        }
        return String.join(", ", parts.subList(0, parts.size() - 1)) + " and " + parts.get(parts.size() - 1);
    }
}

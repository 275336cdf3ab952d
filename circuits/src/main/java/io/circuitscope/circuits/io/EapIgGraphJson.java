package io.circuitscope.circuits.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.circuitscope.core.graph.Circuit;
import io.circuitscope.core.model.ModelConfig;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Circuits written by EAP-IG's {@code Graph.to_json} (hannamw/EAP-IG), the format MIB circuit submissions
 * and most Python circuit work use: {@code {"cfg": {n_layers, n_heads, parallel_attn_mlp, d_model},
 * "nodes": {name: {"in_graph", "score"?, "neurons"?}}, "edges": {name: {"score", "in_graph"}}}}, with
 * the node and edge names circuitscope uses too. Such a file has no {@code schema}; it is rewritten here
 * into a circuitscope document (model shape from {@code cfg}, method "imported") so that validation can
 * judge a circuit whoever found it.
 * <p>
 * EAP-IG's {@code evaluate_graph} prunes a circuit before running it (edges from nodes the input does not
 * reach, edges into nodes that do not reach the logits); {@link #asEvaluated} does the same, so the
 * numbers match what EAP-IG would report, and records how many edges that dropped. Neuron-level circuits
 * (a node kept with only some of its neurons) are refused: circuitscope patches whole nodes.
 */
final class EapIgGraphJson {
    static final String FORMAT = "EAP-IG Graph.to_json";

    private EapIgGraphJson() {
    }

    /** Whether {@code root} is an EAP-IG graph file rather than a circuitscope circuit.json. */
    static boolean isEapIgGraph(JsonNode root) {
        return !root.has("schema") && root.has("cfg") && root.has("edges");
    }

    /** The {@code cfg} section written into circuitscope's own files, so that EAP-IG's from_json reads them. */
    static Map<String, Object> cfg(ModelConfig config) {
        Map<String, Object> cfg = new LinkedHashMap<>();
        cfg.put("n_layers", config.nLayers());
        cfg.put("n_heads", config.nHeads());
        cfg.put("parallel_attn_mlp", config.parallelAttnMlp());
        cfg.put("d_model", config.dModel());
        return cfg;
    }

    /** {@code root} as a circuitscope document: the model section is the checked {@code cfg}. */
    static ObjectNode asCircuitscope(Path file, JsonNode root) {
        JsonNode cfg = root.get("cfg");
        if (!cfg.isObject()) {
            throw new CircuitFileException(file + ": field 'cfg' must be an object (EAP-IG graph file)");
        }
        ObjectNode doc = JsonNodeFactory.instance.objectNode();
        doc.put("schema", CircuitJson.SCHEMA);
        ObjectNode model = doc.putObject("model");
        model.put("n_layers", positiveInt(file, cfg, "n_layers", true));
        model.put("n_heads", positiveInt(file, cfg, "n_heads", true));
        JsonNode parallel = cfg.get("parallel_attn_mlp");
        if (parallel == null || !parallel.isBoolean()) {
            throw new CircuitFileException(file + ": field 'cfg.parallel_attn_mlp' must be true or false (EAP-IG's "
                    + "Graph.from_model needs it), got " + parallel);
        }
        model.put("parallel_attn_mlp", parallel.asBoolean());
        int dModel = positiveInt(file, cfg, "d_model", false);
        if (dModel > 0) {
            model.put("d_model", dModel);
        }
        ObjectNode method = doc.putObject("method");
        method.put("key", "imported");
        method.put("format", FORMAT);
        method.put("file", String.valueOf(file.getFileName()));
        JsonNode nodes = root.get("nodes");
        if (nodes != null && nodes.isObject()) {
            refuseNeuronLevel(file, nodes);
            if (scoresNodesOnly(nodes, root.get("edges"))) {
                method.put(CircuitJson.NODE_SCORES_ONLY, true);
                keepNodeScores(doc, nodes, true);
            } else if (scoresAnyNode(nodes)) {
                // the edges rank; the file's own node scores are kept beside them, not replaced by out-edge sums
                keepNodeScores(doc, nodes, false);
            }
        }
        doc.set("edges", root.get("edges"));
        return doc;
    }

    /**
     * A node-attribution file's node scores are its whole ranking, and a node's score in a circuitscope file is the sum
     * of its out-edges' (here all 0), so they would be lost: each scored node's |score| becomes its own importance (the
     * node ranking that node AUC and the report's top nodes read, as AtP*'s GradDrop is), and the signed scores are
     * kept as they were in the section {@value #NODE_SCORES_SECTION}, which a rewritten file (validate's) carries on.
     * A file that scores its edges too ranks by them ({@code asImportance} false): its node scores are only kept in
     * that section, since a circuitscope file's node score is the sum of its out-edges' and would replace them.
     */
    private static void keepNodeScores(ObjectNode doc, JsonNode nodes, boolean asImportance) {
        ObjectNode importances = asImportance ? doc.putObject("nodes") : null;
        ObjectNode signed = doc.putObject(NODE_SCORES_SECTION);
        for (Iterator<Map.Entry<String, JsonNode>> it = nodes.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> node = it.next();
            JsonNode s = node.getValue().get("score");
            if (node.getKey().equals("logits") || s == null || !s.isNumber() || !Double.isFinite(s.asDouble())) {
                continue; // EAP-IG's from_json reads no score of the logits; NaN: not scored
            }
            if (importances != null) {
                importances.putObject(node.getKey()).put("importance", Math.abs(s.asDouble()));
            }
            signed.put(node.getKey(), s.asDouble());
        }
    }

    /** Where an imported node-attribution file's signed node scores are kept. */
    static final String NODE_SCORES_SECTION = "imported_node_scores";

    /** Whether some node other than the logits has a score that is a number other than 0 (NaN: not scored). */
    private static boolean scoresAnyNode(JsonNode nodes) {
        for (Iterator<Map.Entry<String, JsonNode>> it = nodes.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> node = it.next();
            JsonNode s = node.getValue().get("score");
            if (!node.getKey().equals("logits") && s != null && s.isNumber() && !Double.isNaN(s.asDouble())
                    && s.asDouble() != 0) {
                return true;
            }
        }
        return false;
    }

    private static boolean scoresNodesOnly(JsonNode nodes, JsonNode edges) {
        if (!scoresAnyNode(nodes) || edges == null || !edges.isObject()) {
            return false;
        }
        for (JsonNode edge : edges) {
            JsonNode s = edge.get("score");
            if (s != null && s.isNumber() && !Double.isNaN(s.asDouble()) && s.asDouble() != 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * The circuit EAP-IG's evaluate_graph would run: pruned both ways whatever the ablation, as EAP-IG does,
     * with the number of edges that dropped recorded.
     */
    static CircuitDocument asEvaluated(CircuitDocument imported) {
        Circuit pruned = imported.circuit().prunedAsEapIg();
        Map<String, Object> method = new LinkedHashMap<>(imported.method());
        method.put("pruned_edges", imported.circuit().edgeCount() - pruned.edgeCount());
        return new CircuitDocument(pruned, imported.model(), imported.task(), method, imported.summary(),
                imported.extra());
    }

    private static void refuseNeuronLevel(Path file, JsonNode nodes) {
        for (Iterator<Map.Entry<String, JsonNode>> it = nodes.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> node = it.next();
            JsonNode neurons = node.getValue().get("neurons");
            JsonNode in = node.getValue().get("in_graph");
            if (neurons == null || !neurons.isArray() || (in != null && in.isBoolean() && !in.asBoolean())) {
                continue;
            }
            for (JsonNode neuron : neurons) {
                if (!neuron.asBoolean(true)) {
                    throw new CircuitFileException(file + ": node '" + node.getKey() + "' keeps only some of its "
                            + "neurons (field 'nodes." + node.getKey() + ".neurons'); circuitscope patches whole nodes "
                            + "and cannot judge a neuron-level circuit");
                }
            }
        }
    }

    private static int positiveInt(Path file, JsonNode cfg, String field, boolean required) {
        JsonNode v = cfg.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                throw new CircuitFileException(file + ": field 'cfg." + field + "' is missing (EAP-IG graph file)");
            }
            return -1;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() <= 0) {
            throw new CircuitFileException(file + ": field 'cfg." + field + "' must be a positive integer, got " + v);
        }
        return v.asInt();
    }
}

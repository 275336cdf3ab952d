package io.circuitscope.circuits.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.circuitscope.core.graph.Circuit;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.Edge;
import io.circuitscope.core.graph.EdgeScores;
import io.circuitscope.core.graph.Node;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.BitSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Reads and writes {@code circuit.json}, schema {@value #SCHEMA}.
 *
 * <pre>
 * {
 *   "schema": "circuitscope.circuit/1",
 *   "software": {"name": "circuitscope", "version": "..."},
 *   "model":   {"name", "family", "config_hash", "n_layers", "n_heads", ...},
 *   "task":    {"name", "hash", "examples"},
 *   "method":  {"key", "settings": {...}, "metric", "ablation", "seed"},
 *   "summary": {"clean", "corrupted", "circuit", "faithfulness", "edges_in_graph", "forward_passes", "seconds"},
 *   "nodes": {"a0.h1": {"score": 0.1, "in_graph": true}, ...},
 *   "edges": {"a0.h1->a2.h3<k>": {"score": 0.02, "in_graph": true}, ...},
 *   "validation": {...}            (added by `circuitscope validate`)
 * }
 * </pre>
 * The {@code nodes}/{@code edges} keys follow EAP-IG's Graph.to_json so the file loads in Python
 * tools. Scores estimate m(patched) - m(clean); null means not scored. Writes are atomic.
 */
public final class CircuitJson {
    public static final String SCHEMA = "circuitscope.circuit/1";
    public static final String SOFTWARE_VERSION = "0.1.0";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final ObjectMapper COMPACT = new ObjectMapper();

    private CircuitJson() {
    }

    public static void write(Path file, CircuitDocument doc) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("schema", SCHEMA);
        ObjectNode software = root.putObject("software");
        software.put("name", "circuitscope");
        software.put("version", SOFTWARE_VERSION);
        root.set("model", JSON.valueToTree(doc.model()));
        root.set("task", JSON.valueToTree(doc.task()));
        root.set("method", JSON.valueToTree(doc.method()));
        root.set("summary", JSON.valueToTree(doc.summary()));
        Circuit c = doc.circuit();
        ComputationGraph g = c.graph();
        double[] nodeScores = c.scores().nodeScoresBySource();
        Set<Node> inGraph = c.nodes();
        ObjectNode nodes = root.putObject("nodes");
        for (Node n : g.nodes()) {
            ObjectNode o = nodes.putObject(n.name());
            if (n.isSource()) {
                putScore(o, nodeScores[n.sourceIndex()]);
            } else {
                o.putNull("score");
            }
            o.put("in_graph", inGraph.contains(n));
        }
        ObjectNode edges = root.putObject("edges");
        for (Edge e : g.edges()) {
            ObjectNode o = edges.putObject(e.name());
            putScore(o, c.scores().get(e.index()));
            o.put("in_graph", c.contains(e.index()));
        }
        doc.extra().forEach(root::set);
        Files.createDirectories(file.toAbsolutePath().getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        // Large graphs (GPT-2 small has 32,491 edges) are written without indentation to stay small.
        (g.nEdges() > 2000 ? COMPACT : JSON).writeValue(tmp.toFile(), root);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void putScore(ObjectNode o, double score) {
        if (Double.isNaN(score)) {
            o.putNull("score");
        } else {
            o.put("score", score);
        }
    }

    /** Reads a circuit against {@code graph}, which must be the graph of the model it was found on. */
    public static CircuitDocument read(Path file, ComputationGraph graph) {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new CircuitFileException(file + ": not valid JSON (" + e.getMessage().split("\n")[0] + ")");
        }
        if (root == null || !root.isObject()) {
            throw new CircuitFileException(file + ": not a JSON object");
        }
        JsonNode schema = root.get("schema");
        if (schema == null || !schema.isTextual()) {
            throw new CircuitFileException(file + ": field 'schema' is missing; this is not a circuitscope circuit.json");
        }
        if (!schema.asText().equals(SCHEMA)) {
            throw new CircuitFileException(file + ": field 'schema' is '" + schema.asText() + "' but this version of "
                    + "circuitscope reads '" + SCHEMA + "'");
        }
        JsonNode edgesNode = root.get("edges");
        if (edgesNode == null || !edgesNode.isObject()) {
            throw new CircuitFileException(file + ": field 'edges' is missing or not an object");
        }
        JsonNode model = root.get("model");
        if (model != null && model.has("n_layers") && model.get("n_layers").asInt() != graph.config().nLayers()) {
            throw new CircuitFileException(file + ": field 'model.n_layers' is " + model.get("n_layers").asInt()
                    + " but the model has " + graph.config().nLayers() + " layers");
        }
        double[] scores = new double[graph.nEdges()];
        java.util.Arrays.fill(scores, Double.NaN);
        BitSet kept = new BitSet(graph.nEdges());
        for (Iterator<Map.Entry<String, JsonNode>> it = edgesNode.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> entry = it.next();
            String name = entry.getKey();
            if (!graph.hasEdge(name)) {
                throw new CircuitFileException(file + ": edge '" + name + "' does not exist in the model's graph");
            }
            JsonNode e = entry.getValue();
            JsonNode in = e.get("in_graph");
            if (in == null || !in.isBoolean()) {
                throw new CircuitFileException(file + ": field 'edges." + name + ".in_graph' must be true or false");
            }
            int index = graph.edge(name).index();
            if (in.asBoolean()) {
                kept.set(index);
            }
            JsonNode s = e.get("score");
            if (s != null && s.isNumber()) {
                scores[index] = s.asDouble();
            }
        }
        Map<String, JsonNode> extra = new LinkedHashMap<>();
        root.fields().forEachRemaining(f -> {
            if (!Set.of("schema", "software", "model", "task", "method", "summary", "nodes", "edges").contains(f.getKey())) {
                extra.put(f.getKey(), f.getValue());
            }
        });
        return new CircuitDocument(new Circuit(graph, kept, new EdgeScores(graph, scores)), asMap(root.get("model")),
                asMap(root.get("task")), asMap(root.get("method")), asMap(root.get("summary")), extra);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(JsonNode node) {
        return node == null || !node.isObject() ? Map.of() : JSON.convertValue(node, Map.class);
    }

    /** A raw look at the model section, to find the model a circuit belongs to before loading it. */
    public static JsonNode readRaw(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new CircuitFileException(file + ": not valid JSON (" + e.getMessage().split("\n")[0] + ")");
        }
    }
}

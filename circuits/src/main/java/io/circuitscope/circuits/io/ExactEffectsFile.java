package io.circuitscope.circuits.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.circuitscope.circuits.run.ExactEffectsStore;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.Edge;
import io.circuitscope.core.graph.Node;
import io.circuitscope.core.io.AtomicFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Exact effects kept in a JSON file ({@code compare-scorers --exact-cache FILE}), rewritten atomically
 * after every layer, so a comparison killed at any moment loses at most one layer's trials:
 * <pre>
 * {"schema": 1, "kind": "circuitscope exact effects",
 *  "model": ..., "config_hash": ..., "task_hash": ..., "metric": ..., "ablation": ...,
 *  "edges": 32491, "positions": 0, "clean": 3.21, "corrupted": -0.43,
 *  "edge_effects": {"a0.h1->a2.h3<k>": -0.012, ...},   (the edges patched so far)
 *  "node_effects": {"a0.h1": -0.2, ...}}               (once every node is patched)
 * </pre>
 * The file answers only for the comparison it was written by: the model's config hash, the task
 * hash, metric, ablation and graph must be equal, and the clean and corrupted metric values, which
 * change with any change of the weights, equal to 1e-6 relative; otherwise it is refused, never
 * overwritten. ("model" records how the model was named, which another path to the same files changes.)
 */
public final class ExactEffectsFile implements ExactEffectsStore {
    static final int SCHEMA = 1;
    static final String KIND = "circuitscope exact effects";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** What the effects belong to. */
    public record Identity(String model, String configHash, String taskHash, String metric, String ablation, double clean,
            double corrupted) {
    }

    private final Path file;
    private final ComputationGraph graph;
    private final Identity identity;

    public ExactEffectsFile(Path file, ComputationGraph graph, Identity identity) {
        this.file = file.toAbsolutePath();
        this.graph = graph;
        this.identity = identity;
    }

    public Path file() {
        return file;
    }

    @Override
    public Stored load(int edges) {
        if (edges != graph.nEdges()) {
            throw new IllegalArgumentException("graph has " + graph.nEdges() + " edges, asked for " + edges);
        }
        if (!Files.exists(file)) {
            // fail before hours of patching, not at the first save
            try {
                Files.createDirectories(file.getParent());
            } catch (IOException e) {
                throw new ExactEffectsFileException(file + ": cannot create its folder (" + e.getMessage() + ")");
            }
            if (!Files.isWritable(file.getParent())) {
                throw new ExactEffectsFileException(file + ": its folder is not writable");
            }
            return Stored.empty(edges);
        }
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new ExactEffectsFileException(file + ": cannot read the exact-effects cache: "
                    + io.circuitscope.core.io.ReadErrors.describe(e));
        }
        if (root == null || !root.isObject() || !KIND.equals(root.path("kind").asText())) {
            throw new ExactEffectsFileException(file + ": not an exact-effects file (field 'kind' must be '" + KIND + "')");
        }
        if (root.path("schema").asInt(-1) != SCHEMA) {
            throw new ExactEffectsFileException(file + ": field 'schema' is " + root.get("schema") + ", this version reads "
                    + SCHEMA);
        }
        // "model" is informative only: the same checkpoint may be named by another path; the config hash and
        // the clean and corrupted values identify the weights
        same(root, "config_hash", identity.configHash());
        same(root, "task_hash", identity.taskHash());
        same(root, "metric", identity.metric());
        same(root, "ablation", identity.ablation());
        same(root, "edges", Integer.toString(graph.nEdges()));
        same(root, "positions", Integer.toString(graph.positions()));
        close(root, "clean", identity.clean());
        close(root, "corrupted", identity.corrupted());
        double[] edgeEffects = Stored.empty(edges).edges();
        Map<String, Integer> edgeIndex = new HashMap<>();
        for (Edge e : graph.edges()) {
            edgeIndex.put(e.name(), e.index());
        }
        JsonNode stored = root.path("edge_effects");
        for (var it = stored.fields(); it.hasNext(); ) {
            var f = it.next();
            Integer index = edgeIndex.get(f.getKey());
            if (index == null) {
                throw new ExactEffectsFileException(file + ": field 'edge_effects." + f.getKey() + "': no such edge in the graph");
            }
            edgeEffects[index] = number(f.getValue(), "edge_effects." + f.getKey());
        }
        double[] nodeEffects = null;
        if (root.has("node_effects")) {
            nodeEffects = new double[graph.nSources()];
            for (Node n : graph.sources()) {
                JsonNode v = root.get("node_effects").get(n.name());
                if (v == null) {
                    throw new ExactEffectsFileException(file + ": field 'node_effects' lacks node " + n.name());
                }
                nodeEffects[n.sourceIndex()] = number(v, "node_effects." + n.name());
            }
        }
        return new Stored(edgeEffects, nodeEffects);
    }

    @Override
    public void save(Stored stored) {
        ObjectNode root = JSON.createObjectNode();
        root.put("schema", SCHEMA);
        root.put("kind", KIND);
        root.put("model", identity.model());
        root.put("config_hash", identity.configHash());
        root.put("task_hash", identity.taskHash());
        root.put("metric", identity.metric());
        root.put("ablation", identity.ablation());
        root.put("edges", graph.nEdges());
        root.put("positions", graph.positions());
        root.put("clean", identity.clean());
        root.put("corrupted", identity.corrupted());
        ObjectNode edges = root.putObject("edge_effects");
        for (Edge e : graph.edges()) {
            if (!Double.isNaN(stored.edges()[e.index()])) {
                edges.put(e.name(), stored.edges()[e.index()]);
            }
        }
        if (stored.nodes() != null) {
            ObjectNode nodes = root.putObject("node_effects");
            for (Node n : graph.sources()) {
                nodes.put(n.name(), stored.nodes()[n.sourceIndex()]);
            }
        }
        try {
            AtomicFile.write(file, tmp -> JSON.writeValue(tmp.toFile(), root));
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot write exact effects (" + e.getMessage() + ")", e);
        }
    }

    private void same(JsonNode root, String field, String expected) {
        String found = root.path(field).asText(null);
        if (!expected.equals(found)) {
            throw new ExactEffectsFileException(file + ": field '" + field + "' is " + root.get(field) + ", this comparison's is "
                    + expected + ": the file holds the effects of another comparison (choose another --exact-cache file, "
                    + "or delete this one)");
        }
    }

    private void close(JsonNode root, String field, double expected) {
        double found = number(root.path(field), field);
        if (Math.abs(found - expected) > 1e-6 * Math.max(1, Math.abs(expected))) {
            throw new ExactEffectsFileException(file + ": field '" + field + "' is " + found + ", this run's " + field
                    + " metric value is " + expected + ": the weights or the task differ from the run that wrote it "
                    + "(choose another --exact-cache file, or delete this one)");
        }
    }

    private double number(JsonNode v, String field) {
        if (v == null || !v.isNumber()) {
            throw new ExactEffectsFileException(file + ": field '" + field + "' must be a number, got " + v);
        }
        // 1e999 parses as infinity, which no patched run gives (and which save could not write back as JSON)
        if (!Double.isFinite(v.asDouble())) {
            throw new ExactEffectsFileException(file + ": field '" + field + "' must be a finite number, got " + v.asDouble());
        }
        return v.asDouble();
    }
}

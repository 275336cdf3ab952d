package io.circuitscope.circuits.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.circuitscope.core.graph.Circuit;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.EdgeScores;
import io.circuitscope.core.model.ModelConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * circuit.json loads in EAP-IG (its Graph.from_json needs "cfg", "nodes" and "edges" with EAP-IG's names, and
 * numeric edge scores), and EAP-IG's own files are read, pruned the way its evaluate_graph prunes them.
 * EAP-IG's node and edge names are enumerated here from its Graph.from_model rules, independently of
 * {@link ComputationGraph}.
 */
class EapIgGraphJsonTest {
    @TempDir
    Path dir;

    /** EAP-IG's edge names for a model shape, in the order its Graph.from_model adds them. */
    static List<String> eapIgEdgeNames(int layers, int heads, boolean parallel) {
        List<String> residual = new ArrayList<>(List.of("input"));
        List<String> names = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            List<String> attention = new ArrayList<>();
            for (int h = 0; h < heads; h++) {
                attention.add("a" + l + ".h" + h);
            }
            for (String from : residual) {
                for (String head : attention) {
                    for (String port : new String[] {"q", "k", "v"}) {
                        names.add(from + "->" + head + "<" + port + ">");
                    }
                }
                if (parallel) {
                    names.add(from + "->m" + l);
                }
            }
            residual.addAll(attention);
            if (!parallel) {
                for (String from : residual) {
                    names.add(from + "->m" + l);
                }
            }
            residual.add("m" + l);
        }
        for (String from : residual) {
            names.add(from + "->logits");
        }
        return names;
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aWrittenCircuitHasWhatEapIgsFromJsonReads(boolean parallel) throws Exception {
        ModelConfig config = ModelConfig.builder("gpt2").setSizes(12, 3, 3, 16, 10, 8).optParallelAttnMlp(parallel).build();
        ComputationGraph graph = ComputationGraph.of(config);
        double[] scores = new double[graph.nEdges()];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = (i % 2 == 0 ? 1 : -1) * i * 0.001;
        }
        Circuit c = Circuit.ofEdgeNames(graph, List.of("input->a0.h1<q>", "a0.h1->a2.h0<k>", "a2.h0->logits"))
                .withScores(new EdgeScores(graph, scores));
        Path file = dir.resolve("circuit.json");
        CircuitJson.write(file, new CircuitDocument(c, ModelShape.of(config), Map.of(), Map.of("key", "eap"), Map.of(),
                Map.of()));
        JsonNode root = new ObjectMapper().readTree(file.toFile());

        JsonNode cfg = root.get("cfg");
        assertEquals(3, cfg.get("n_layers").asInt());
        assertEquals(3, cfg.get("n_heads").asInt());
        assertEquals(12, cfg.get("d_model").asInt());
        assertTrue(cfg.get("parallel_attn_mlp").isBoolean());
        assertEquals(parallel, cfg.get("parallel_attn_mlp").asBoolean());

        List<String> expected = eapIgEdgeNames(3, 3, parallel);
        assertEquals(new HashSet<>(expected), keys(root.get("edges")), "every edge EAP-IG's graph has, and no other");
        for (String name : expected) {
            JsonNode e = root.get("edges").get(name);
            assertTrue(e.get("score").isNumber(), name + ": EAP-IG assigns the score to a float tensor");
            assertTrue(e.get("in_graph").isBoolean(), name);
            assertEquals(c.contains(name), e.get("in_graph").asBoolean(), name);
        }
        Set<String> nodes = new HashSet<>(List.of("input", "logits"));
        for (int l = 0; l < 3; l++) {
            nodes.add("m" + l);
            for (int h = 0; h < 3; h++) {
                nodes.add("a" + l + ".h" + h);
            }
        }
        assertEquals(nodes, keys(root.get("nodes")));
        for (String node : nodes) {
            JsonNode n = root.get("nodes").get(node);
            assertTrue(n.get("in_graph").isBoolean(), node);
            assertTrue(node.equals("logits") || n.get("score").isNumber(), node + ": from_json reads a present score");
        }
        // and circuitscope reads its own file as before: the cfg section is not carried twice
        CircuitDocument back = CircuitJson.read(file, graph);
        assertEquals(List.of("a0.h1->a2.h0<k>", "a2.h0->logits", "input->a0.h1<q>"), back.circuit().edgeNames().stream()
                .sorted().toList());
        assertFalse(back.extra().containsKey("cfg"));
    }

    @Test
    void anEapIgFileIsReadPrunedAsEvaluateGraphWouldRunIt() throws Exception {
        // a0.h1 -> a1.h0 -> logits is connected; a1.h1 -> logits starts at a node nothing reaches and is pruned;
        // input -> m0 ends at a node that reaches nothing and is pruned too
        Set<String> inGraph = Set.of("input->a0.h1<v>", "a0.h1->a1.h0<q>", "a1.h0->logits", "a1.h1->logits", "input->m0");
        Path file = writeEapIgFile(dir.resolve("graph.json"), 2, 2, false, inGraph, "input->a1.h0<k>");
        ComputationGraph graph = ComputationGraph.of(ModelConfig.builder("gpt2").setSizes(8, 2, 2, 16, 10, 8).build());
        for (CircuitDocument doc : List.of(CircuitJson.read(file), CircuitJson.read(file, graph))) {
            assertEquals("imported", doc.method().get("key"));
            assertTrue(CircuitJson.isEapIgGraphFile(file));
            assertEquals(Set.of("input->a0.h1<v>", "a0.h1->a1.h0<q>", "a1.h0->logits"), new HashSet<>(doc.circuit().edgeNames()));
            assertEquals(2, ((Number) doc.method().get("pruned_edges")).intValue());
            assertEquals(EapIgGraphJson.FORMAT, doc.method().get("format"));
            assertEquals(2, doc.model().get("n_layers"));
            int unscored = doc.circuit().graph().edge("input->a1.h0<k>").index();
            assertTrue(Double.isNaN(doc.circuit().scores().get(unscored)), "Python's NaN literal means not scored");
            int scored = doc.circuit().graph().edge("a1.h0->logits").index();
            assertEquals(score("a1.h0->logits"), doc.circuit().scores().get(scored), 1e-12);
        }
    }

    /** EAP-IG's node attribution leaves every edge score 0: the import says so, since every edge ranking would tie. */
    @Test
    void aFileThatScoresOnlyNodesIsMarked() throws Exception {
        Path edgeScored = writeEapIgFile(dir.resolve("edges.json"), 2, 2, false, Set.of("a1.h0->logits"), null);
        assertEquals(null, CircuitJson.read(edgeScored).method().get(CircuitJson.NODE_SCORES_ONLY));
        String text = Files.readString(edgeScored).replaceAll("\"score\": -?[0-9.E-]+", "\"score\": 0.0")
                .replace("\"a1.h0\": {\"in_graph\": true}", "\"a1.h0\": {\"score\": 0.7, \"in_graph\": true}");
        Path nodeScored = Files.writeString(dir.resolve("nodes.json"), text);
        assertEquals(true, CircuitJson.read(nodeScored).method().get(CircuitJson.NODE_SCORES_ONLY));
        // an edge left unscored (Python's NaN) scores nothing either: the file still scores only its nodes
        Path withNan = writeEapIgFile(dir.resolve("nan.json"), 2, 2, false, Set.of("a1.h0->logits"), "input->a1.h0<k>");
        String nanText = Files.readString(withNan).replaceAll("\"score\": -?[0-9.E-]+", "\"score\": 0.0");
        assertTrue(nanText.contains("\"score\": NaN"), "the unscored edge stays NaN");
        Path nodeScoredWithNan = Files.writeString(dir.resolve("nodes-nan.json"),
                nanText.replace("\"a1.h0\": {\"in_graph\": true}", "\"a1.h0\": {\"score\": -0.3, \"in_graph\": true}"));
        assertEquals(true, CircuitJson.read(nodeScoredWithNan).method().get(CircuitJson.NODE_SCORES_ONLY));
        // node scores that are all 0 or NaN score nothing: an all-zero file is not marked as scoring nodes
        Path nothingScored = Files.writeString(dir.resolve("zeros.json"), nanText.replace(
                "\"a1.h0\": {\"in_graph\": true}", "\"a1.h0\": {\"score\": 0.0, \"in_graph\": true}")
                .replace("\"input\": {\"in_graph\": true}", "\"input\": {\"score\": NaN, \"in_graph\": true}"));
        assertEquals(null, CircuitJson.read(nothingScored).method().get(CircuitJson.NODE_SCORES_ONLY));
    }

    /**
     * A node-attribution file's node scores are its ranking: they rank its heads and MLPs (node AUC, the report's top
     * nodes) as the nodes' importance, and a rewritten file (validate's NAME.circuitscope.json) keeps them, signed, in
     * imported_node_scores and as importances. They were dropped: every node read the sum of its out-edges' 0 scores.
     */
    @Test
    void aNodeAttributionFilesNodeScoresRankItsNodesAndSurviveARewrite() throws Exception {
        Path edgeScored = writeEapIgFile(dir.resolve("edges.json"), 2, 2, false, Set.of("a0.h1->a1.h0<q>", "a1.h0->logits",
                "input->a0.h1<v>"), null);
        String text = Files.readString(edgeScored).replaceAll("\"score\": -?[0-9.E-]+", "\"score\": 0.0")
                .replace("\"a1.h0\": {\"in_graph\": true}", "\"a1.h0\": {\"score\": -0.7, \"in_graph\": true}")
                .replace("\"a0.h1\": {\"in_graph\": true}", "\"a0.h1\": {\"score\": 0.2, \"in_graph\": true}")
                .replace("\"m0\": {\"in_graph\": false}", "\"m0\": {\"score\": NaN, \"in_graph\": false}");
        Path file = Files.writeString(dir.resolve("nodes.json"), text);
        CircuitDocument doc = CircuitJson.read(file);
        ComputationGraph graph = doc.circuit().graph();
        double[] importance = doc.circuit().scores().nodeImportances();
        assertTrue(doc.circuit().scores().hasOwnNodeImportance(), "the file's node scores are a node ranking");
        assertEquals(0.7, importance[graph.node("a1.h0").sourceIndex()], 1e-12);
        assertEquals(0.2, importance[graph.node("a0.h1").sourceIndex()], 1e-12);
        assertEquals(0.0, importance[graph.node("m0").sourceIndex()], 0.0, "NaN: not scored, ranks by |0|");

        Path rewritten = dir.resolve("nodes.circuitscope.json");
        CircuitJson.write(rewritten, doc);
        JsonNode root = new ObjectMapper().readTree(rewritten.toFile());
        assertEquals(0.7, root.get("nodes").get("a1.h0").get("importance").asDouble(), 1e-12);
        assertEquals(-0.7, root.get("imported_node_scores").get("a1.h0").asDouble(), 1e-12);
        assertEquals(0.2, root.get("imported_node_scores").get("a0.h1").asDouble(), 1e-12);
        assertFalse(root.get("imported_node_scores").has("m0"));
        CircuitDocument back = CircuitJson.read(rewritten);
        assertEquals(0.7, back.circuit().scores().nodeImportances()[graph.node("a1.h0").sourceIndex()], 1e-12);
        assertEquals(root.get("imported_node_scores"), back.extra().get("imported_node_scores"));
    }

    /**
     * A file that scores its edges and its nodes ranks by its edges, and keeps its own node scores in
     * imported_node_scores through a rewrite. They were lost: a rewritten file's node scores were the sums of their
     * out-edges' scores.
     */
    @Test
    void aFileScoringEdgesAndNodesKeepsItsNodeScoresThroughARewrite() throws Exception {
        Path edgeScored = writeEapIgFile(dir.resolve("both.json"), 2, 2, false, Set.of("a0.h1->a1.h0<q>", "a1.h0->logits"),
                null);
        String text = Files.readString(edgeScored)
                .replace("\"a1.h0\": {\"in_graph\": true}", "\"a1.h0\": {\"score\": -0.7, \"in_graph\": true}")
                .replace("\"m0\": {\"in_graph\": false}", "\"m0\": {\"score\": NaN, \"in_graph\": false}");
        CircuitDocument doc = CircuitJson.read(Files.writeString(dir.resolve("both-scored.json"), text));
        assertEquals(null, doc.method().get(CircuitJson.NODE_SCORES_ONLY), "its edges rank");
        assertFalse(doc.circuit().scores().hasOwnNodeImportance());
        ComputationGraph graph = doc.circuit().graph();
        assertEquals(score("a1.h0->logits"), doc.circuit().scores().get(graph.edge("a1.h0->logits").index()), 1e-12);

        Path rewritten = dir.resolve("both-scored.circuitscope.json");
        CircuitJson.write(rewritten, doc);
        JsonNode root = new ObjectMapper().readTree(rewritten.toFile());
        assertEquals(-0.7, root.get("imported_node_scores").get("a1.h0").asDouble(), 1e-12);
        assertFalse(root.get("imported_node_scores").has("m0"), "NaN: not scored");
        assertEquals(root.get("imported_node_scores"), CircuitJson.read(rewritten).extra().get("imported_node_scores"));
    }

    @Test
    void badEapIgFilesAreNamedErrors() throws Exception {
        Path good = writeEapIgFile(dir.resolve("good.json"), 2, 2, false, Set.of("a1.h0->logits"), null);
        String text = Files.readString(good);
        assertError(text.replace("\"n_layers\": 2, ", ""), "field 'cfg.n_layers' is missing");
        assertError(text.replace("\"parallel_attn_mlp\": false", "\"parallel_attn_mlp\": 0"),
                "field 'cfg.parallel_attn_mlp' must be true or false");
        assertError(text.replace("\"n_heads\": 2", "\"n_heads\": -2"), "field 'cfg.n_heads' must be a positive integer");
        assertError(text.replace("\"a1.h0\": {\"in_graph\": true}", "\"a1.h0\": {\"in_graph\": true, \"neurons\": [true, false]}"),
                "node 'a1.h0' keeps only some of its neurons");
        assertError(text.replace("\"a1.h0->logits\": {\"score\": " + score("a1.h0->logits"),
                "\"a1.h0->logits\": {\"score\": Infinity"), "field 'edges.a1.h0->logits.score' is Infinity");
        assertError(text.replace("\"a1.h0->logits\"", "\"a1.h0->a0.h1<q>\""), "edge 'a1.h0->a0.h1<q>' does not exist");
        assertError("{\"nodes\": {}, \"edges\": {}}", "neither a circuitscope circuit.json nor an EAP-IG graph file");
        // named 'model.n_heads', 'model.n_kv_heads' and 'model.d_model', fields an EAP-IG file does not have
        assertError(text.replace("\"d_model\": 8", "\"d_model\": 9"),
                "fields 'cfg.d_model' (9) and 'cfg.n_heads' (2) are inconsistent: d_model must be a multiple of n_heads");
        // a file for a 3-layer model is refused against a 2-layer one, naming EAP-IG's field
        Path deeper = writeEapIgFile(dir.resolve("deeper.json"), 3, 2, false, Set.of("a2.h0->logits"), null);
        ComputationGraph twoLayers = ComputationGraph.of(ModelConfig.builder("gpt2").setSizes(8, 2, 2, 16, 10, 8).build());
        CircuitFileException e = assertThrows(CircuitFileException.class, () -> CircuitJson.read(deeper, twoLayers));
        assertTrue(e.getMessage().contains("does not exist") || e.getMessage().contains("'cfg.n_layers' is 3"), e.getMessage());
    }

    /**
     * Only a node kept with some of its neurons makes a neuron-level circuit: a neuron mask on a node outside the
     * circuit, or one keeping every neuron, leaves the whole-node circuit as it is.
     */
    @Test
    void neuronMasksOutsideTheCircuitOrKeepingEveryNeuronAreRead() throws Exception {
        Set<String> chain = Set.of("input->a1.h0<v>", "a1.h0->logits");
        Path good = writeEapIgFile(dir.resolve("neurons.json"), 2, 2, false, chain, null);
        String text = Files.readString(good)
                .replace("\"m0\": {\"in_graph\": false}", "\"m0\": {\"in_graph\": false, \"neurons\": [true, false]}")
                .replace("\"a1.h0\": {\"in_graph\": true}", "\"a1.h0\": {\"in_graph\": true, \"neurons\": [true, true]}");
        Path file = Files.writeString(dir.resolve("neurons.json"), text);
        assertEquals(chain, new HashSet<>(CircuitJson.read(file).circuit().edgeNames()));
        assertError(text.replace("\"m0\": {\"in_graph\": false,", "\"m0\": {\"in_graph\": true,"),
                "node 'm0' keeps only some of its neurons");
    }

    private void assertError(String json, String expected) throws Exception {
        Path file = dir.resolve("bad.json");
        Files.writeString(file, json);
        CircuitFileException e = assertThrows(CircuitFileException.class, () -> CircuitJson.read(file));
        assertTrue(e.getMessage().startsWith(file.toString()) && e.getMessage().contains(expected), e.getMessage());
    }

    /** A deterministic score per edge name, as EAP-IG's attribution would leave one. */
    static double score(String edge) {
        return (edge.hashCode() % 1000) / 1000.0;
    }

    /**
     * Writes a file as EAP-IG's Graph.to_json does (Python's json.dump: one line, ", " and ": " separators, NaN
     * literal for a missing score), every edge of the model present, nodes with in_graph only.
     */
    static Path writeEapIgFile(Path file, int layers, int heads, boolean parallel, Set<String> inGraph, String nanEdge)
            throws Exception {
        StringJoiner nodes = new StringJoiner(", ", "{", "}");
        nodes.add("\"input\": {\"in_graph\": true}");
        for (int l = 0; l < layers; l++) {
            for (int h = 0; h < heads; h++) {
                String name = "a" + l + ".h" + h;
                boolean in = inGraph.stream().anyMatch(e -> e.startsWith(name + "->"));
                nodes.add("\"" + name + "\": {\"in_graph\": " + in + "}");
            }
            nodes.add("\"m" + l + "\": {\"in_graph\": false}");
        }
        nodes.add("\"logits\": {\"in_graph\": true}");
        StringJoiner edges = new StringJoiner(", ", "{", "}");
        for (String name : eapIgEdgeNames(layers, heads, parallel)) {
            String s = name.equals(nanEdge) ? "NaN" : Double.toString(score(name));
            edges.add("\"" + name + "\": {\"score\": " + s + ", \"in_graph\": " + inGraph.contains(name) + "}");
        }
        Files.writeString(file, "{\"cfg\": {\"n_layers\": " + layers + ", \"n_heads\": " + heads + ", \"parallel_attn_mlp\": "
                + parallel + ", \"d_model\": 8}, \"nodes\": " + nodes + ", \"edges\": " + edges + "}");
        return file;
    }

    private static Set<String> keys(JsonNode object) {
        Set<String> out = new HashSet<>();
        for (Iterator<String> it = object.fieldNames(); it.hasNext();) {
            out.add(it.next());
        }
        return out;
    }
}

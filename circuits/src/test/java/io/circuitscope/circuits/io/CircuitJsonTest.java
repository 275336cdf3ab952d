package io.circuitscope.circuits.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.circuitscope.core.graph.Circuit;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.EdgeScores;
import io.circuitscope.core.model.ModelConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CircuitJsonTest {
    @TempDir
    Path dir;
    final ComputationGraph graph = ComputationGraph.of(ModelConfig.builder("gpt2").setSizes(8, 2, 2, 16, 10, 8).build());

    @Test
    void roundTripKeepsEdgesAndScores() throws Exception {
        double[] scores = new double[graph.nEdges()];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = i % 3 == 0 ? Double.NaN : i * 0.01;
        }
        Circuit c = Circuit.ofEdgeNames(graph, List.of("a0.h1->a1.h0<k>", "a1.h0->logits", "input->a0.h1<q>"))
                .withScores(new EdgeScores(graph, scores));
        Path file = dir.resolve("circuit.json");
        CircuitJson.write(file, new CircuitDocument(c, Map.of("n_layers", 2), Map.of("name", "t"), Map.of("key", "acdc"),
                Map.of(), Map.of()));
        CircuitDocument back = CircuitJson.read(file, graph);
        assertArrayEquals(c.keepMask(), back.circuit().keepMask());
        for (int i = 0; i < scores.length; i++) {
            assertEquals(scores[i], back.circuit().scores().get(i), 1e-12);
        }
        assertEquals("acdc", back.method().get("key"));
        // EAP-IG's Graph.from_json puts every edge's score into a float tensor: no null may reach it
        JsonNode edges = new ObjectMapper().readTree(file.toFile()).get("edges");
        for (var e : graph.edges()) {
            JsonNode written = edges.get(e.name());
            assertTrue(written.get("score").isNumber(), e.name() + ": " + written);
            assertEquals(Double.isNaN(scores[e.index()]), written.has("scored") && !written.get("scored").asBoolean(),
                    e.name() + ": " + written);
        }
    }

    /**
     * Every field of a position-aware AtP*-style circuit survives write then read: each edge's score (NaN for the
     * unscored, written "scored": false), its importance and in_graph, the nodes' importances, the positions, and
     * the provenance (model, task, method with its nested settings, summary) and later stages' sections. The file's
     * node scores are each node's out-edge sums and its nodes' in_graph the circuit's nodes, counted here by hand.
     */
    @Test
    void aRoundTripKeepsEveryFieldOfAPositionAwareCircuitWithImportancesAndProvenance() throws Exception {
        ComputationGraph split = ComputationGraph.byPosition(graph.config(), 3);
        double[] scores = new double[split.nEdges()];
        double[] importance = new double[split.nEdges()];
        boolean[] keep = new boolean[split.nEdges()];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = i % 5 == 0 ? Double.NaN : (i % 2 == 0 ? -1 : 1) * (0.125 + i * 0.0071);
            importance[i] = Double.isNaN(scores[i]) ? Double.NaN : Math.abs(scores[i]) + (i % 3) * 0.25;
            keep[i] = i % 7 == 1;
        }
        double[] nodeImportance = new double[split.nSources()];
        for (int s = 0; s < nodeImportance.length; s++) {
            nodeImportance[s] = 0.5 + s * 0.375;
        }
        Circuit c = Circuit.of(split, keep, EdgeScores.ranked(split, scores, importance, nodeImportance));
        ObjectMapper json = new ObjectMapper();
        Map<String, Object> model = Map.of("name", "tiny", "n_layers", 2, "n_heads", 2, "d_model", 8, "config_hash", "ab12");
        Map<String, Object> task = Map.of("name", "ioi", "hash", "cafe", "examples", 12);
        Map<String, Object> method = Map.of("key", "atp-star", "metric", "logit_diff", "ablation", "resample", "seed", 7,
                "settings", Map.of("top_n", 9, "threshold", 0.25, "names", List.of("a", "b")));
        Map<String, Object> summary = Map.of("clean", 2.5, "corrupted", -1.25, "circuit", 1.75, "faithfulness", 0.8,
                "edges_in_graph", c.edgeCount(), "seconds", 0.5);
        Map<String, JsonNode> extra = Map.of("validation", json.readTree("{\"faithfulness\": 0.9, \"passed\": true}"),
                "roles", json.readTree("{\"a1.h0\": \"name mover\"}"));
        Path file = dir.resolve("everything.json");
        CircuitJson.write(file, new CircuitDocument(c, model, task, method, summary, extra));

        for (CircuitDocument back : List.of(CircuitJson.read(file, graph), CircuitJson.read(file))) {
            assertEquals(3, back.circuit().graph().positions());
            assertArrayEquals(keep, back.circuit().keepMask());
            EdgeScores s = back.circuit().scores();
            assertTrue(s.hasOwnImportance() && s.hasOwnNodeImportance());
            for (int i = 0; i < scores.length; i++) {
                assertEquals(scores[i], s.get(i), 0, "edge " + i);
                assertEquals(importance[i], s.importance(i), 0, "edge " + i);
            }
            assertArrayEquals(nodeImportance, s.nodeImportances(), 0);
            assertEquals(json.valueToTree(task), json.valueToTree(back.task()));
            assertEquals(json.valueToTree(method), json.valueToTree(back.method()));
            assertEquals(json.valueToTree(summary), json.valueToTree(back.summary()));
            assertEquals(json.valueToTree(model), json.valueToTree(back.model()));
            assertEquals(extra, back.extra());
        }
        JsonNode root = json.readTree(file.toFile());
        double[] sums = new double[split.nSources()];
        java.util.Set<String> inGraph = new java.util.HashSet<>();
        for (var e : split.edges()) {
            JsonNode written = root.get("edges").get(e.name());
            boolean scored = !Double.isNaN(scores[e.index()]);
            assertEquals(scored ? scores[e.index()] : 0.0, written.get("score").asDouble(), 0, e.name());
            assertEquals(!scored, written.has("scored"), e.name());
            assertEquals(keep[e.index()], written.get("in_graph").asBoolean(), e.name());
            if (scored) {
                sums[e.source().sourceIndex()] += scores[e.index()];
            }
            if (keep[e.index()]) {
                inGraph.add(e.source().name());
                inGraph.add(e.destination().node().name());
            }
        }
        for (var n : split.nodes()) {
            JsonNode written = root.get("nodes").get(n.name());
            if (n.isSource()) {
                assertEquals(sums[n.sourceIndex()], written.get("score").asDouble(), 1e-12, n.name());
            }
            assertEquals(inGraph.contains(n.name()), written.get("in_graph").asBoolean(), n.name());
        }
    }

    @Test
    void anUnscoredMarkIsReadAsNoScoreAndMustBeABoolean() throws Exception {
        Path file = dir.resolve("marked.json");
        Circuit c = Circuit.ofEdgeNames(graph, List.of("a1.h0->logits"));
        CircuitJson.write(file, new CircuitDocument(c, Map.of("n_layers", 2), Map.of("name", "t"), Map.of("key", "acdc"),
                Map.of(), Map.of()));
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = (ObjectNode) json.readTree(file.toFile());
        ObjectNode edge = (ObjectNode) root.get("edges").get("a1.h0->logits");
        assertEquals(false, edge.get("scored").asBoolean(), edge.toString());
        // a score a tool wrote beside the mark does not count: the mark says the edge was not scored
        edge.put("score", 5.0);
        json.writeValue(file.toFile(), root);
        CircuitDocument back = CircuitJson.read(file, graph);
        assertTrue(Double.isNaN(back.circuit().scores().get(graph.edge("a1.h0->logits").index())));
        edge.put("scored", "no");
        json.writeValue(file.toFile(), root);
        CircuitFileException e = assertThrows(CircuitFileException.class, () -> CircuitJson.read(file, graph));
        assertTrue(e.getMessage().contains("'edges.a1.h0->logits.scored' must be true or false"), e.getMessage());
    }

    @Test
    void aScorersOwnImportanceRoundTripsAndStillRanksTheEdges() throws Exception {
        double[] scores = new double[graph.nEdges()];
        double[] importance = new double[graph.nEdges()];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = i % 4 == 0 ? Double.NaN : (i % 2 == 0 ? -1 : 1) * i * 0.01;
            importance[i] = Double.isNaN(scores[i]) ? Double.NaN : Math.abs(scores[i]) + (i % 3) * 0.2;
        }
        Circuit c = Circuit.ofEdgeNames(graph, List.of("a1.h0->logits")).withScores(EdgeScores.ranked(graph, scores, importance));
        Path file = dir.resolve("ranked.json");
        CircuitJson.write(file, new CircuitDocument(c, Map.of("n_layers", 2), Map.of("name", "t"),
                Map.of("key", "atp-star"), Map.of(), Map.of()));
        EdgeScores back = CircuitJson.read(file, graph).circuit().scores();
        assertTrue(back.hasOwnImportance());
        for (int i = 0; i < scores.length; i++) {
            assertEquals(scores[i], back.get(i), 1e-12);
            assertEquals(importance[i], back.importance(i), 1e-12);
        }
        assertArrayEquals(EdgeScores.ranked(graph, scores, importance).ranking(), back.ranking());

        String text = Files.readString(file).replaceFirst("\"importance\" *: *[0-9.eE-]+", "\"importance\" : -1");
        Files.writeString(file, text);
        CircuitFileException e = assertThrows(CircuitFileException.class, () -> CircuitJson.read(file, graph));
        assertTrue(e.getMessage().contains("importance' must be a finite number >= 0"), e.getMessage());

        // an importance beside a null score read "must be a finite number >= 0 beside a numeric 'score', got 0.2 without a score"
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = (ObjectNode) json.readTree(text.replaceFirst("\"importance\" : -1", "\"importance\" : 0.2"));
        String first = null;
        for (var it = root.get("edges").fields(); it.hasNext() && first == null;) {
            var edge = it.next();
            first = edge.getValue().path("importance").asDouble() == 0.2 ? edge.getKey() : null;
        }
        ((ObjectNode) root.get("edges").get(first)).putNull("score");
        json.writeValue(file.toFile(), root);
        e = assertThrows(CircuitFileException.class, () -> CircuitJson.read(file, graph));
        String withImportance = first;
        assertEquals(file + ": field 'edges." + withImportance + ".importance' is 0.2 but the edge has no score (null): an importance "
                + "goes with a numeric 'score'; remove one or give the other", e.getMessage());

        // NaN failed later, in EdgeScores, with no file named; Infinity was taken and ranked its edge first
        for (String bad : new String[] {"NaN", "Infinity"}) {
            Files.writeString(file, text.replaceFirst("\"importance\" : -1", "\"importance\" : " + bad));
            e = assertThrows(CircuitFileException.class, () -> CircuitJson.read(file, graph), bad);
            assertTrue(e.getMessage().startsWith(file + ": field 'edges.") && e.getMessage().contains(
                    ".importance' must be a finite number >= 0 beside a numeric 'score', got " + bad), e.getMessage());
        }
    }

    @Test
    void aScorersOwnNodeImportanceRoundTripsAndBadOnesAreNamed() throws Exception {
        double[] scores = new double[graph.nEdges()];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = (i % 2 == 0 ? -1 : 1) * i * 0.01;
        }
        double[] nodeImportance = new double[graph.nSources()];
        for (int s = 0; s < nodeImportance.length; s++) {
            nodeImportance[s] = 5 - s * 0.5;
        }
        Circuit c = Circuit.ofEdgeNames(graph, List.of("a1.h0->logits"))
                .withScores(EdgeScores.ranked(graph, scores, null, nodeImportance));
        Path file = dir.resolve("nodes.json");
        CircuitJson.write(file, new CircuitDocument(c, Map.of("n_layers", 2), Map.of("name", "t"),
                Map.of("key", "atp-star"), Map.of(), Map.of()));
        EdgeScores back = CircuitJson.read(file, graph).circuit().scores();
        assertTrue(back.hasOwnNodeImportance());
        assertTrue(!back.hasOwnImportance(), "no edge gave an importance");
        assertArrayEquals(nodeImportance, back.nodeImportances(), 1e-12);

        Files.writeString(file, Files.readString(file).replaceFirst("\"importance\" *: *[0-9.eE-]+", "\"importance\" : \"high\""));
        CircuitFileException e = assertThrows(CircuitFileException.class, () -> CircuitJson.read(file, graph));
        assertTrue(e.getMessage().contains("field 'nodes.input.importance' must be a finite number >= 0"), e.getMessage());
        Files.writeString(file, Files.readString(file).replaceFirst("\"importance\" : \"high\"", "\"importance\" : Infinity"));
        e = assertThrows(CircuitFileException.class, () -> CircuitJson.read(file, graph));
        assertTrue(e.getMessage().contains("field 'nodes.input.importance' must be a finite number >= 0, got Infinity"),
                e.getMessage());
    }

    @Test
    void positionAwareCircuitsRoundTripWithTheirPositions() throws Exception {
        ComputationGraph split = ComputationGraph.byPosition(graph.config(), 5);
        double[] scores = new double[split.nEdges()];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = i * 0.001;
        }
        Circuit c = Circuit.ofEdgeNames(split, List.of("a0.h1->a1.h0<k>@2", "a1.h0->logits@4"))
                .withScores(new EdgeScores(split, scores));
        Path file = dir.resolve("positions.json");
        CircuitJson.write(file, new CircuitDocument(c, Map.of("n_layers", 2, "n_heads", 2), Map.of("name", "t"),
                Map.of("key", "acdc"), Map.of(), Map.of()));
        assertTrue(Files.readString(file).contains("\"a1.h0->logits@4\""));
        for (CircuitDocument back : List.of(CircuitJson.read(file, graph), CircuitJson.read(file))) {
            assertEquals(5, back.circuit().graph().positions(), "read against the model's graph split by the file's positions");
            assertEquals(c.edgeNames(), back.circuit().edgeNames());
            assertEquals(scores[7], back.circuit().scores().get(7), 1e-12);
            assertTrue(back.extra().isEmpty(), "'positions' is not an extra section");
        }
        // an edge name with a position in a file that does not say positions is named in the error
        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, Files.readString(file).replace("\"positions\"", "\"positions_\""));
        CircuitFileException e = assertThrows(CircuitFileException.class, () -> CircuitJson.read(bad, graph));
        assertTrue(e.getMessage().contains("@") && e.getMessage().contains("no 'positions' field"), e.getMessage());
    }

    /**
     * An infinite score was written as the JSON string "Infinity" (EAP-IG's from_json would put a string into a
     * tensor, and this reader took it back as no score); now the write is refused, naming the edge, and no file is left.
     */
    @Test
    void anInfiniteScoreIsRefusedAtWriteNamingTheEdge() {
        double[] scores = new double[graph.nEdges()];
        scores[graph.edge("a1.h0->logits").index()] = Double.NEGATIVE_INFINITY;
        Circuit c = Circuit.ofEdgeNames(graph, List.of("a1.h0->logits")).withScores(new EdgeScores(graph, scores));
        Path file = dir.resolve("infinite.json");
        CircuitFileException e = assertThrows(CircuitFileException.class, () -> CircuitJson.write(file,
                new CircuitDocument(c, Map.of("n_layers", 2), Map.of("name", "t"), Map.of("key", "eap"), Map.of(), Map.of())));
        assertEquals(file + ": cannot write edge 'a1.h0->logits': its score is -Infinity, and circuit.json holds finite "
                + "numbers only (JSON has no infinity)", e.getMessage());
        assertTrue(Files.notExists(file));
    }

    /** A score that is neither a number nor null (a string, even "7.5") was read silently as no score. */
    @Test
    void aScoreThatIsNeitherANumberNorNullIsRefusedNamingFileEdgeAndValue() throws Exception {
        Path file = dir.resolve("strings.json");
        Circuit c = Circuit.ofEdgeNames(graph, List.of("a1.h0->logits")).withScores(new EdgeScores(graph,
                new double[graph.nEdges()]));
        CircuitJson.write(file, new CircuitDocument(c, Map.of("n_layers", 2), Map.of("name", "t"), Map.of("key", "eap"),
                Map.of(), Map.of()));
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = (ObjectNode) json.readTree(file.toFile());
        ObjectNode edge = (ObjectNode) root.get("edges").get("a1.h0->logits");
        for (String value : List.of("\"Infinity\"", "\"7.5\"", "true", "[1.0]")) {
            edge.set("score", json.readTree(value));
            edge.put("importance", 6.17); // named as the score's fault, not as an importance "without a score"
            json.writeValue(file.toFile(), root);
            CircuitFileException e = assertThrows(CircuitFileException.class, () -> CircuitJson.read(file, graph));
            assertTrue(e.getMessage().startsWith(file + ": field 'edges.a1.h0->logits.score' must be a number or null, "
                    + "got " + value), e.getMessage());
        }
        edge.putNull("score");
        edge.remove("importance");
        json.writeValue(file.toFile(), root);
        assertTrue(Double.isNaN(CircuitJson.read(file, graph).circuit().scores().get(graph.edge("a1.h0->logits").index())));
    }

    /**
     * An edge given twice, once in the circuit and once not, was read as its last value with no word: which one a
     * file meant depended on the reader. Any key given twice is now refused, naming the file, the key and the place.
     */
    @Test
    void aKeyGivenTwiceIsRefusedNamingFileKeyAndPlace() throws Exception {
        Path f = dir.resolve("twice.json");
        CircuitJson.write(f, new CircuitDocument(Circuit.ofEdgeNames(graph, List.of("a1.h0->logits")), Map.of("n_layers", 2),
                Map.of("name", "t"), Map.of("key", "acdc"), Map.of(), Map.of()));
        String text = Files.readString(f);
        Files.writeString(f, text.replaceFirst("\"edges\" : \\{", "\"edges\" : {\n    \"a1.h0->logits\" : {\"score\" : 1.0, "
                + "\"in_graph\" : false},"));
        CircuitFileException e = assertThrows(CircuitFileException.class, () -> CircuitJson.read(f, graph));
        assertTrue(e.getMessage().startsWith(f + ": not valid JSON: key 'a1.h0->logits' appears twice (line "), e.getMessage());
        assertThrows(CircuitFileException.class, () -> CircuitJson.read(f), "read without the model too");
        Files.writeString(f, text.replaceFirst("\"schema\"", "\"task\" : {},\n  \"schema\""));
        e = assertThrows(CircuitFileException.class, () -> CircuitJson.read(f, graph));
        assertTrue(e.getMessage().contains("key 'task' appears twice"), e.getMessage());
    }

    /**
     * Two finite edge scores of 1e308 out of one node sum to Infinity, that node's score: the diagram drew it with width
     * Infinity, and validate judged the circuit, then failed to write its result. The file is refused when read.
     */
    @Test
    void finiteScoresWhoseNodeSumIsInfiniteAreRefusedWhenRead() throws Exception {
        Path f = dir.resolve("huge.json");
        CircuitJson.write(f, new CircuitDocument(Circuit.ofEdgeNames(graph, List.of("a1.h0->logits")), Map.of("n_layers", 2),
                Map.of("name", "t"), Map.of("key", "acdc"), Map.of(), Map.of()));
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = (ObjectNode) json.readTree(f.toFile());
        for (String edge : new String[] {"a0.h1->a1.h0<q>", "a0.h1->logits"}) {
            ObjectNode e = (ObjectNode) root.get("edges").get(edge);
            e.remove("scored");
            e.put("score", 1e308);
        }
        json.writeValue(f.toFile(), root);
        CircuitFileException e = assertThrows(CircuitFileException.class, () -> CircuitJson.read(f, graph));
        assertTrue(e.getMessage().startsWith(f + ": the scores of node 'a0.h1''s out-edges sum to Infinity"), e.getMessage());
        assertThrows(CircuitFileException.class, () -> CircuitJson.read(f), "read without the model too");
    }

    /**
     * A section that is not an object was read as empty (a method of "acdc" lost its settings without a word), and a
     * cfg that gives another shape than model made one file two circuits: EAP-IG builds its graph from cfg,
     * circuitscope from model. Both are refused, naming the fields; numbers written 2 and 2.0 agree.
     */
    @Test
    void sectionsThatAreNoObjectsOrACfgThatDisagreesWithModelAreRefused() throws Exception {
        Path f = dir.resolve("sections.json");
        CircuitJson.write(f, new CircuitDocument(Circuit.ofEdgeNames(graph, List.of("a1.h0->logits")),
                Map.of("n_layers", 2, "n_heads", 2, "d_model", 8), Map.of("name", "t"), Map.of("key", "acdc"), Map.of(),
                Map.of()));
        ObjectMapper json = new ObjectMapper();
        ObjectNode written = (ObjectNode) json.readTree(f.toFile());
        for (String section : List.of("model", "task", "method", "summary", "cfg")) {
            ObjectNode root = written.deepCopy();
            root.put(section, "acdc");
            json.writeValue(f.toFile(), root);
            String message = assertThrows(CircuitFileException.class, () -> CircuitJson.read(f, graph), section).getMessage();
            assertEquals(f + ": field '" + section + "' must be an object, got a string", message);
            assertThrows(CircuitFileException.class, () -> CircuitJson.read(f), "read without the model too");
        }
        ObjectNode root = written.deepCopy();
        ((ObjectNode) root.get("cfg")).put("n_heads", 4);
        json.writeValue(f.toFile(), root);
        String message = assertThrows(CircuitFileException.class, () -> CircuitJson.read(f, graph)).getMessage();
        assertTrue(message.startsWith(f + ": fields 'cfg.n_heads' (4) and 'model.n_heads' (2) disagree"), message);
        root = written.deepCopy();
        ((ObjectNode) root.get("cfg")).put("parallel_attn_mlp", true);
        ((ObjectNode) root.get("model")).put("parallel_attn_mlp", false);
        json.writeValue(f.toFile(), root);
        message = assertThrows(CircuitFileException.class, () -> CircuitJson.read(f)).getMessage();
        assertTrue(message.contains("'cfg.parallel_attn_mlp' (true) and 'model.parallel_attn_mlp' (false) disagree"), message);
        root = written.deepCopy();
        ((ObjectNode) root.get("model")).put("d_model", 8.0);
        json.writeValue(f.toFile(), root);
        assertEquals(1, CircuitJson.read(f, graph).circuit().edgeCount(), "8 and 8.0 are the same width");
    }

    /**
     * Found by CircuitFileFuzzTest: a NaN or infinite literal (accepted, as EAP-IG's files hold NaN scores) in a shape
     * field that cfg and model both give failed with a bare NumberFormatException ("Character N is neither a decimal
     * digit number...") when the two were compared.
     */
    @Test
    void aShapeFieldThatIsNotAFiniteNumberIsNamedNotANumberFormatException() throws Exception {
        Path f = dir.resolve("nan.json");
        CircuitJson.write(f, new CircuitDocument(Circuit.ofEdgeNames(graph, List.of("a1.h0->logits")),
                Map.of("n_layers", 2, "n_heads", 2, "d_model", 8), Map.of("name", "t"), Map.of("key", "acdc"), Map.of(),
                Map.of()));
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = (ObjectNode) json.readTree(f.toFile());
        for (String literal : List.of("NaN", "Infinity", "-Infinity")) {
            ((ObjectNode) root.get("model")).put("n_heads", "PLACEHOLDER");
            Files.writeString(f, json.writeValueAsString(root).replace("\"PLACEHOLDER\"", literal));
            CircuitFileException e = assertThrows(CircuitFileException.class, () -> CircuitJson.read(f, graph), literal);
            assertTrue(e.getMessage().startsWith(f + ": fields 'cfg.n_heads' (2) and 'model.n_heads' ("), e.getMessage());
            assertTrue(e.getMessage().contains(") disagree"), e.getMessage());
            assertThrows(CircuitFileException.class, () -> CircuitJson.read(f), "read without the model too");
        }
    }

    @Test
    void malformedOrOlderFilesGiveClearErrors() throws Exception {
        Path f = dir.resolve("c.json");
        Files.writeString(f, "{\"schema\": \"circuitscope.circuit/0\", \"edges\": {}}");
        assertTrue(assertThrows(CircuitFileException.class, () -> CircuitJson.read(f, graph)).getMessage()
                .contains("'circuitscope.circuit/0' but this version of circuitscope reads 'circuitscope.circuit/1'"));
        Files.writeString(f, "{\"edges\": {}}");
        assertTrue(assertThrows(CircuitFileException.class, () -> CircuitJson.read(f, graph)).getMessage()
                .contains("'schema' is missing"));
        Files.writeString(f, "{\"schema\": \"circuitscope.circuit/1\", \"edges\": {\"a9.h9->logits\": {\"in_graph\": true}}}");
        assertTrue(assertThrows(CircuitFileException.class, () -> CircuitJson.read(f, graph)).getMessage()
                .contains("'a9.h9->logits' does not exist"));
        Files.writeString(f, "{\"schema\": \"circuitscope.circuit/1\", \"edges\": {\"input->logits\": {\"in_graph\": 3}}}");
        assertTrue(assertThrows(CircuitFileException.class, () -> CircuitJson.read(f, graph)).getMessage()
                .contains("'edges.input->logits.in_graph' must be true or false"));
        Files.writeString(f, "{not json");
        assertTrue(assertThrows(CircuitFileException.class, () -> CircuitJson.read(f, graph)).getMessage()
                .contains("not valid JSON"));
        // an empty file and a list both read "not a JSON object"; a schema that is a number read "'schema' is missing"
        Files.writeString(f, "");
        assertEquals(f + ": the file is empty (no JSON in it)",
                assertThrows(CircuitFileException.class, () -> CircuitJson.read(f)).getMessage());
        Files.writeString(f, "[1, 2]");
        assertEquals(f + ": not a JSON object (it holds an array)",
                assertThrows(CircuitFileException.class, () -> CircuitJson.read(f, graph)).getMessage());
        Files.writeString(f, "{\"schema\": 1, \"edges\": {}}");
        assertEquals(f + ": field 'schema' must be the string 'circuitscope.circuit/1', got 1",
                assertThrows(CircuitFileException.class, () -> CircuitJson.read(f, graph)).getMessage());
    }

    @Test
    void aRecordedLayerCountThatIsNoPositiveIntegerIsNamedWhenReadWithTheModel() throws Exception {
        Path f = dir.resolve("c.json");
        for (String bad : new String[] {"\"2\"", "\"two\"", "-2", "0", "2.5"}) {
            Files.writeString(f, "{\"schema\": \"circuitscope.circuit/1\", \"model\": {\"n_layers\": " + bad
                    + "}, \"edges\": {}}");
            String message = assertThrows(CircuitFileException.class, () -> CircuitJson.read(f, graph), bad).getMessage();
            assertTrue(message.contains("'model.n_layers' must be a positive integer, got " + bad), message);
        }
        Files.writeString(f, "{\"schema\": \"circuitscope.circuit/1\", \"model\": {\"n_layers\": 3}, \"edges\": {}}");
        assertTrue(assertThrows(CircuitFileException.class, () -> CircuitJson.read(f, graph)).getMessage()
                .contains("'model.n_layers' is 3 but the model has 2 layers"));
        Files.writeString(f, "{\"schema\": \"circuitscope.circuit/1\", \"model\": {\"n_layers\": 2}, \"edges\": {}}");
        assertEquals(0, CircuitJson.read(f, graph).circuit().edgeCount());
    }

    @Test
    void readsWithoutTheModelByRebuildingTheGraphFromTheModelSection() throws Exception {
        for (boolean parallel : new boolean[] {false, true}) {
            ComputationGraph g = ComputationGraph.of(ModelConfig.builder("gpt2").setSizes(8, 3, 2, 16, 10, 8)
                    .optParallelAttnMlp(parallel).build());
            Circuit c = Circuit.ofEdgeNames(g, List.of("input->a0.h1<v>", "a0.h1->a2.h0<q>", "a2.h0->logits"));
            Path file = dir.resolve("p" + parallel + ".json");
            Map<String, Object> model = new java.util.LinkedHashMap<>(Map.of("n_layers", 3, "n_heads", 2, "d_model", 8));
            CircuitJson.write(file, new CircuitDocument(c, model, Map.of(), Map.of(), Map.of(), Map.of()));
            // written without parallel_attn_mlp (older files): inferred from the edge list
            CircuitDocument old = CircuitJson.read(file);
            assertEquals(g.nEdges(), old.circuit().graph().nEdges(), "parallel=" + parallel);
            assertEquals(parallel, old.circuit().graph().config().parallelAttnMlp());
            assertArrayEquals(c.keepMask(), old.circuit().keepMask());
            model.put("parallel_attn_mlp", parallel);
            CircuitJson.write(file, new CircuitDocument(c, model, Map.of(), Map.of(), Map.of(), Map.of()));
            assertArrayEquals(c.keepMask(), CircuitJson.read(file).circuit().keepMask());
        }
    }

    /** A recorded shape too large to build (100,000 layers) ran out of memory with a stack trace. */
    @Test
    void aRecordedShapeWhoseGraphCannotFitIsNamed() throws Exception {
        Path f = dir.resolve("huge.json");
        Files.writeString(f, "{\"schema\": \"circuitscope.circuit/1\", \"model\": {\"n_layers\": 100000, \"n_heads\": 4}, "
                + "\"edges\": {\"input->logits\": {\"in_graph\": true}}}");
        String message = assertThrows(CircuitFileException.class, () -> CircuitJson.read(f)).getMessage();
        assertTrue(message.startsWith(f + ": fields 'model.n_layers' (100000) and 'model.n_heads' (4) cannot be the "
                + "model's: the graph of 100000 layers x 4 heads has "), message);

        Files.writeString(f, "{\"schema\": \"circuitscope.circuit/1\", \"positions\": 2000000000, \"model\": "
                + "{\"n_layers\": 2, \"n_heads\": 2}, \"edges\": {}}");
        for (Runnable read : List.<Runnable>of(() -> CircuitJson.read(f), () -> CircuitJson.read(f, graph))) {
            message = assertThrows(CircuitFileException.class, read::run).getMessage();
            assertTrue(message.startsWith(f + ": field 'positions' (2000000000) cannot be the prompts' length: the "
                    + "graph of 2 layers x 2 heads split by 2000000000 positions has "), message);
        }
    }

    @Test
    void readingWithoutTheModelNamesTheMissingField() throws Exception {
        Path f = dir.resolve("m.json");
        Files.writeString(f, "{\"schema\": \"circuitscope.circuit/1\", \"edges\": {}}");
        assertTrue(assertThrows(CircuitFileException.class, () -> CircuitJson.read(f)).getMessage()
                .contains("m.json: field 'model' is missing"));
        Files.writeString(f, "{\"schema\": \"circuitscope.circuit/1\", \"model\": {\"n_layers\": 2}, \"edges\": {}}");
        assertTrue(assertThrows(CircuitFileException.class, () -> CircuitJson.read(f)).getMessage()
                .contains("'model.n_heads' is missing"));
        Files.writeString(f, "{\"schema\": \"circuitscope.circuit/1\", \"model\": {\"n_layers\": 2, \"n_heads\": -1}}");
        assertTrue(assertThrows(CircuitFileException.class, () -> CircuitJson.read(f)).getMessage()
                .contains("'model.n_heads' must be a positive integer"));
        Path none = dir.resolve("none.json");
        assertEquals(none + ": no such file",
                assertThrows(CircuitFileException.class, () -> CircuitJson.read(none)).getMessage());
    }

    /**
     * circuit.json wrote -0.0 (a complement faithfulness of -0.0 on the planted IOI circuit, "value": -0.0 under
     * "<= 0.2"): a sign where there is none. Every negative zero is written 0.0, in scores, summary and later sections.
     */
    @Test
    void negativeZerosAreWrittenAsZero() throws Exception {
        double[] scores = new double[graph.nEdges()];
        scores[0] = -0.0;
        Circuit c = Circuit.ofEdgeNames(graph, List.of("a1.h0->logits")).withScores(new EdgeScores(graph, scores));
        ObjectNode validation = new ObjectMapper().createObjectNode();
        validation.putArray("metrics").addObject().put("name", "complement").put("value", -0.0);
        Path file = dir.resolve("zeros.json");
        CircuitJson.write(file, new CircuitDocument(c, Map.of("n_layers", 2), Map.of("name", "t"), Map.of("key", "eap"),
                Map.of("corrupted", -0.0), Map.of("validation", validation)));
        String text = Files.readString(file);
        assertTrue(!text.contains("-0.0") && !text.contains("-0,"), text);
        assertEquals(0.0, new ObjectMapper().readTree(file.toFile()).get("summary").get("corrupted").asDouble());
    }
}

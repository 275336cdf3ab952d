package io.circuitscope.circuits.io;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.circuitscope.core.graph.Circuit;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.Edge;
import io.circuitscope.core.graph.EdgeScores;
import io.circuitscope.core.graph.GraphTooLargeException;
import io.circuitscope.core.graph.Node;
import io.circuitscope.core.io.AtomicFile;
import io.circuitscope.core.model.ModelConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads and writes {@code circuit.json}, schema {@value #SCHEMA}.
 *
 * <pre>
 * {
 *   "schema": "circuitscope.circuit/1",
 *   "software": {"name": "circuitscope", "version": "...", "git_commit": "40 hex or null", "git_dirty": false},
 *               (discover, batch and train-toy add "java", "java_vendor", "djl", "pytorch")
 *   "command": {"argv": ["discover", ...], "working_directory": "..."},   (optional: the command line that wrote it)
 *   "model":   {"name", "family", "config_hash", "n_layers", "n_heads", "n_kv_heads", "d_model", "d_mlp",
 *               "vocab_size", "context_length", "parallel_attn_mlp"},
 *   "task":    {"name", "hash", "examples"},
 *   "method":  {"key", "settings": {...}, "metric", "ablation", "seed"},
 *   "summary": {"clean", "corrupted", "circuit", "faithfulness", "edges_in_graph", "forward_passes", "gradient_passes", "seconds"},
 *   "positions": 15                (only for position-aware circuits: edges are split by token position)
 *   "nodes": {"a0.h1": {"score": 0.1, "in_graph": true}, ...},
 *   "edges": {"a0.h1->a2.h3<k>": {"score": 0.02, "in_graph": true}, ...},   (position-aware: "a0.h1->a2.h3<k>@5")
 *           (a scorer that ranks by more than |score|, AtP*, adds "importance": 0.05 to each scored edge
 *            and to each node with a score)
 *   "validation": {...}            (added by `circuitscope validate`)
 *   "roles":   {"a9.h9": "name mover", ...}          (optional: role of a node, coloured in diagrams)
 *   "heatmaps": [{"title", "row_labels", "col_labels", "values": [[...], ...]}]  (optional: patching results)
 * }
 * </pre>
 * The {@code nodes}/{@code edges} keys follow EAP-IG's Graph.to_json so the file loads in Python
 * tools. Scores are what the method stored (a scorer's estimate of m(edge patched) - m(clean), exact patching's exact
 * value, ACDC's m(after) - m(before) when it removed the edge from the circuit as it stood; the pipeline: ACDC's for
 * the candidates it verified, the scorer's elsewhere), finite numbers only; null means not scored. A node's score is
 * the sum of its out-edges' scores. Writes are
 * atomic. In a position-aware circuit nodes stay whole (a node's score sums its edges over all positions)
 * and edge names end in {@code @position}.
 */
public final class CircuitJson {
    public static final String SCHEMA = "circuitscope.circuit/1";
    public static final String SOFTWARE_VERSION = "0.1.0";
    // Python's json module writes NaN and Infinity for float scores; EAP-IG graph files may hold them
    /**
     * Set in an imported EAP-IG file's method when its nodes carry scores and its edges none (EAP-IG's node attribution
     * leaves every edge score 0): circuitscope ranks edges, so every ranking of such a file is a tie.
     */
    public static final String NODE_SCORES_ONLY = "node_scores_only";

    private static final ObjectMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT)
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            // an edge (or any key) given twice was read as its last value, silently: Python's json does the same, so
            // which of the two a tool kept depended on the tool
            .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
    private static final ObjectMapper COMPACT = new ObjectMapper();

    private CircuitJson() {
    }

    public static void write(Path file, CircuitDocument doc) throws IOException {
        write(file, doc, Provenance.identity());
    }

    /**
     * As {@link #write}, for a circuit transcribed from a paper (the reference circuits) rather than found by a run:
     * its software block names circuitscope and its version but no commit, which no build made and which would make
     * the committed file differ from what its sources define at every commit.
     */
    public static void writeTranscribed(Path file, CircuitDocument doc) throws IOException {
        write(file, doc, Provenance.nameAndVersion());
    }

    private static void write(Path file, CircuitDocument doc, ObjectNode software) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("schema", SCHEMA);
        root.set("software", software);
        root.set("model", JSON.valueToTree(doc.model()));
        root.set("task", JSON.valueToTree(doc.task()));
        root.set("method", JSON.valueToTree(doc.method()));
        root.set("summary", JSON.valueToTree(doc.summary()));
        Circuit c = doc.circuit();
        ComputationGraph g = c.graph();
        if (g.isByPosition()) {
            root.put("positions", g.positions());
        }
        root.set("cfg", JSON.valueToTree(EapIgGraphJson.cfg(g.config()))); // what EAP-IG's Graph.from_json needs
        double[] nodeScores = c.scores().nodeScoresBySource();
        double[] nodeImportance = c.scores().nodeImportances();
        Set<Node> inGraph = c.nodes();
        ObjectNode nodes = root.putObject("nodes");
        ObjectNode edges = root.putObject("edges");
        // edges first: an infinite edge score is named as such, not as the sum it makes of its node's score
        for (Edge e : g.edges()) {
            ObjectNode o = edges.putObject(e.name());
            putScore(o, finite(file, "edge '" + e.name() + "'", "score", c.scores().get(e.index())));
            if (c.scores().hasOwnImportance() && !Double.isNaN(c.scores().get(e.index()))) {
                o.put("importance", finite(file, "edge '" + e.name() + "'", "importance", c.scores().importance(e.index())));
            }
            o.put("in_graph", c.contains(e.index()));
        }
        for (Node n : g.nodes()) {
            ObjectNode o = nodes.putObject(n.name());
            if (n.isSource()) {
                putScore(o, finite(file, "node '" + n.name() + "' (the sum of its out-edges' scores)", "score",
                        nodeScores[n.sourceIndex()]));
                if (c.scores().hasOwnNodeImportance()) {
                    o.put("importance", finite(file, "node '" + n.name() + "'", "importance",
                            nodeImportance[n.sourceIndex()]));
                }
            } else {
                o.putNull("score");
            }
            o.put("in_graph", inGraph.contains(n));
        }
        doc.extra().forEach((key, section) -> root.set(key, section.deepCopy()));
        // a NaN elsewhere (summary, validation, comparison) is null, as JSON has no NaN; a -0.0 is 0.0
        JsonNumbers.normalise(root);
        // Large graphs (GPT-2 small has 32,491 edges) are written without indentation to stay small.
        AtomicFile.write(file, tmp -> (g.nEdges() > 2000 ? COMPACT : JSON).writeValue(tmp.toFile(), root));
    }

    /**
     * {@code value}, refused when infinite (NaN, no score, has its own form): Jackson would write the string
     * "Infinity", which EAP-IG's Graph.from_json would put into a float tensor and this reader could not take back.
     */
    private static double finite(Path file, String owner, String field, double value) {
        if (Double.isInfinite(value)) {
            throw new CircuitFileException(file + ": cannot write " + owner + ": its " + field + " is " + value
                    + ", and circuit.json holds finite numbers only (JSON has no infinity)");
        }
        return value;
    }

    /**
     * An edge that was not scored is written {@code "score": 0.0, "scored": false}: EAP-IG's Graph.from_json assigns
     * every edge's score into a float tensor, so a null there stops it loading the file at all (and a bare NaN is not
     * JSON); {@code scored} keeps the difference from a score of 0 for this reader.
     */
    private static void putScore(ObjectNode o, double score) {
        if (Double.isNaN(score)) {
            o.put("score", 0.0);
            o.put("scored", false);
        } else {
            o.put("score", score);
        }
    }

    /**
     * Reads a circuit against {@code graph}, which must be the graph of the model it was found on. A
     * position-aware file is read against that model's graph split by the file's {@code positions}; the
     * returned circuit carries the graph it was read against.
     */
    public static CircuitDocument read(Path file, ComputationGraph graph) {
        Parsed p = parseChecked(file);
        return asEvaluated(p, read(file, p, withPositions(file, p.root(), graph)));
    }

    /**
     * Reads a circuit without the model: the graph is rebuilt from the {@code model} section
     * ({@code n_layers}, {@code n_heads} and {@code parallel_attn_mlp}; the graph depends on nothing
     * else). Files written before {@code parallel_attn_mlp} was recorded are read as sequential
     * attention-then-MLP blocks unless their edge list is exactly the parallel graph's. The rebuilt
     * {@link ModelConfig} carries the recorded sizes where present and placeholders otherwise: it
     * describes the graph, not a model that can be run.
     */
    public static CircuitDocument read(Path file) {
        Parsed p = parseChecked(file);
        ModelConfig config = configFromModelSection(file, p.root(), p.eapIg() ? "cfg" : "model");
        ComputationGraph graph;
        try {
            graph = ComputationGraph.of(config);
        } catch (GraphTooLargeException e) {
            String section = p.eapIg() ? "cfg" : "model";
            throw new CircuitFileException(file + ": fields '" + section + ".n_layers' (" + config.nLayers() + ") and '"
                    + section + ".n_heads' (" + config.nHeads() + ") cannot be the model's: " + e.getMessage());
        }
        return asEvaluated(p, read(file, p, withPositions(file, p.root(), graph)));
    }

    /**
     * Whether {@code file} is another tool's file (EAP-IG's Graph.to_json) rather than a circuitscope circuit.json;
     * decided by its format, not by what it records (a circuitscope file may record an import).
     */
    public static boolean isEapIgGraphFile(Path file) {
        JsonNode raw = readRaw(file);
        return raw != null && raw.isObject() && EapIgGraphJson.isEapIgGraph(raw);
    }

    /**
     * Whether a document's {@code method} section records an import of an EAP-IG graph file: true for the file itself
     * as read and for the circuitscope file validate wrote from it (NAME.circuitscope.json), whose scores are still
     * EAP-IG's.
     */
    public static boolean recordsEapIgImport(Map<String, Object> method) {
        return "imported".equals(method.get("key")) && EapIgGraphJson.FORMAT.equals(method.get("format"));
    }

    /** A parsed file as a circuitscope document, and whether it was an EAP-IG graph file. */
    private record Parsed(JsonNode root, boolean eapIg) {
    }

    /** An EAP-IG file's circuit as EAP-IG would evaluate it (pruned first); circuitscope's own as read. */
    private static CircuitDocument asEvaluated(Parsed p, CircuitDocument doc) {
        return p.eapIg() ? EapIgGraphJson.asEvaluated(doc) : doc;
    }

    /** {@code graph}, or the same model's graph split by position when the file says {@code "positions"}. */
    private static ComputationGraph withPositions(Path file, JsonNode root, ComputationGraph graph) {
        JsonNode p = root.get("positions");
        if (p == null || p.isNull()) {
            return graph.isByPosition() ? ComputationGraph.of(graph.config()) : graph;
        }
        if (!p.isIntegralNumber() || !p.canConvertToInt() || p.asInt() < 1) {
            throw new CircuitFileException(file + ": field 'positions' must be a positive integer, got " + p);
        }
        try {
            return graph.positions() == p.asInt() ? graph : ComputationGraph.byPosition(graph.config(), p.asInt());
        } catch (GraphTooLargeException e) {
            throw new CircuitFileException(file + ": field 'positions' (" + p.asInt() + ") cannot be the prompts' "
                    + "length: " + e.getMessage());
        }
    }

    /** The graph-defining config recorded in a circuit.json's model section (see {@link #read(Path)}). */
    static ModelConfig configFromModelSection(Path file, JsonNode root, String section) {
        JsonNode model = root.get("model");
        if (model == null || !model.isObject()) {
            throw new CircuitFileException(file + ": field 'model' is missing; it is needed to rebuild the graph without the model");
        }
        int layers = positiveInt(file, model, section, "n_layers", -1);
        int heads = positiveInt(file, model, section, "n_heads", -1);
        int dModel = positiveInt(file, model, section, "d_model", heads);
        int kvHeads = positiveInt(file, model, section, "n_kv_heads", heads);
        // the fields named as the file wrote them: an EAP-IG file's shape is its 'cfg', which has no n_kv_heads
        if (dModel % heads != 0) {
            throw new CircuitFileException(file + ": fields '" + section + ".d_model' (" + dModel + ") and '" + section
                    + ".n_heads' (" + heads + ") are inconsistent: d_model must be a multiple of n_heads");
        }
        if (heads % kvHeads != 0) {
            throw new CircuitFileException(file + ": fields 'model.n_heads' (" + heads + ") and 'model.n_kv_heads' ("
                    + kvHeads + ") are inconsistent: n_heads must be a multiple of n_kv_heads");
        }
        boolean parallel;
        JsonNode p = model.get("parallel_attn_mlp");
        if (p != null && !p.isNull()) {
            if (!p.isBoolean()) {
                throw new CircuitFileException(file + ": field 'model.parallel_attn_mlp' must be true or false");
            }
            parallel = p.asBoolean();
        } else {
            JsonNode edges = root.get("edges");
            long parallelEdges = ComputationGraph.edgeCount(ModelConfig.builder("probe").setSizes(heads, layers, heads, 1, 1, 1)
                    .optParallelAttnMlp(true).build(), 0); // counted, not built: the shape is not checked yet
            parallel = edges != null && edges.size() == parallelEdges && !edges.has("a0.h0->m0");
        }
        JsonNode family = model.get("family");
        return ModelConfig.builder(family != null && family.isTextual() ? family.asText() : "unknown")
                .setSizes(dModel, layers, heads, positiveInt(file, model, section, "d_mlp", 1), positiveInt(file, model, section, "vocab_size", 1),
                        positiveInt(file, model, section, "context_length", 1))
                .optKvHeads(kvHeads).optParallelAttnMlp(parallel).build();
    }

    private static int positiveInt(Path file, JsonNode model, String section, String field, int fallback) {
        JsonNode v = model.get(field);
        if (v == null || v.isNull()) {
            if (fallback > 0) {
                return fallback;
            }
            throw new CircuitFileException(file + ": field '" + section + "." + field + "' is missing; it is needed to rebuild the "
                    + "graph without the model");
        }
        if (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() <= 0) {
            throw new CircuitFileException(file + ": field '" + section + "." + field + "' must be a positive integer, got " + v);
        }
        return v.asInt();
    }

    private static Parsed parseChecked(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new CircuitFileException(file + ": no such file");
        }
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new CircuitFileException(file + ": " + io.circuitscope.core.io.ReadErrors.describe(e));
        }
        if (root == null || root.isMissingNode()) { // was "not a JSON object", as for a list
            throw new CircuitFileException(file + ": the file is empty (no JSON in it)");
        }
        if (!root.isObject()) {
            throw new CircuitFileException(file + ": not a JSON object (it holds " + kind(root) + ")");
        }
        if (EapIgGraphJson.isEapIgGraph(root)) {
            return new Parsed(EapIgGraphJson.asCircuitscope(file, root), true);
        }
        JsonNode schema = root.get("schema");
        if (schema != null && !schema.isNull() && !schema.isTextual()) { // was "field 'schema' is missing"
            throw new CircuitFileException(file + ": field 'schema' must be the string '" + SCHEMA + "', got " + schema);
        }
        if (schema == null || !schema.isTextual()) {
            throw new CircuitFileException(file + ": field 'schema' is missing; this is neither a circuitscope circuit.json "
                    + "nor an EAP-IG graph file (fields 'cfg', 'nodes', 'edges')");
        }
        if (!schema.asText().equals(SCHEMA)) {
            throw new CircuitFileException(file + ": field 'schema' is '" + schema.asText() + "' but this version of "
                    + "circuitscope reads '" + SCHEMA + "'");
        }
        requireSectionsAgree(file, root);
        return new Parsed(root, false);
    }

    /**
     * Refuses a circuitscope file whose sections cannot mean what they say: a {@code model}, {@code task},
     * {@code method} or {@code summary} that is not an object (it was read as empty, so its settings and
     * provenance vanished without a word), and a {@code cfg} that gives another shape than {@code model}
     * (EAP-IG's from_json builds the graph from cfg, circuitscope from model: the one file would be two circuits).
     */
    private static void requireSectionsAgree(Path file, JsonNode root) {
        for (String section : List.of("model", "task", "method", "summary", "cfg")) {
            JsonNode v = root.get(section);
            if (v != null && !v.isNull() && !v.isObject()) {
                throw new CircuitFileException(file + ": field '" + section + "' must be an object, got " + kind(v));
            }
        }
        JsonNode cfg = root.get("cfg");
        JsonNode model = root.get("model");
        if (cfg == null || cfg.isNull() || model == null || model.isNull()) {
            return;
        }
        for (String field : List.of("n_layers", "n_heads", "d_model", "parallel_attn_mlp")) {
            JsonNode a = cfg.get(field);
            JsonNode b = model.get(field);
            if (a == null || a.isNull() || b == null || b.isNull()) {
                continue;
            }
            boolean same = a.isNumber() && b.isNumber() ? sameNumber(a, b) : a.equals(b);
            if (!same) {
                throw new CircuitFileException(file + ": fields 'cfg." + field + "' (" + a + ") and 'model." + field + "' ("
                        + b + ") disagree: EAP-IG's Graph.from_json builds the graph from cfg and circuitscope from model, "
                        + "so the file would be read as two different circuits; make them the same");
            }
        }
    }

    /**
     * Whether two numbers are equal, 8 and 8.0 alike. NaN and the infinities (literals the reader accepts, as EAP-IG's
     * files hold NaN scores) have no decimal value: asking for one threw a bare NumberFormatException. NaN equals
     * nothing, so a NaN field disagrees and is named.
     */
    private static boolean sameNumber(JsonNode a, JsonNode b) {
        if (nonFinite(a) || nonFinite(b)) {
            return a.doubleValue() == b.doubleValue();
        }
        return a.decimalValue().compareTo(b.decimalValue()) == 0;
    }

    private static boolean nonFinite(JsonNode n) {
        return (n.isDouble() || n.isFloat()) && !Double.isFinite(n.doubleValue());
    }

    private static CircuitDocument read(Path file, Parsed parsed, ComputationGraph graph) {
        JsonNode root = parsed.root();
        JsonNode edgesNode = root.get("edges");
        if (edgesNode == null || !edgesNode.isObject()) {
            throw new CircuitFileException(file + ": field 'edges' is missing or not an object");
        }
        JsonNode model = root.get("model");
        JsonNode recordedLayers = model == null ? null : model.get("n_layers");
        if (recordedLayers != null && !recordedLayers.isNull()) {
            String section = parsed.eapIg() ? "cfg" : "model";
            // asInt() would read "3" as 3 and "three" or -3.5 as 0 or -3: a misleading mismatch, so the type first
            int layers = positiveInt(file, model, section, "n_layers", -1);
            if (layers != graph.config().nLayers()) {
                throw new CircuitFileException(file + ": field '" + section + ".n_layers' is " + layers
                        + " but the model has " + graph.config().nLayers() + " layers");
            }
        }
        double[] scores = new double[graph.nEdges()];
        java.util.Arrays.fill(scores, Double.NaN);
        double[] importance = new double[graph.nEdges()];
        java.util.Arrays.fill(importance, -1); // -1: the file gives none for this edge
        boolean anyImportance = false;
        BitSet kept = new BitSet(graph.nEdges());
        for (Iterator<Map.Entry<String, JsonNode>> it = edgesNode.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> entry = it.next();
            String name = entry.getKey();
            if (!graph.hasEdge(name)) {
                throw new CircuitFileException(file + ": edge '" + name + "' does not exist in the model's graph"
                        + (graph.isByPosition() ? " split by " + graph.positions() + " positions"
                                : name.contains("@") ? " (a position-aware edge, but the file has no 'positions' field)" : ""));
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
            JsonNode scored = e.get("scored");
            if (scored != null && !scored.isBoolean()) {
                throw new CircuitFileException(file + ": field 'edges." + name + ".scored' must be true or false");
            }
            if (scored != null && !scored.asBoolean()) {
                s = null; // written as 0.0 for EAP-IG's sake; not a score
            }
            if (s != null && !s.isNull() && !s.isNumber()) { // a string, even "7.5" or "Infinity", was read as no score
                throw new CircuitFileException(file + ": field 'edges." + name + ".score' must be a number or null, got "
                        + s + " (" + s.getNodeType().name().toLowerCase(java.util.Locale.ROOT) + ")");
            }
            if (s != null && s.isNumber()) {
                if (Double.isInfinite(s.asDouble())) {
                    throw new CircuitFileException(file + ": field 'edges." + name + ".score' is " + s.asDouble()
                            + "; a score must be a finite number (an edge that was not scored: null, NaN, or \"scored\": false)");
                }
                scores[index] = s.asDouble(); // NaN: not scored
            }
            JsonNode imp = e.get("importance");
            if (imp != null && !imp.isNull()) {
                // NaN passed "< 0" and failed later without the file's name; Infinity passed and ranked first
                if (!imp.isNumber() || !(imp.asDouble() >= 0) || Double.isInfinite(imp.asDouble())) {
                    throw new CircuitFileException(file + ": field 'edges." + name + ".importance' must be a finite number >= 0 "
                            + "beside a numeric 'score', got " + shown(imp));
                }
                if (Double.isNaN(scores[index])) { // read "must be a finite number >= 0 ..., got 0.0287 without a score"
                    throw new CircuitFileException(file + ": field 'edges." + name + ".importance' is " + shown(imp)
                            + " but the edge has no score (" + (s == null ? "none given" : shown(s))
                            + "): an importance goes with a numeric 'score'; remove one or give the other");
                }
                importance[index] = imp.asDouble();
                anyImportance = true;
            }
        }
        if (anyImportance) {
            for (int i = 0; i < scores.length; i++) {
                // unscored edges stay unranked; a scored edge without an importance ranks by |score|
                importance[i] = Double.isNaN(scores[i]) ? Double.NaN : importance[i] < 0 ? Math.abs(scores[i]) : importance[i];
            }
        }
        double[] nodeImportance = nodeImportance(file, root.get("nodes"), graph, parsed.eapIg());
        if (nodeImportance != null) {
            double[] byDefault = new EdgeScores(graph, scores).nodeImportances();
            for (int i = 0; i < nodeImportance.length; i++) {
                // a node without an importance ranks by |score|
                nodeImportance[i] = nodeImportance[i] < 0 ? byDefault[i] : nodeImportance[i];
            }
        }
        EdgeScores edgeScores = EdgeScores.ranked(graph, scores, anyImportance ? importance : null, nodeImportance);
        requireFiniteNodeScores(file, graph, edgeScores);
        Map<String, JsonNode> extra = new LinkedHashMap<>();
        root.fields().forEachRemaining(f -> {
            // a runtime record (java, djl, ...) is kept, so a rewritten file (validate) still names the run that
            // made the circuit; the bare name, version and commit are written anew anyway
            boolean bareSoftware = f.getKey().equals("software") && !f.getValue().has("java");
            if (!bareSoftware && !Set.of("schema", "model", "task", "method", "summary", "nodes", "edges", "positions", "cfg")
                    .contains(f.getKey())) {
                extra.put(f.getKey(), f.getValue());
            }
        });
        return new CircuitDocument(new Circuit(graph, kept, edgeScores), asMap(root.get("model")),
                asMap(root.get("task")), asMap(root.get("method")), asMap(root.get("summary")), extra);
    }

    /**
     * Refuses finite edge scores whose sum, a node's score, is not finite (two edges of 1e308): the diagram drew such
     * a node's edges with width Infinity, and validate judged the circuit and then could not write its result, as
     * circuit.json holds finite numbers only.
     */
    private static void requireFiniteNodeScores(Path file, ComputationGraph graph, EdgeScores scores) {
        double[] nodeScores = scores.nodeScoresBySource();
        for (Node n : graph.nodes()) {
            if (n.isSource() && Double.isInfinite(nodeScores[n.sourceIndex()])) {
                throw new CircuitFileException(file + ": the scores of node '" + n.name() + "''s out-edges sum to "
                        + nodeScores[n.sourceIndex()] + " (a node's score is that sum, and circuit.json holds finite "
                        + "numbers only); scale the scores down");
            }
        }
    }

    /**
     * The nodes' own importances (AtP*'s GradDrop), -1 where a node gives none, or null when no node
     * gives one. Scores of nodes are not read: they are the sums of the edges' scores.
     */
    private static double[] nodeImportance(Path file, JsonNode nodes, ComputationGraph graph, boolean eapIg) {
        if (nodes == null || !nodes.isObject()) {
            return null;
        }
        double[] out = null;
        for (Iterator<Map.Entry<String, JsonNode>> it = nodes.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> entry = it.next();
            JsonNode imp = entry.getValue().get("importance");
            if (imp == null || imp.isNull()) {
                continue;
            }
            String name = entry.getKey();
            Node node = graph.nodes().stream().filter(n -> n.name().equals(name)).findFirst().orElse(null);
            if (node == null || !node.isSource()) {
                // an EAP-IG node-attribution file's importances are its node scores (EapIgGraphJson.keepNodeScores)
                throw new CircuitFileException(file + ": field 'nodes." + name + (eapIg ? ".score" : ".importance")
                        + "' belongs to " + (node == null ? "no node of the model's graph"
                                : "a node without output, which has no score"));
            }
            if (!imp.isNumber() || !(imp.asDouble() >= 0) || Double.isInfinite(imp.asDouble())) {
                throw new CircuitFileException(file + ": field 'nodes." + name + ".importance' must be a finite number >= 0, got "
                        + shown(imp));
            }
            if (out == null) {
                out = new double[graph.nSources()];
                java.util.Arrays.fill(out, -1);
            }
            out[node.sourceIndex()] = imp.asDouble();
        }
        return out;
    }

    /** What a JSON value is, in words: "an array", "a string", ... */
    private static String kind(JsonNode v) {
        return switch (v.getNodeType()) {
            case ARRAY -> "an array";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "true or false";
            case NULL -> "null";
            default -> v.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    /** A value as the file wrote it: Jackson quotes a non-finite number ("NaN"), as if the file held a string. */
    private static String shown(JsonNode v) {
        return v.isNumber() && !Double.isFinite(v.asDouble()) ? String.valueOf(v.asDouble()) : v.toString();
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
            throw new CircuitFileException(file + ": " + io.circuitscope.core.io.ReadErrors.describe(e));
        }
    }
}

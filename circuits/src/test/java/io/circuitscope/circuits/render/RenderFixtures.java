package io.circuitscope.circuits.render;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.circuitscope.circuits.io.CircuitDocument;
import io.circuitscope.core.graph.Circuit;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.EdgeScores;
import io.circuitscope.core.graph.Node;
import io.circuitscope.core.graph.NodeKind;
import io.circuitscope.core.model.ModelConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** A 20-node circuit in a 4-layer, 4-head graph, with roles, heatmaps, validation and comparison sections. */
public final class RenderFixtures {
    static final ObjectMapper JSON = new ObjectMapper();
    public static final ComputationGraph GRAPH = ComputationGraph.of(ModelConfig.builder("gpt2").setSizes(16, 4, 4, 32, 50, 16).build());

    private RenderFixtures() {
    }

    /** The 20 nodes: input, logits and every head and MLP except a2.h3 and a3.h3. */
    public static List<String> nodeNames() {
        List<String> names = new ArrayList<>();
        for (Node n : GRAPH.nodes()) {
            if (!n.name().equals("a2.h3") && !n.name().equals("a3.h3")) {
                names.add(n.name());
            }
        }
        return names;
    }

    public static Circuit circuit() {
        List<Node> chosen = new ArrayList<>();
        for (String n : nodeNames()) {
            Node node = GRAPH.node(n);
            if (node.kind() == NodeKind.HEAD || node.kind() == NodeKind.MLP) {
                chosen.add(node);
            }
        }
        String[] ports = {"<q>", "<k>", "<v>"};
        List<String> edges = new ArrayList<>();
        for (int i = 0; i < chosen.size(); i++) {
            Node d = chosen.get(i);
            String suffix = d.kind() == NodeKind.HEAD ? ports[i % 3] : "";
            List<Node> earlier = chosen.stream().filter(s -> s.layer() < d.layer()).toList();
            if (earlier.isEmpty()) {
                edges.add("input->" + d.name() + suffix);
            } else {
                edges.add(earlier.get((i * 7) % earlier.size()).name() + "->" + d.name() + suffix);
                edges.add(earlier.get((i * 3 + 1) % earlier.size()).name() + "->" + d.name()
                        + (d.kind() == NodeKind.HEAD ? ports[(i + 1) % 3] : ""));
            }
            if (d.layer() == 3 || i % 4 == 0) {
                edges.add(d.name() + "->logits");
            }
        }
        edges.add("input->logits");
        double[] scores = new double[GRAPH.nEdges()];
        Random rng = new Random(7);
        for (int i = 0; i < scores.length; i++) {
            scores[i] = (rng.nextDouble() * 2 - 1) * (rng.nextDouble() < 0.1 ? 1.0 : 0.1);
        }
        for (String e : edges) {
            scores[GRAPH.edge(e).index()] = (rng.nextBoolean() ? 1 : -1) * (0.05 + rng.nextDouble());
        }
        return Circuit.ofEdgeNames(GRAPH, edges.stream().distinct().toList()).withScores(new EdgeScores(GRAPH, scores));
    }

    public static CircuitDocument document() {
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("name", "tiny-gpt2-fixture");
        model.put("family", "gpt2");
        model.put("config_hash", "c0ffee" + "0".repeat(58));
        model.put("n_layers", 4);
        model.put("n_heads", 4);
        model.put("d_model", 16);
        model.put("parallel_attn_mlp", false);
        Map<String, Object> task = Map.of("name", "ioi-fixture", "hash", "feed" + "1".repeat(60), "examples", 32);
        Map<String, Object> method = new LinkedHashMap<>();
        method.put("key", "pipeline");
        method.put("scorer", "eap-ig");
        method.put("tau", 0.01);
        method.put("metric", "logit-diff");
        method.put("seed", 1234);
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("metric", "logit-diff");
        summary.put("clean", 3.25);
        summary.put("corrupted", -0.5);
        summary.put("circuit", 2.9);
        summary.put("faithfulness", 0.9067);
        summary.put("edges_in_graph", circuit().edgeCount());
        summary.put("nodes_in_graph", 20);
        CircuitDocument doc = new CircuitDocument(circuit(), model, task, method, summary, Map.of());

        ObjectNode roles = JSON.createObjectNode();
        roles.put("a3.h0", "name mover").put("a3.h1", "name mover").put("a2.h2", "S-inhibition")
                .put("a1.h1", "induction").put("a0.h1", "duplicate token").put("a0.h2", "previous token");
        ObjectNode validation = JSON.createObjectNode();
        ArrayNode metrics = validation.putArray("metrics");
        metrics.addObject().put("name", "faithfulness").put("value", 0.9067).put("ci_low", 0.85).put("ci_high", 0.95)
                .put("pass", true).put("rule", ">= 0.8");
        metrics.addObject().put("name", "complement faithfulness (necessity)").put("value", 0.31).put("ci_low", 0.22)
                .put("ci_high", 0.4).put("pass", false).put("rule", "<= 0.2");
        metrics.addObject().put("name", "incompleteness (max)").put("value", 0.12);
        validation.put("sufficient", true).put("necessary", false);
        validation.putObject("settings").put("bootstrap_samples", 1000).put("confidence", 0.95);
        ObjectNode comparison = JSON.createObjectNode();
        comparison.put("reference", "ioi-reference").put("edge_precision", 0.75).put("edge_recall", 0.6)
                .put("node_precision", 0.9).put("node_recall", 0.8).put("auc", 0.87);
        ArrayNode roc = comparison.putArray("roc");
        double[][] pts = {{0, 0}, {0.02, 0.4}, {0.05, 0.62}, {0.1, 0.75}, {0.3, 0.9}, {1, 1}};
        for (double[] p : pts) {
            roc.addArray().add(p[0]).add(p[1]);
        }
        ArrayNode heatmaps = JSON.createArrayNode();
        ObjectNode hm = heatmaps.addObject();
        hm.put("title", "head patching (logit difference recovered)");
        ArrayNode rows = hm.putArray("row_labels");
        ArrayNode cols = hm.putArray("col_labels");
        ArrayNode values = hm.putArray("values");
        for (int l = 0; l < 4; l++) {
            rows.add("layer " + l);
            ArrayNode row = values.addArray();
            for (int h = 0; h < 4; h++) {
                row.add(Math.sin(l * 4 + h) * (l + 1) / 4.0);
            }
        }
        for (int h = 0; h < 4; h++) {
            cols.add("head " + h);
        }
        return doc.withExtra(Roles.KEY, roles).withExtra("validation", validation).withExtra("comparison", comparison)
                .withExtra(HtmlReport.HEATMAPS, heatmaps);
    }
}

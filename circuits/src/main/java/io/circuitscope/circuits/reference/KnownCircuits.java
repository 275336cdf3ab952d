package io.circuitscope.circuits.reference;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.circuitscope.circuits.io.CircuitDocument;
import io.circuitscope.core.graph.Circuit;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.Destination;
import io.circuitscope.core.graph.Edge;
import io.circuitscope.core.graph.Node;
import io.circuitscope.core.graph.NodeKind;
import io.circuitscope.core.graph.Port;
import io.circuitscope.core.model.ModelConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Published circuits, built from their sources' head lists and connectivity as circuit documents
 * over the model's graph. Written to {@code src/main/resources/reference/} by {@link #main}; a test
 * checks the committed files equal what this class builds.
 */
public final class KnownCircuits {
    private static final ObjectMapper JSON = new ObjectMapper();

    private KnownCircuits() {
    }

    public static ModelConfig gpt2Small() {
        return ModelConfig.builder("gpt2").setSizes(768, 12, 12, 3072, 50257, 1024).build();
    }

    /** IOI head classes of Wang et al. (2022), as listed in ACDC's canonical IOI circuit. */
    public static Map<String, List<String>> ioiClasses() {
        Map<String, List<String>> c = new LinkedHashMap<>();
        c.put("name mover", List.of("a9.h9", "a10.h0", "a9.h6"));
        c.put("backup name mover", List.of("a10.h10", "a10.h6", "a10.h2", "a10.h1", "a11.h2", "a9.h7", "a9.h0", "a11.h9"));
        c.put("negative name mover", List.of("a10.h7", "a11.h10"));
        c.put("S-inhibition", List.of("a7.h3", "a7.h9", "a8.h6", "a8.h10"));
        c.put("induction", List.of("a5.h5", "a5.h8", "a5.h9", "a6.h9"));
        c.put("duplicate token", List.of("a0.h1", "a0.h10", "a3.h0"));
        c.put("previous token", List.of("a2.h2", "a4.h11"));
        return c;
    }

    /**
     * The IOI circuit in GPT-2 small at edge level, edge for edge ACDC's canonical set (the one its
     * published ROC AUCs are measured against). Heads: {@link #ioiClasses()}. Every MLP is kept (the
     * paper studies heads; MLPs are not knocked out). Edges, by class (ports in brackets): input ->
     * previous token, duplicate token [q,k,v]; -> S-inhibition [q]; -> name movers, backup and negative
     * name movers [k,v]; every earlier MLP -> every circuit head [q,k,v]; previous token -> induction
     * [k,v]; induction and duplicate token -> S-inhibition [k,v]; S-inhibition -> (backup/negative) name
     * movers [q]; name movers of all three kinds -> logits; input, every MLP and every circuit head ->
     * later MLPs; input and MLPs -> logits.
     * <p>ACDC's class-level rules read the input as "embedding and MLPs", which alone would give MLPs
     * only the input's ports; but its code starts from every edge among the circuit's nodes and removes
     * only embedding -> head, head -> head and head -> logits edges, so every MLP -> head edge stays.
     * Its count, 1,041 edges, includes each head's three q/k/v-to-head edges, which this graph does not
     * have as edges: 1,041 - 26 x 3 = 963 here (checked by a test).
     */
    public static CircuitDocument ioi() {
        ComputationGraph g = ComputationGraph.of(gpt2Small());
        Map<String, List<String>> classes = ioiClasses();
        Map<String, String> roleOf = new LinkedHashMap<>();
        classes.forEach((role, heads) -> heads.forEach(h -> roleOf.put(h, role)));
        Set<String> movers = Set.of("name mover", "backup name mover", "negative name mover");
        boolean[] keep = new boolean[g.nEdges()];
        for (Edge e : g.edges()) {
            Node src = e.source();
            Destination d = e.destination();
            boolean srcIsInputLike = src.kind() == NodeKind.INPUT || src.kind() == NodeKind.MLP;
            String srcRole = roleOf.get(src.name());
            String dstRole = roleOf.get(d.node().name());
            boolean kept;
            if (d.node().kind() == NodeKind.MLP) {
                kept = srcIsInputLike || srcRole != null;
            } else if (d.node().kind() == NodeKind.LOGITS) {
                kept = srcIsInputLike || (srcRole != null && movers.contains(srcRole));
            } else if (dstRole == null) {
                kept = false;
            } else if (src.kind() == NodeKind.MLP) {
                kept = true;
            } else if (src.kind() == NodeKind.INPUT) {
                kept = switch (dstRole) {
                    case "previous token", "duplicate token" -> true;
                    case "S-inhibition" -> d.port() == Port.Q;
                    case "name mover", "backup name mover", "negative name mover" -> d.port() != Port.Q;
                    default -> false;
                };
            } else if (srcRole == null) {
                kept = false;
            } else {
                kept = (srcRole.equals("previous token") && dstRole.equals("induction") && d.port() != Port.Q)
                        || ((srcRole.equals("induction") || srcRole.equals("duplicate token"))
                                && dstRole.equals("S-inhibition") && d.port() != Port.Q)
                        || (srcRole.equals("S-inhibition") && movers.contains(dstRole) && d.port() == Port.Q);
            }
            keep[e.index()] = kept;
        }
        return document(Circuit.of(g, keep, null), "gpt2-small-ioi", roleOf,
                "Wang et al. 2022, Interpretability in the Wild (arXiv 2211.00593); head classes and class-level "
                        + "connectivity as in ACDC's canonical IOI circuit (Conmy et al. 2023, "
                        + "github ArthurConmy/Automatic-Circuit-Discovery acdc/ioi/utils.py)");
    }

    /**
     * Greater-Than in GPT-2 small (Hanna et al. 2023) at edge level, edge for edge ACDC's canonical set
     * (the one its published ROC AUCs are measured against): early heads 0.1, 0.3, 0.5 and MLPs 0-3, mid
     * heads 5.5, 6.1, 6.9, 7.10, 8.11, 9.1, late MLPs 8-11. Edges: input -> early nodes; 0.1 -> early
     * MLPs; early heads and early MLPs -> mid heads [q,k,v]; early MLPs -> later early MLPs; mid heads
     * -> late MLPs; late MLPs -> later late MLPs and logits; mid heads -> logits. ACDC adds, because
     * Hanna et al. left the mid heads' queries clean: every MLP below layer 9 -> every later MLP below
     * layer 9, and every earlier MLP -> each mid head's query; this brings in MLPs 4-7. ACDC's count,
     * 262 edges, includes each head's three q/k/v-to-head edges: 262 - 9 x 3 = 235 here (checked by a test).
     */
    public static CircuitDocument greaterThan() {
        ComputationGraph g = ComputationGraph.of(gpt2Small());
        // lists, not Set.of: their order is the roles section's in the written file, the same on every run
        List<String> earlyHeads = List.of("a0.h1", "a0.h3", "a0.h5");
        List<String> earlyMlps = List.of("m0", "m1", "m2", "m3");
        List<String> midHeads = List.of("a5.h5", "a6.h1", "a6.h9", "a7.h10", "a8.h11", "a9.h1");
        List<String> lateMlps = List.of("m8", "m9", "m10", "m11");
        int lastMidLayer = 9;
        Map<String, String> roles = new LinkedHashMap<>();
        earlyHeads.forEach(h -> roles.put(h, "early head"));
        earlyMlps.forEach(h -> roles.put(h, "early MLP"));
        for (int l = 4; l < 8; l++) {
            roles.put("m" + l, "MLP before the year heads");
        }
        midHeads.forEach(h -> roles.put(h, "year attention head"));
        lateMlps.forEach(h -> roles.put(h, "late MLP"));
        Predicate<Edge> rule = e -> {
            String s = e.source().name();
            String d = e.destination().node().name();
            boolean mlpToMlp = e.source().kind() == NodeKind.MLP && e.destination().node().kind() == NodeKind.MLP;
            if (mlpToMlp && e.destination().node().layer() < lastMidLayer) {
                return true; // ACDC: MLPs below the last year head are interconnected
            }
            if (e.source().kind() == NodeKind.MLP && midHeads.contains(d) && e.destination().port() == Port.Q) {
                return true; // ACDC: every earlier MLP feeds the year heads' queries
            }
            boolean early = earlyHeads.contains(d) || earlyMlps.contains(d);
            if (s.equals("input")) {
                return early;
            }
            if (earlyHeads.contains(s)) {
                return (s.equals("a0.h1") && earlyMlps.contains(d)) || midHeads.contains(d);
            }
            if (earlyMlps.contains(s)) {
                return earlyMlps.contains(d) || midHeads.contains(d);
            }
            if (midHeads.contains(s)) {
                return lateMlps.contains(d) || d.equals("logits");
            }
            if (lateMlps.contains(s)) {
                return lateMlps.contains(d) || d.equals("logits");
            }
            return false;
        };
        boolean[] keep = new boolean[g.nEdges()];
        for (Edge e : g.edges()) {
            keep[e.index()] = rule.test(e);
        }
        return document(Circuit.of(g, keep, null), "gpt2-small-greater-than", roles,
                "Hanna, Liu, Variengien 2023, How does GPT-2 compute greater-than? (arXiv 2305.00586); components "
                        + "and edges as in ACDC's canonical Greater-Than circuit (Conmy et al. 2023, github "
                        + "ArthurConmy/Automatic-Circuit-Discovery acdc/greaterthan/utils.py)");
    }

    private static CircuitDocument document(Circuit c, String name, Map<String, String> roles, String source) {
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("name", "openai-community/gpt2");
        model.put("family", "gpt2");
        model.put("n_layers", 12);
        model.put("n_heads", 12);
        model.put("d_model", 768);
        model.put("parallel_attn_mlp", false);
        Map<String, Object> method = new LinkedHashMap<>();
        method.put("key", "reference");
        method.put("source", source);
        ObjectNode roleNode = JSON.valueToTree(roles);
        return new CircuitDocument(c, model, Map.of("name", name), method, Map.of("edges_in_graph", c.edgeCount()),
                Map.of("roles", roleNode));
    }

    /** Node-level translation heads from the seed study (Qwen2.5-3B and Gemma2-2B), per language pair. */
    public static ObjectNode translationHeads() {
        ObjectNode root = JSON.createObjectNode();
        root.put("schema", "circuitscope.heads/1");
        root.put("granularity", "node");
        root.put("source", "shared/seeds/000_c84804530afcc5e8.txt, section 'Difference in Attention Head Pattern': "
                + "heads whose mean attention from the translated sentence to the aligned English tokens exceeds the "
                + "threshold (translation pairs minus random pairs); names are layer.head");
        ObjectNode qwen = root.putObject("Qwen2.5-3B");
        qwen.put("threshold", 0.075);
        qwen.put("threshold_ja", 0.05);
        ObjectNode q = qwen.putObject("heads");
        q.set("EN-FR", JSON.valueToTree(List.of("a20.h1", "a20.h4", "a20.h6", "a25.h5", "a26.h12")));
        q.set("EN-DE", JSON.valueToTree(List.of("a20.h4", "a20.h6", "a25.h5", "a26.h12")));
        q.set("EN-JA", JSON.valueToTree(List.of("a20.h4", "a26.h12")));
        q.set("EN-AR", JSON.valueToTree(List.of("a20.h4", "a26.h12")));
        q.set("EN-ES", JSON.valueToTree(List.of("a15.h8", "a20.h1", "a20.h4", "a20.h6", "a22.h15", "a25.h5", "a26.h12")));
        ObjectNode gemma = root.putObject("Gemma2-2B");
        gemma.put("threshold", 0.04);
        gemma.put("threshold_ja", 0.03);
        ObjectNode gh = gemma.putObject("heads");
        gh.set("EN-FR", JSON.valueToTree(List.of("a6.h2", "a8.h1", "a10.h4", "a15.h0")));
        gh.set("EN-DE", JSON.valueToTree(List.of("a5.h2", "a6.h1", "a6.h2", "a8.h1", "a8.h6", "a10.h4", "a10.h5", "a15.h0")));
        gh.set("EN-JA", JSON.valueToTree(List.of("a6.h2", "a8.h1", "a8.h6", "a10.h4", "a12.h3", "a15.h0", "a16.h4", "a16.h7")));
        gh.set("EN-AR", JSON.valueToTree(List.of("a6.h2", "a8.h1", "a8.h6", "a10.h4", "a10.h5", "a15.h0")));
        gh.set("EN-ES", JSON.valueToTree(List.of("a6.h2", "a8.h1", "a10.h5", "a15.h0")));
        // the seed names no model for this ablation and calls it not rigorous enough to conclude anything
        root.put("note", "The seed study's ablation ('Ablation' section, marked a failed attempt: one EN-FR sentence, "
                + "no model named) found that these heads played no big role there while the first layer and heads "
                + "L3H0, L7H4 did, and calls the experiment not rigorous enough to conclude anything; treat the heads as "
                + "attention-pattern candidates, not a causal circuit.");
        return root;
    }

    /** Regenerates the resource files: {@code java ... KnownCircuits DIR}. */
    public static void main(String[] args) throws Exception {
        java.nio.file.Path dir = java.nio.file.Path.of(args.length > 0 ? args[0] : "circuits/src/main/resources/reference");
        java.nio.file.Files.createDirectories(dir);
        io.circuitscope.circuits.io.CircuitJson.writeTranscribed(dir.resolve("gpt2-small-ioi.json"), ioi());
        io.circuitscope.circuits.io.CircuitJson.writeTranscribed(dir.resolve("gpt2-small-greater-than.json"), greaterThan());
        JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("translation-heads.json").toFile(), translationHeads());
    }
}

package io.circuitscope.circuits.cli;

import static io.circuitscope.circuits.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A circuit found by EAP-IG (its Graph.to_json file) is validated, compared and drawn like one found here,
 * and gets the same verdict as the same edges in a circuit.json.
 */
class EapIgCircuitCommandsTest {
    @TempDir
    Path dir;

    @Test
    void anEapIgFileIsJudgedLikeTheSameCircuitFoundHere() throws Exception {
        Path out = dir.resolve("found");
        CliRun found = run("discover", "--model", "planted:ioi", "--method", "acdc", "--out", out.toString(), "--quiet",
                "--no-render", "--no-validate");
        assertEquals(0, found.code(), found.err());
        Path circuit = out.resolve("circuit.json");
        Path task = out.resolve("task.jsonl");
        ObjectMapper json = new ObjectMapper();
        JsonNode ours = json.readTree(circuit.toFile());
        for (Iterator<Map.Entry<String, JsonNode>> it = ours.get("edges").fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            assertTrue(e.getValue().get("score").isNumber(), e.getKey() + " has no numeric score; EAP-IG cannot load it");
        }

        // what EAP-IG's Graph.to_json would write for the same circuit, plus one dangling edge it prunes
        ObjectNode eapIg = json.createObjectNode();
        eapIg.set("cfg", ours.get("cfg"));
        eapIg.set("nodes", ours.get("nodes"));
        ObjectNode edges = ours.get("edges").deepCopy();
        String dangling = danglingEdge(ours);
        ((ObjectNode) edges.get(dangling)).put("in_graph", true);
        eapIg.set("edges", edges);
        Path file = dir.resolve("eap-ig-graph.json");
        json.writeValue(file.toFile(), eapIg);
        byte[] before = Files.readAllBytes(file);

        CliRun judged = run("validate", "--model", "planted:ioi", "--task", task.toString(), "--circuit", file.toString(),
                "--reference", circuit.toString(), "--metric", "kl", "--ablation", "resample", "--bootstrap", "50", "--json");
        assertEquals(0, judged.code(), judged.err());
        assertTrue(judged.err().contains("is an EAP-IG Graph.to_json file") && judged.err().contains("(1 edges dropped"),
                judged.err());
        assertArrayEquals(before, Files.readAllBytes(file), "the EAP-IG file is left as it was");
        Path written = dir.resolve("eap-ig-graph.circuitscope.json");
        JsonNode result = json.readTree(written.toFile());
        assertEquals(1.0, result.get("comparison").get("edge_precision").asDouble(), 1e-12, "the dangling edge was pruned");
        assertEquals(1.0, result.get("comparison").get("edge_recall").asDouble(), 1e-12);
        // the result is circuitscope's own file, which records the import: validating it again updates it in place
        CliRun again = run("validate", "--model", "planted:ioi", "--task", task.toString(), "--circuit", written.toString(),
                "--bootstrap", "20", "--quiet");
        assertEquals(0, again.code(), again.err());
        assertTrue(!again.err().contains("EAP-IG Graph.to_json file"), again.err());
        assertTrue(!Files.exists(dir.resolve("eap-ig-graph.circuitscope.circuitscope.json")));
        assertEquals(20, json.readTree(written.toFile()).get("validation").get("settings").get("bootstrap_samples").asInt());

        CliRun direct = run("validate", "--model", "planted:ioi", "--task", task.toString(), "--circuit", circuit.toString(),
                "--metric", "kl", "--ablation", "resample", "--bootstrap", "50", "--json");
        assertEquals(0, direct.code(), direct.err());
        JsonNode a = result.get("validation").get("metrics").get(0);
        JsonNode b = json.readTree(circuit.toFile()).get("validation").get("metrics").get(0);
        assertEquals(b.get("name").asText(), a.get("name").asText());
        assertEquals(b.get("value").asDouble(), a.get("value").asDouble(), 1e-9, "the same faithfulness");
        // a planted model's circuit is compared with its ground truth under the metric validated now
        JsonNode comparison = json.readTree(circuit.toFile()).get("comparison");
        assertEquals("planted ground truth (ioi) under resample ablation", comparison.get("reference").asText());
        assertEquals(1.0, comparison.get("edge_recall").asDouble(), 1e-12);

        CliRun drawn = run("render", file.toString(), "--format", "svg", "--out", dir.resolve("eap-ig.svg").toString());
        assertEquals(0, drawn.code(), drawn.err());
        assertTrue(Files.readString(dir.resolve("eap-ig.svg")).contains("<svg"));
        assertTrue(drawn.err().contains("is an EAP-IG Graph.to_json file") && drawn.err().contains("(1 edges dropped"),
                drawn.err());
        CliRun report = run("render", file.toString(), "--format", "html", "--out", dir.resolve("eap-ig.html").toString());
        assertEquals(0, report.code(), report.err());

        // EAP-IG's node attribution: node scores, every edge score 0; validate says its edge rankings tie
        ObjectNode nodeLevel = eapIg.deepCopy();
        nodeLevel.get("edges").forEach(e -> ((ObjectNode) e).put("score", 0.0));
        ((ObjectNode) nodeLevel.get("nodes").get("a2.h1")).put("score", 1.5);
        Path nodeFile = dir.resolve("node-level.json");
        json.writeValue(nodeFile.toFile(), nodeLevel);
        CliRun nodes = run("validate", "--model", "planted:ioi", "--task", task.toString(), "--circuit",
                nodeFile.toString(), "--bootstrap", "10", "--quiet");
        assertEquals(0, nodes.code(), nodes.err());
        assertTrue(nodes.err().contains("scores nodes, not edges") && nodes.err().contains("is a tie"), nodes.err());
        // an EAP-IG file records no metric: the defaults judge it, and validate says so (not when both are given)
        assertTrue(nodes.err().contains("validate: note: " + nodeFile + " records no metric or ablation (EAP-IG graph files "
                + "do not), so it is judged with metric kl (the default) and resample ablation (the default); --metric and "
                + "--ablation choose the ones it was found with"), nodes.err());
        assertTrue(!judged.err().contains("records no metric"), judged.err());
        CliRun logitDiff = run("validate", "--model", "planted:ioi", "--task", task.toString(), "--circuit",
                nodeFile.toString(), "--metric", "logit-diff", "--bootstrap", "10", "--completeness-samples", "0", "--quiet");
        assertEquals(0, logitDiff.code(), logitDiff.err());
        assertTrue(logitDiff.err().contains("so it is judged with metric logit-diff (--metric) and resample ablation (the "
                + "default)"), logitDiff.err());
        // its result records no metric in its method either, but its validation was logit-diff's: validated again
        // without --metric it is judged the same way (it was judged with KL, the default, without a word)
        Path nodeResult = dir.resolve("node-level.circuitscope.json");
        JsonNode first = json.readTree(nodeResult.toFile()).get("validation");
        CliRun revalidated = run("validate", "--model", "planted:ioi", "--task", task.toString(), "--circuit",
                nodeResult.toString(), "--bootstrap", "10", "--completeness-samples", "0", "--quiet");
        assertEquals(0, revalidated.code(), revalidated.err());
        assertTrue(revalidated.err().contains("validate: " + nodeResult + " records no metric or ablation in its method, so "
                + "it is judged with metric logit-diff (validation.metric) and resample ablation (validation.ablation), as "
                + "its earlier validation was"), revalidated.err());
        JsonNode second = json.readTree(nodeResult.toFile()).get("validation");
        assertEquals("logit-diff", second.get("metric").asText());
        assertEquals(first.get("metrics"), second.get("metrics"), "the same numbers");
    }

    /** An edge outside the circuit from a head the circuit never feeds, straight to the logits: EAP-IG prunes it. */
    private static String danglingEdge(JsonNode circuit) {
        for (Iterator<Map.Entry<String, JsonNode>> it = circuit.get("nodes").fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> node = it.next();
            if (node.getKey().startsWith("a") && !node.getValue().get("in_graph").asBoolean()) {
                return node.getKey() + "->logits";
            }
        }
        throw new AssertionError("every head is in the circuit");
    }
}

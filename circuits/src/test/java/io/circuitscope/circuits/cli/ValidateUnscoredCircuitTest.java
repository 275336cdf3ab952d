package io.circuitscope.circuits.cli;

import static io.circuitscope.circuits.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.circuitscope.circuits.io.ValidationSections;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A circuit whose file scores no edge (written by hand, or a reference judged as a circuit) has no ranking of its
 * edges. validate compared it with planted:ioi's ground truth all the same and printed "AUC 0.500, CPR ..., CMD ...":
 * the ROC of one tie and the areas of circuits made of the edges in index order. Now those read n/a (null in the
 * file) with a note saying why; precision and recall, which need no ranking, are still measured.
 */
class ValidateUnscoredCircuitTest {
    @TempDir
    Path dir;

    @Test
    void aCircuitWithoutScoresHasNoAucCprOrCmd() throws Exception {
        Path out = dir.resolve("found");
        CliRun d = run("discover", "--method", "eap", "--metric", "logit-diff", "--out", out.toString(), "--no-render",
                "--quiet", "--no-validate");
        assertEquals(0, d.code(), d.err());
        Path circuit = out.resolve("circuit.json");
        ObjectMapper json = new ObjectMapper();
        ObjectNode doc = (ObjectNode) json.readTree(circuit.toFile());
        int kept = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = doc.get("edges").fields(); it.hasNext();) {
            ObjectNode e = (ObjectNode) it.next().getValue();
            e.putNull("score"); // as a hand-made circuit: in_graph only
            e.remove("importance");
            kept += e.get("in_graph").asBoolean() ? 1 : 0;
        }
        assertTrue(kept > 0, "a circuit to judge");
        Files.writeString(circuit, json.writeValueAsString(doc));

        CliRun v = run("validate", "--model", "planted:ioi", "--task", out.resolve("task.jsonl").toString(), "--circuit",
                circuit.toString(), "--bootstrap", "0", "--completeness-samples", "0", "--quiet");
        assertEquals(0, v.code(), v.err());
        assertTrue(v.out().contains("AUC n/a, CPR n/a, CMD n/a"), v.out());
        assertTrue(v.out().contains("note: " + ValidationSections.UNRANKED), v.out());
        assertFalse(v.out().contains("CPR ranks"), "no ranking to say how CPR ranks: " + v.out());
        JsonNode cmp = json.readTree(circuit.toFile()).get("comparison");
        assertTrue(cmp.get("cpr").isNull() && cmp.get("cmd").isNull(), cmp.toString());
        assertFalse(cmp.has("auc") || cmp.has("roc") || cmp.has(ValidationSections.BY_SIZE_ABSOLUTE), cmp.toString());
        assertEquals(ValidationSections.UNRANKED, cmp.get("unranked").asText());
        assertEquals(kept, cmp.get("edge_counts").get("circuit").asInt(), "precision and recall still measured");
        assertTrue(cmp.get("edge_precision").isNumber(), cmp.toString());
    }
}

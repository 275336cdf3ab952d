package io.circuitscope.circuits.cli;

import static io.circuitscope.circuits.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.circuitscope.circuits.io.CircuitJson;
import io.circuitscope.circuits.io.ValidationSections;
import io.circuitscope.circuits.render.HtmlReport;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * EAP-IG attributes with a loss (minus the logit difference, or KL), so in its Graph.to_json file a higher score is an
 * edge that supports the behaviour. Its file records no metric, and CPR ranked its scores as the judging --metric reads
 * them: under logit-diff, lowest first, backwards. An EAP-IG file whose scores are minus those of a circuitscope
 * logit-diff run must get that run's CPR under --metric logit-diff.
 */
class EapIgCprSignTest {
    @TempDir
    Path dir;

    @Test
    void anEapIgFilesLossScoresRankAsALosssUnderLogitDiff() throws Exception {
        Path out = dir.resolve("found");
        CliRun found = run("discover", "--model", "planted:ioi", "--method", "eap-ig", "--metric", "logit-diff", "--out",
                out.toString(), "--quiet", "--no-render", "--no-validate");
        assertEquals(0, found.code(), found.err());
        Path circuit = out.resolve("circuit.json");
        Path task = out.resolve("task.jsonl");
        ObjectMapper json = new ObjectMapper();

        // EAP-IG's file for the same scores, attributed with -(logit_diff) as EAP-IG's scripts do: every score negated
        JsonNode ours = json.readTree(circuit.toFile());
        ObjectNode eapIg = json.createObjectNode();
        eapIg.set("cfg", ours.get("cfg"));
        eapIg.set("nodes", ours.get("nodes"));
        ObjectNode edges = ours.get("edges").deepCopy();
        edges.forEach(e -> ((ObjectNode) e).put("score", -e.get("score").asDouble()));
        eapIg.set("edges", edges);
        Path file = dir.resolve("graph.json");
        json.writeValue(file.toFile(), eapIg);

        CliRun direct = run("validate", "--model", "planted:ioi", "--task", task.toString(), "--circuit",
                circuit.toString(), "--metric", "logit-diff", "--ablation", "resample", "--bootstrap", "10",
                "--completeness-samples", "0", "--quiet");
        assertEquals(0, direct.code(), direct.err());
        JsonNode expected = json.readTree(circuit.toFile()).get("comparison");
        assertEquals("logit-diff", expected.get("scores_metric").asText());
        double cpr = expected.get("cpr").asDouble();
        assertTrue(cpr > 0.5, "the planted edges rank first: " + expected);

        CliRun imported = run("validate", "--model", "planted:ioi", "--task", task.toString(), "--circuit",
                file.toString(), "--metric", "logit-diff", "--ablation", "resample", "--bootstrap", "10",
                "--completeness-samples", "0", "--quiet");
        assertEquals(0, imported.code(), imported.err());
        Path written = dir.resolve("graph.circuitscope.json");
        JsonNode cmp = json.readTree(written.toFile()).get("comparison");
        assertEquals(cpr, cmp.get("cpr").asDouble(), 1e-9, "EAP-IG's loss scores rank as a loss's: " + cmp);
        assertEquals(expected.get("cmd").asDouble(), cmp.get("cmd").asDouble(), 1e-9, "|score| ranks the same");
        assertEquals(ValidationSections.EAP_IG_LOSS_SIGN, cmp.path("scores_sign").asText(), cmp.toString());
        assertTrue(cmp.get("scores_metric").isNull(), cmp.toString());
        assertTrue(imported.out().contains("the circuit's scores are EAP-IG's, which attributes with a loss"),
                imported.out());
        assertTrue(!expected.has("scores_sign"), "a circuitscope run's scores rank by their metric: " + expected);

        String html = HtmlReport.render(CircuitJson.read(written), HtmlReport.Options.defaults());
        assertTrue(html.contains("so CPR ranks them as a loss&#39;s: higher = helps the behaviour")
                || html.contains("so CPR ranks them as a loss's: higher = helps the behaviour"), "the report says so");

        // the circuitscope file written from the import still holds EAP-IG's scores: validated again, the same CPR
        CliRun again = run("validate", "--model", "planted:ioi", "--task", task.toString(), "--circuit",
                written.toString(), "--metric", "logit-diff", "--ablation", "resample", "--bootstrap", "10",
                "--completeness-samples", "0", "--quiet");
        assertEquals(0, again.code(), again.err());
        JsonNode cmpAgain = json.readTree(written.toFile()).get("comparison");
        assertEquals(cpr, cmpAgain.get("cpr").asDouble(), 1e-9, cmpAgain.toString());
        assertEquals(ValidationSections.EAP_IG_LOSS_SIGN, cmpAgain.path("scores_sign").asText());
    }
}

package io.circuitscope.circuits.cli;

import static io.circuitscope.circuits.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.circuitscope.circuits.io.CircuitJson;
import io.circuitscope.circuits.render.HtmlReport;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * validate with another --metric than the circuit was found with ranked the circuit's scores by the validation
 * metric's sign: a KL-found planted IOI circuit validated with logit-diff got CPR 0.250, since under logit-diff a
 * negative score is the important one and KL's important scores are positive. The scores' own metric, recorded in
 * the file, ranks them now (CPR 0.952), the comparison records both metrics, and the report names both.
 */
class ValidateOtherMetricTest {
    @TempDir
    static Path dir;

    @Test
    void cprRanksTheScoresAsTheMetricTheyWereComputedWith() throws Exception {
        Path out = dir.resolve("kl");
        CliRun found = run("discover", "--out", out.toString(), "--bootstrap", "20", "--no-render", "--quiet");
        assertEquals(0, found.code(), found.err());
        Path circuit = out.resolve("circuit.json");
        JsonNode before = new ObjectMapper().readTree(circuit.toFile()).get("comparison");

        CliRun v = run("validate", "--model", "planted:ioi", "--task", out.resolve("task.jsonl").toString(), "--circuit",
                circuit.toString(), "--metric", "logit-diff", "--bootstrap", "20", "--quiet");
        assertEquals(0, v.code(), v.err());
        JsonNode cmp = new ObjectMapper().readTree(circuit.toFile()).get("comparison");
        assertTrue(cmp.get("cpr").asDouble() > 0.9, "the circuit's helpful edges rank first: " + cmp.get("cpr"));
        assertEquals("logit-diff", cmp.path("metric").asText(), cmp.toString());
        assertEquals("kl", cmp.path("scores_metric").asText());
        assertEquals("kl", before.path("scores_metric").asText(), "discover records it too: " + before);
        assertEquals("kl", before.path("metric").asText());
        assertTrue(v.out().contains("the circuit's scores were computed with kl, so CPR ranks them as kl reads them"),
                v.out());

        String html = HtmlReport.render(CircuitJson.read(circuit), HtmlReport.Options.defaults());
        assertTrue(html.contains("logit-diff (the circuit was found with kl)"), "validation metric named beside the found one");
        assertTrue(html.contains("Faithfulness is measured with logit-diff; the circuit&#39;s scores were computed with kl")
                || html.contains("Faithfulness is measured with logit-diff; the circuit's scores were computed with kl"),
                "the comparison names both metrics");
    }
}

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
 * The default run said "12 of 262 edges, 6 nodes" (input and logits counted), "minimal false (14 of 16 components)"
 * (12 edges and 4 heads) and a node precision over heads and MLPs only, each without saying what it counted. Each count
 * now names its parts.
 */
class CountLabelsTest {
    @TempDir
    static Path dir;

    @Test
    void everyCountSaysWhatItCounts() throws Exception {
        Path out = dir.resolve("default");
        CliRun d = run("discover", "--out", out.toString(), "--bootstrap", "20", "--no-render", "--quiet");
        assertEquals(0, d.code(), d.err());
        assertTrue(d.out().contains("circuit: 12 of 262 edges, 6 nodes (input, logits and 4 heads)\n"), d.out());
        assertTrue(d.out().contains("(14 of 16 components: 12 edges, 4 heads and MLPs)"), d.out());
        Path circuit = out.resolve("circuit.json");
        JsonNode cmp = new ObjectMapper().readTree(circuit.toFile()).get("comparison");
        assertEquals("heads and MLPs (input and logits, which every circuit holds, left out)",
                cmp.path("nodes_compared").asText(), cmp.toString());

        CliRun v = run("validate", "--model", "planted:ioi", "--task", out.resolve("task.jsonl").toString(), "--circuit",
                circuit.toString(), "--bootstrap", "20", "--quiet");
        assertEquals(0, v.code(), v.err());
        assertTrue(v.out().contains("(14 of 16 components (12 edges, 4 heads and MLPs) change faithfulness"), v.out());
        assertTrue(v.out().contains("node (head and MLP) precision 1.000"), v.out());
        // precision and recall with the counts they divide: 0.999 and 1.000 differ there, where three decimals may not
        assertTrue(v.out().contains("edge precision 1.000 (12/12) recall 1.000 (12/12), node (head and MLP) precision "
                + "1.000 (4/4) recall 1.000 (4/4)"), v.out());
        assertTrue(d.out().contains("edge precision 1.000 (12/12), recall 1.000 (12/12)"), d.out());
        JsonNode counts = new ObjectMapper().readTree(circuit.toFile()).get("comparison").get("edge_counts");
        assertEquals(12, counts.get("both").asInt(), counts.toString());
        String html = HtmlReport.render(CircuitJson.read(circuit), HtmlReport.Options.defaults());
        assertTrue(html.contains("6 nodes (input, logits and 4 heads), 12 edges; read bottom"), "the diagram's note");
    }
}

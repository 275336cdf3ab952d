package io.circuitscope.circuits.cli;

import static io.circuitscope.circuits.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.circuits.io.CircuitJson;
import io.circuitscope.circuits.render.HtmlReport;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The planted IOI circuit found at --tau 0.05 is 0.99248826 faithful. Judged with --sufficiency 0.9925, validate printed
 * "faithfulness 0.9925 ... sufficient: false (>= 0.99)", the report "0.9925 | fail | >= 0.9925", and discover gave the
 * same faithfulness with 3 decimals on one line and 4 on the next. Thresholds now print as given and values with the
 * decimals that keep them below (here) the threshold: 0.99249.
 */
class ThresholdRoundingTest {
    @TempDir
    static Path dir;

    @Test
    void aFailingFaithfulnessNeverPrintsAsItsThreshold() throws Exception {
        Path out = dir.resolve("tau");
        CliRun d = run("discover", "--out", out.toString(), "--tau", "0.05", "--sufficiency", "0.9925", "--minimality",
                "0.0065", "--bootstrap", "20", "--no-render", "--quiet");
        assertEquals(0, d.code(), d.err());
        assertTrue(d.out().contains("-> faithfulness 0.99249\n"), d.out());
        assertTrue(d.out().contains("validation: faithfulness 0.99249 ["), "the same decimals on the next line: " + d.out());
        assertTrue(d.out().contains("sufficient false"), d.out());

        Path circuit = out.resolve("circuit.json");
        CliRun v = run("validate", "--model", "planted:ioi", "--task", out.resolve("task.jsonl").toString(), "--circuit",
                circuit.toString(), "--sufficiency", "0.9925", "--minimality", "0.0065", "--bootstrap", "20", "--quiet");
        assertEquals(0, v.code(), v.err());
        assertTrue(v.out().contains("faithfulness              0.99249 ["), v.out());
        assertTrue(v.out().contains("sufficient: false (>= 0.9925)"), v.out());
        assertTrue(v.out().contains("by >= 0.0065 when removed"), v.out());
        assertFalse(v.out().contains("(>= 0.99)"), v.out());

        String html = HtmlReport.render(CircuitJson.read(circuit), HtmlReport.Options.defaults());
        assertTrue(html.contains("<td>faithfulness</td><td>0.99249</td><td>[0.99249, 0.99249]</td>"), "the validation row");
        assertTrue(html.contains("<th>faithfulness</th><td>0.99249</td>"), "the summary's faithfulness, likewise");
        assertTrue(html.contains("<th>sufficiency_threshold</th><td>0.9925</td>"), "the threshold as given");
        assertTrue(html.contains("<td>&gt;= 0.9925</td>") || html.contains("<td>>= 0.9925</td>"), "the rule as given");
        assertTrue(html.contains("<th>minimality_threshold</th><td>0.0065</td>"), "settings as given, not 0.0065 rounded");
    }

    /** A failing drop of 0.00998 against --minimality 0.01 printed "0.0100" under "|drop| below 0.010". */
    @Test
    void aFailingDropNeverPrintsAsItsThreshold() {
        java.util.List<io.circuitscope.validation.ValidationReport.ComponentScore> failing = java.util.List.of(
                new io.circuitscope.validation.ValidationReport.ComponentScore("a0.h1->logits", false, -0.00998, false));
        assertEquals("; |drop| below 0.01: a0.h1->logits -0.00998", DiscoverCommand.notMinimal(failing, 0.01, "report.html"));
    }
}

package io.circuitscope.circuits.cli;

import static io.circuitscope.circuits.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * validate --completeness-samples 0 draws no subset K, so incompleteness is not measured: it printed "incompleteness
 * 0.0000 (max 0.0000 over 0 subsets)" and wrote 0.0, a perfectly complete circuit. Now the console says it was not
 * measured and circuit.json holds null. Likewise --bootstrap 0 computes no interval, but the table's heading said "95%
 * bootstrap intervals over 0 resamples".
 */
class UnmeasuredIncompletenessTest {
    @TempDir
    Path dir;

    @Test
    void noSubsetsIsNotMeasuredRatherThanComplete() throws Exception {
        Path out = dir.resolve("run");
        CliRun found = run("discover", "--quiet", "--examples", "8", "--out", out.toString(), "--no-render",
                "--no-validate");
        assertEquals(0, found.code(), found.err());
        Path circuit = out.resolve("circuit.json");
        CliRun v = run("validate", "--model", "planted:ioi", "--task", out.resolve("task.jsonl").toString(), "--circuit",
                circuit.toString(), "--completeness-samples", "0", "--bootstrap", "0", "--quiet");
        assertEquals(0, v.code(), v.err());
        assertTrue(v.out().contains("incompleteness            not measured (--completeness-samples 0)"), v.out());
        assertTrue(v.out().contains("resample ablation; no bootstrap intervals (--bootstrap 0)):"), v.out());
        JsonNode rows = new ObjectMapper().readTree(circuit.toFile()).get("validation").get("metrics");
        int found0 = 0;
        for (JsonNode row : rows) {
            if (row.get("name").asText().startsWith("incompleteness")) {
                assertTrue(row.get("value").isNull(), row.toString());
                found0++;
            }
        }
        assertEquals(2, found0, rows.toString());
    }
}

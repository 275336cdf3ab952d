package io.circuitscope.circuits.cli;

import static io.circuitscope.circuits.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * validate --json printed the section before circuit.json's normalisation: the default run's complement faithfulness
 * read "value" : -0.0 on stdout while the file it wrote held 0.0. It also left out the comparison (precision, recall,
 * AUC, CPR, CMD) that the console prints.
 */
class ValidateJsonNumbersTest {
    @TempDir
    Path dir;

    @Test
    void printedSectionIsTheOneTheFileHolds() throws Exception {
        Path out = dir.resolve("run");
        CliRun found = run("discover", "--quiet", "--out", out.toString(), "--no-render", "--no-validate");
        assertEquals(0, found.code(), found.err());
        Path circuit = out.resolve("circuit.json");
        CliRun v = run("validate", "--model", "planted:ioi", "--task", out.resolve("task.jsonl").toString(), "--circuit",
                circuit.toString(), "--json", "--quiet");
        assertEquals(0, v.code(), v.err());
        assertFalse(v.out().contains("-0.0"), v.out());
        com.fasterxml.jackson.databind.node.ObjectNode printed = (com.fasterxml.jackson.databind.node.ObjectNode)
                new ObjectMapper().readTree(v.out());
        JsonNode file = new ObjectMapper().readTree(circuit.toFile());
        // the comparison with the planted ground truth, which the console prints, was missing from the JSON
        assertEquals(file.get("comparison"), printed.remove("comparison"), "the comparison as the file holds it");
        assertEquals(file.get("validation"), printed);
    }
}

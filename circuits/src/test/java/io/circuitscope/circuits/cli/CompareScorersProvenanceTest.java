package io.circuitscope.circuits.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.circuitscope.core.Hashes;
import io.circuitscope.core.planted.PlantedModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * compare-scorers --out recorded the model's name, metric, ablation and the results only: not the task, the seeds
 * or the settings the numbers depend on, nor the command and software that made them.
 */
class CompareScorersProvenanceTest {
    @TempDir
    Path dir;

    @Test
    void theJsonRecordsTaskSettingsSoftwareAndCommand() throws Exception {
        Path file = dir.resolve("cmp.json");
        String[] args = {"compare-scorers", "--quiet", "--examples", "8", "--seed", "2", "--scorers", "eap,eap-ig",
                "--ig-steps", "3", "--top-edges", "5", "--top-nodes", "4", "--exact-edges", "10", "--sample-seed", "7",
                "--batch-size", "8", "--material-fraction", "0.01", "--out", file.toString()};
        CliRun r = CliRun.run(args);
        assertEquals(0, r.code(), r.err());
        JsonNode root = new ObjectMapper().readTree(file.toFile());
        // says what the file is, first, as circuit.json does ("circuitscope.circuit/1")
        assertEquals("schema", root.fieldNames().next());
        assertEquals("circuitscope.scorer-comparison/1", root.get("schema").asText());
        assertEquals("planted:ioi", root.get("model").asText());
        // a planted model's weights follow from its name: the seed is the task's (settings.seed), not the model's
        assertFalse(root.get("model_provenance").has("seed"), root.get("model_provenance").toString());
        assertTrue(root.get("model_provenance").get("planted").asBoolean());
        JsonNode task = root.get("task");
        assertEquals(Hashes.of(PlantedModels.byArgument("planted:ioi").task(2, 8)), task.get("hash").asText());
        assertEquals(8, task.get("examples").asInt());
        JsonNode s = root.get("settings");
        assertEquals("[\"eap\",\"eap-ig\"]", s.get("scorers").toString());
        assertEquals(2, s.get("seed").asLong());
        assertEquals(7, s.get("sample_seed").asLong());
        assertEquals(3, s.get("ig_steps").asInt());
        assertEquals(8, s.get("batch_size").asInt());
        assertEquals(0.01, s.get("material_fraction").asDouble());
        assertEquals(5, s.get("top_edges").asInt());
        assertEquals(4, s.get("top_nodes").asInt());
        assertFalse(s.get("by_position").asBoolean());
        assertEquals(Runtime.version().toString(), root.get("software").get("java").asText());
        List<String> argv = new ArrayList<>();
        root.get("command").get("argv").forEach(a -> argv.add(a.asText()));
        assertEquals(List.of(args), argv);
    }
}

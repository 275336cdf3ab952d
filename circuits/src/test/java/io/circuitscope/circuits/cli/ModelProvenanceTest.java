package io.circuitscope.circuits.cli;

import static io.circuitscope.circuits.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.circuitscope.core.io.TensorDtype;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * circuit.json recorded a model by the name as typed and a hash of its config: two models with the same
 * config and other weights had the same provenance. Now it records the model's path and files' SHA-256.
 */
class ModelProvenanceTest {
    @TempDir
    Path dir;

    private JsonNode discover(Path model, Path task, String out) throws Exception {
        CliRun r = run("discover", "--model", model.toString(), "--task", task.toString(), "--method", "eap",
                "--metric", "logit-diff", "--edges", "5", "--out", dir.resolve(out).toString(), "--quiet", "--no-render",
                "--no-validate");
        assertEquals(0, r.code(), r.err());
        return new ObjectMapper().readTree(dir.resolve(out).resolve("circuit.json").toFile()).get("model");
    }

    @Test
    void otherWeightsWithTheSameConfigGiveOtherFingerprints() throws Exception {
        Path a = TinyCheckpoint.gpt2(31, 2, 2, 4, 23, 8, false).write(dir.resolve("a"), TensorDtype.F32);
        Path b = TinyCheckpoint.gpt2(32, 2, 2, 4, 23, 8, false).write(dir.resolve("b"), TensorDtype.F32);
        Path task = RandomTaskFile.write(dir.resolve("task.jsonl"), "random", 2, 4, 5, 23);
        JsonNode first = discover(a, task, "a1");
        JsonNode again = discover(a, task, "a2");
        JsonNode other = discover(b, task, "b1");
        assertEquals(first.get("config_hash"), other.get("config_hash"), "same config");
        assertEquals(64, first.get("files_sha256").asText().length(), first.toString());
        assertEquals(first.get("files_sha256"), again.get("files_sha256"));
        assertNotEquals(first.get("files_sha256"), other.get("files_sha256"));
        assertEquals(a.toAbsolutePath().normalize().toString(), first.get("path").asText());
        assertFalse(first.has("seed") || first.has("planted"), first.toString());
    }

    /**
     * model.seed was recorded for a planted model, which is built from its name alone (PlantedModel.build takes no
     * seed): runs with --seed 3 and 4 used the same weights but recorded different models. The seed draws the task and
     * is recorded in method; the model block says "planted": true and is the same whatever the seed.
     */
    @Test
    void aPlantedModelIsRecordedWithoutASeedItDoesNotDependOn() throws Exception {
        JsonNode[] models = new JsonNode[2];
        JsonNode[] methods = new JsonNode[2];
        for (int i = 0; i < 2; i++) {
            Path out = dir.resolve("p" + i);
            CliRun r = run("discover", "--model", "planted:ioi", "--method", "eap", "--metric", "logit-diff", "--seed",
                    String.valueOf(3 + i), "--out", out.toString(), "--quiet", "--no-render", "--no-validate");
            assertEquals(0, r.code(), r.err());
            JsonNode root = new ObjectMapper().readTree(out.resolve("circuit.json").toFile());
            models[i] = root.get("model");
            methods[i] = root.get("method");
        }
        assertFalse(models[0].has("seed"), models[0].toString());
        assertEquals(true, models[0].path("planted").asBoolean(false), models[0].toString());
        assertEquals(models[0], models[1], "the same weights whatever the seed");
        assertEquals(3, methods[0].get("seed").asInt(), "the task's seed is the method's");
        assertEquals(4, methods[1].get("seed").asInt());
        assertFalse(models[0].has("files_sha256") || models[0].has("path"), models[0].toString());
    }
}

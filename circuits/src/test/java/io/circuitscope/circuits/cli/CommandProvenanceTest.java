package io.circuitscope.circuits.cli;

import static io.circuitscope.circuits.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.circuitscope.circuits.io.CircuitDocument;
import io.circuitscope.circuits.io.CircuitJson;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * discover recorded no command line and only circuitscope's version; now circuit.json holds the arguments, the
 * working directory and the Java, DJL and PyTorch versions, and files with or without them read alike.
 */
class CommandProvenanceTest {
    @TempDir
    Path dir;

    @Test
    void discoverRecordsItsCommandLineAndRuntime() throws Exception {
        Path out = dir.resolve("run");
        String[] args = {"discover", "--method", "eap", "--metric", "logit-diff", "--edges", "7", "--out", out.toString(),
                "--quiet", "--no-render", "--no-validate"};
        CliRun r = run(args);
        assertEquals(0, r.code(), r.err());
        Path file = out.resolve("circuit.json");
        JsonNode root = new ObjectMapper().readTree(file.toFile());
        List<String> argv = new ArrayList<>();
        root.get("command").get("argv").forEach(a -> argv.add(a.asText()));
        assertEquals(List.of(args), argv);
        assertEquals(Path.of("").toAbsolutePath().toString(), root.get("command").get("working_directory").asText());
        JsonNode software = root.get("software");
        assertEquals("circuitscope", software.get("name").asText());
        assertEquals(CircuitJson.SOFTWARE_VERSION, software.get("version").asText());
        assertEquals(Runtime.version().toString(), software.get("java").asText());
        assertEquals(ai.djl.engine.Engine.getDjlVersion(), software.get("djl").asText());
        assertEquals(ai.djl.engine.Engine.getEngine("PyTorch").getVersion(), software.get("pytorch").asText());
        assertFalse(software.get("pytorch").asText().isEmpty());

        // read and written again (as validate does), the record stays; a file without it reads as before
        CircuitDocument doc = CircuitJson.read(file);
        Path again = dir.resolve("again.json");
        CircuitJson.write(again, doc);
        JsonNode rewritten = new ObjectMapper().readTree(again.toFile());
        assertEquals(root.get("command"), rewritten.get("command"));
        assertEquals(software, rewritten.get("software"));
        ((com.fasterxml.jackson.databind.node.ObjectNode) root).remove(List.of("command", "software"));
        Path old = dir.resolve("old.json");
        new ObjectMapper().writeValue(old.toFile(), root);
        assertEquals(doc.circuit().edgeCount(), CircuitJson.read(old).circuit().edgeCount());
    }

    /**
     * validate rewrote circuit.json keeping discover's command line and recording none of its own, so a file judged
     * with --metric logit-diff did not say which command judged it. Its argv is now in validation.command, and the
     * build that ran it in validation.software.
     */
    @Test
    void validateRecordsItsCommandLineBesideDiscoversOwn() throws Exception {
        Path out = dir.resolve("validated");
        String[] found = {"discover", "--method", "eap", "--metric", "logit-diff", "--edges", "7", "--out", out.toString(),
                "--quiet", "--no-render", "--no-validate"};
        assertEquals(0, run(found).code());
        Path file = out.resolve("circuit.json");
        String[] judged = {"validate", "--model", "planted:ioi", "--task", out.resolve("task.jsonl").toString(), "--circuit",
                file.toString(), "--metric", "kl", "--bootstrap", "10", "--quiet"};
        CliRun v = run(judged);
        assertEquals(0, v.code(), v.err());
        JsonNode root = new ObjectMapper().readTree(file.toFile());
        List<String> discoverArgv = new ArrayList<>();
        root.get("command").get("argv").forEach(a -> discoverArgv.add(a.asText()));
        assertEquals(List.of(found), discoverArgv, "discover's command is kept");
        List<String> validateArgv = new ArrayList<>();
        root.path("validation").path("command").path("argv").forEach(a -> validateArgv.add(a.asText()));
        assertEquals(List.of(judged), validateArgv, "validate's is recorded with its validation");
        // and the build that judged it, which may be a later commit than discover's
        JsonNode judgedBy = root.path("validation").path("software");
        assertEquals(io.circuitscope.circuits.io.BuildInfo.current(), io.circuitscope.circuits.io.BuildInfo.of(judgedBy));
        assertTrue(judgedBy.has("git_commit") && judgedBy.has("git_dirty") && judgedBy.has("pytorch"), judgedBy.toString());
    }
}

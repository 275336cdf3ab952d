package io.circuitscope.circuits.cli;

import static io.circuitscope.circuits.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A --reference recorded for a model of another shape is refused (below). A circuit.json whose method records a metric or ablation this version cannot read failed validate with
 * "error: unknown ablation 'bogus' (resample, mean, zero)", naming neither the file nor the field; a metric written as
 * a number (5) was read as the metric '5'. Both now name the file and 'method.metric' / 'method.ablation'.
 */
class ValidateRecordedSettingsTest {
    @TempDir
    static Path dir;
    static Path out;

    @BeforeAll
    static void discover() {
        out = dir.resolve("run");
        CliRun found = run("discover", "--quiet", "--out", out.toString(), "--no-render", "--no-validate");
        assertEquals(0, found.code(), found.err());
    }

    private static CliRun validateWith(String name, String key, Object value) throws Exception {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = (ObjectNode) json.readTree(out.resolve("circuit.json").toFile());
        ObjectNode method = (ObjectNode) root.get("method");
        method.set(key, json.valueToTree(value));
        Path circuit = dir.resolve(name);
        Files.writeString(circuit, json.writeValueAsString(root));
        return run("validate", "--model", "planted:ioi", "--task", out.resolve("task.jsonl").toString(), "--circuit",
                circuit.toString(), "--bootstrap", "10", "--quiet");
    }

    @Test
    void unknownRecordedAblationNamesTheFileAndField() throws Exception {
        CliRun v = validateWith("ablation.json", "ablation", "bogus");
        assertEquals(1, v.code(), v.err());
        assertTrue(v.err().contains("ablation.json: field 'method.ablation': unknown ablation 'bogus'"), v.err());
        assertTrue(v.err().contains("--ablation"), v.err());
    }

    @Test
    void unknownRecordedMetricNamesTheFileAndField() throws Exception {
        CliRun v = validateWith("metric.json", "metric", "bogus");
        assertEquals(1, v.code(), v.err());
        assertTrue(v.err().contains("metric.json: field 'method.metric': unknown metric 'bogus'"), v.err());
        assertFalse(v.err().contains("as recorded in"), "refused before it is announced: " + v.err());
    }

    @Test
    void recordedMetricThatIsNotAStringIsRefused() throws Exception {
        CliRun v = validateWith("number.json", "metric", 5);
        assertEquals(1, v.code(), v.err());
        assertTrue(v.err().contains("number.json: field 'method.metric' must be a string, got 5"), v.err());
    }

    /**
     * A --reference recorded for a model of another shape was compared edge by edge without a word (exit 0) when its
     * edges happened to name only heads this model has; validate and discover now refuse it, naming the field.
     */
    @Test
    void aReferenceFoundOnAnotherShapeIsRefused() throws Exception {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = (ObjectNode) json.readTree(out.resolve("circuit.json").toFile());
        int heads = root.get("model").get("n_heads").asInt();
        ((ObjectNode) root.get("model")).put("n_heads", heads * 2);
        ((ObjectNode) root.get("cfg")).put("n_heads", heads * 2); // the two shapes agree, or the file is refused as such
        Path reference = dir.resolve("wider-reference.json");
        Files.writeString(reference, json.writeValueAsString(root));
        String expected = "wider-reference.json: the circuit was found on a model with n_heads " + heads * 2;
        CliRun v = run("validate", "--model", "planted:ioi", "--task", out.resolve("task.jsonl").toString(), "--circuit",
                out.resolve("circuit.json").toString(), "--reference", reference.toString(), "--bootstrap", "10",
                "--quiet");
        assertEquals(1, v.code(), v.err());
        assertTrue(v.err().contains(expected), v.err());
        assertTrue(v.err().contains("a --reference must be a circuit of the model it is compared on"), v.err());
        CliRun d = run("discover", "--reference", reference.toString(), "--no-render", "--no-validate", "--quiet",
                "--out", dir.resolve("with-reference").toString());
        assertEquals(1, d.code(), d.err());
        assertTrue(d.err().contains(expected), d.err());
    }

    @Test
    void anUnknownRecordedMetricIsNoObstacleWhenMetricIsGiven() throws Exception {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = (ObjectNode) json.readTree(out.resolve("circuit.json").toFile());
        ((ObjectNode) root.get("method")).put("metric", "bogus");
        Path circuit = dir.resolve("given.json");
        Files.writeString(circuit, json.writeValueAsString(root));
        CliRun v = run("validate", "--model", "planted:ioi", "--task", out.resolve("task.jsonl").toString(), "--circuit",
                circuit.toString(), "--bootstrap", "10", "--metric", "kl", "--quiet");
        assertEquals(0, v.code(), v.err());
    }
}

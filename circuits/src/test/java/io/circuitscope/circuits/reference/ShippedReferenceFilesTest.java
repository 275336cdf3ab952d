package io.circuitscope.circuits.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.circuitscope.circuits.io.CircuitJson;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README says circuit files load with EAP-IG's {@code Graph.from_json}; the shipped toy references lacked the
 * {@code cfg} it reads (and {@code model.parallel_attn_mlp}), which CircuitJson writes today. Every shipped circuit
 * file must have what CircuitJson writes for that compatibility, with the values it would write.
 */
class ShippedReferenceFilesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    static List<Path> circuitFiles() throws Exception {
        Path dir = Path.of(ShippedReferenceFilesTest.class.getResource("/reference/").toURI());
        List<Path> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.sorted().toList()) {
                if (f.toString().endsWith(".json") && CircuitJson.SCHEMA.equals(JSON.readTree(f.toFile()).path("schema").asText())) {
                    out.add(f);
                }
            }
        }
        return out;
    }

    @Test
    void everyShippedCircuitHasTheKeysEapIgReadsAsCircuitJsonWritesThem() throws Exception {
        List<Path> files = circuitFiles();
        assertTrue(files.stream().map(f -> f.getFileName().toString()).toList().containsAll(List.of("gpt2-small-ioi.json",
                "gpt2-small-greater-than.json", "toy-ioi-seed1.json", "toy-induction-seed1.json")), files.toString());
        for (Path file : files) {
            String name = file.getFileName().toString();
            JsonNode shipped = JSON.readTree(file.toFile());
            Path rewritten = tmp.resolve(name);
            CircuitJson.write(rewritten, CircuitJson.read(file)); // what CircuitJson writes for this circuit today
            JsonNode written = JSON.readTree(rewritten.toFile());
            assertTrue(shipped.has("cfg"), name + " has no cfg, which EAP-IG's Graph.from_json reads");
            assertEquals(written.get("cfg"), shipped.get("cfg"), name + ": cfg as CircuitJson derives it from the model");
            JsonNode parallel = shipped.path("model").get("parallel_attn_mlp");
            assertTrue(parallel != null && parallel.isBoolean(), name + ": model.parallel_attn_mlp is missing");
            assertEquals(written.get("cfg").get("parallel_attn_mlp"), parallel, name);
            for (String section : List.of("nodes", "edges")) {
                assertEquals(fieldNames(written.get(section)), fieldNames(shipped.get(section)), name + ": " + section);
                for (Iterator<Map.Entry<String, JsonNode>> it = shipped.get(section).fields(); it.hasNext();) {
                    Map.Entry<String, JsonNode> e = it.next();
                    assertTrue(e.getValue().path("in_graph").isBoolean(), name + ": " + section + "." + e.getKey());
                    // from_json puts every edge score into a float tensor: a null there stops it
                    assertTrue(e.getValue().has("score") && (e.getValue().get("score").isNumber()
                            || (section.equals("nodes") && e.getKey().equals("logits"))),
                            name + ": " + section + "." + e.getKey() + " " + e.getValue());
                }
            }
        }
    }

    /** The toy references' summaries read as train-toy writes them today: exact patching, no gradient pass. */
    @Test
    void theToyReferencesCountTheirGradientPassesAsTrainToyDoes() throws Exception {
        for (String name : List.of("toy-ioi-seed1.json", "toy-induction-seed1.json")) {
            JsonNode summary = JSON.readTree(ShippedReferenceFilesTest.class.getResource("/reference/" + name)).get("summary");
            assertEquals(0, summary.path("gradient_passes").asLong(-1), name + ": " + summary);
            assertTrue(summary.path("forward_passes").asLong() > 0, name + ": " + summary);
        }
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}

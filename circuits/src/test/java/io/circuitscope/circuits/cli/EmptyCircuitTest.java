package io.circuitscope.circuits.cli;

import static io.circuitscope.circuits.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An empty circuit was reported as a normal success: "circuit: 0 of 262 edges" with no word on why, and
 * "minimal true (0 of 0 components)" as if minimality had passed. Now a note says why it is empty and
 * minimality is not applicable; the run still succeeds (exit 0), since the settings did what they say.
 */
class EmptyCircuitTest {
    @TempDir
    Path dir;

    private static final String[] QUICK = {"--no-render", "--quiet", "--bootstrap", "0", "--completeness-samples", "0"};

    private CliRun discover(String name, String... options) {
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("discover", "--out",
                dir.resolve(name).toString()));
        args.addAll(java.util.List.of(QUICK));
        args.addAll(java.util.List.of(options));
        return run(args.toArray(String[]::new));
    }

    @Test
    void eachWayOfEndingEmptySaysWhy() throws Exception {
        String[][] cases = {
            {"pruned", "the 1 top-scored edges form no path from input to logits, so pruning removed them all (more "
                    + "--edges keeps more)", "--method", "eap", "--metric", "logit-diff", "--edges", "1"},
            {"no-candidates", "--candidates 0 selected no edge, so ACDC had nothing to verify", "--scorer", "eap",
                    "--metric", "logit-diff", "--candidates", "0"},
            {"huge-tau", "ACDC kept no path from input to logits at tau 1.0E308 (a smaller --tau keeps more)",
                    "--method", "acdc", "--tau", "1e308"},
        };
        for (String[] c : cases) {
            CliRun r = discover(c[0], java.util.Arrays.copyOfRange(c, 2, c.length));
            assertEquals(0, r.code(), c[0] + ": " + r.err());
            assertTrue(r.out().contains("circuit: 0 of 262 edges, 0 nodes\n  note: the circuit is empty: " + c[1]),
                    c[0] + ": " + r.out());
            assertTrue(r.out().contains("minimal n/a (the circuit has no components)"), r.out());
            assertFalse(r.out().contains("minimal true") || r.out().contains("NaN"), r.out());
            assertTrue(r.out().contains("edge precision n/a"), "0 / 0 against the planted ground truth: " + r.out());
            JsonNode doc = new ObjectMapper().readTree(dir.resolve(c[0]).resolve("circuit.json").toFile());
            assertEquals(c[1], doc.get("summary").get("empty_circuit").asText());
            assertTrue(doc.get("validation").get("minimal").isNull(), "no verdict recorded as a pass");
            assertNullPrecision(dir.resolve(c[0]).resolve("circuit.json"));
        }
        CliRun kept = discover("kept", "--method", "acdc", "--tau", "0.01");
        assertFalse(kept.out().contains("empty"), kept.out());
    }

    /**
     * The top edge alone is cut off from the input. Under resampling it is a no-op and pruning empties the
     * circuit (above); under mean ablation its source computes f(mean input), not the mean it would carry
     * removed, so the edge stays (pruning used to drop it whatever the ablation).
     */
    @Test
    void underMeanAblationTheTopEdgeCutOffFromTheInputIsKept() throws Exception {
        CliRun r = discover("mean", "--method", "eap", "--metric", "logit-diff", "--edges", "1", "--ablation", "mean");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("circuit: 1 of 262 edges, 2 nodes"), r.out());
        assertFalse(r.out().contains("empty"), r.out());
    }

    @Test
    void validateOfAnEmptyCircuitSaysSoAndJudgesNoMinimality() throws Exception {
        assertEquals(0, discover("empty", "--method", "acdc", "--tau", "1e308", "--no-validate").code());
        CliRun r = run("validate", "--model", "planted:ioi", "--task", dir.resolve("empty").resolve("task.jsonl").toString(),
                "--circuit", dir.resolve("empty").resolve("circuit.json").toString(), "--bootstrap", "0",
                "--completeness-samples", "0");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains(ValidationNotes.EMPTY), r.out());
        assertTrue(r.out().contains("  minimal: n/a (the circuit has no components)"), r.out());
        assertTrue(r.out().contains("edge precision n/a") && r.out().contains("node (head and MLP) precision n/a"), r.out());
        assertNullPrecision(dir.resolve("empty").resolve("circuit.json"));
    }

    /** An empty circuit's precision is 0 / 0: null in circuit.json (JSON has no NaN; it was the string "NaN"). */
    private static void assertNullPrecision(Path file) throws Exception {
        String text = java.nio.file.Files.readString(file);
        JsonNode comparison = new ObjectMapper().readTree(text).get("comparison");
        assertTrue(comparison.get("edge_precision").isNull(), comparison.toString());
        assertTrue(comparison.get("node_precision").isNull(), comparison.toString());
        assertFalse(text.contains("NaN"), "no NaN, as a string or bare, anywhere in " + file);
    }
}

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
 * The bootstrap resamples prompts, so a task of one prompt has no interval: every resample is that prompt. validate
 * printed "95% bootstrap intervals over 1000 resamples" above a faithfulness without any; now the header says none
 * was computed and why. The file holds no interval (no ci_low) either way.
 */
class ValidateOnePromptTest {
    @TempDir
    Path dir;

    @Test
    void onePromptHasNoIntervalAndTheHeaderSaysSo() throws Exception {
        Path out = dir.resolve("one");
        CliRun d = run("discover", "--method", "eap", "--metric", "logit-diff", "--examples", "1", "--out", out.toString(),
                "--no-render", "--quiet", "--no-validate");
        assertEquals(0, d.code(), d.err());
        CliRun v = run("validate", "--model", "planted:ioi", "--task", out.resolve("task.jsonl").toString(), "--circuit",
                out.resolve("circuit.json").toString(), "--bootstrap", "100", "--completeness-samples", "0", "--quiet");
        assertEquals(0, v.code(), v.err());
        assertTrue(v.out().contains("no bootstrap intervals over prompts: one prompt, nothing to resample\n")
                || v.out().contains("no bootstrap intervals over prompts: one prompt, nothing to resample):"), v.out());
        // with completeness subsets, incompleteness has an interval (over the subsets) beside that header: it says so
        CliRun withSubsets = run("validate", "--model", "planted:ioi", "--task", out.resolve("task.jsonl").toString(),
                "--circuit", out.resolve("circuit.json").toString(), "--bootstrap", "100", "--completeness-samples", "4",
                "--quiet");
        assertEquals(0, withSubsets.code(), withSubsets.err());
        assertTrue(withSubsets.out().contains("one prompt, nothing to resample (incompleteness's interval is over its "
                + "subsets)"), withSubsets.out());
        assertFalse(v.out().contains("95% bootstrap intervals"), v.out());
        JsonNode faithfulness = new ObjectMapper().readTree(out.resolve("circuit.json").toFile()).get("validation")
                .get("metrics").get(0);
        assertFalse(faithfulness.has("ci_low"), faithfulness.toString());
    }
}

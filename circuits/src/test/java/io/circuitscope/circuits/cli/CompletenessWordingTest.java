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
 * The pipeline's EAP-IG completeness line said "the scores of all edges sum to 1.9109" (console and
 * summary.ig_completeness), but circuit.json's edge scores summed to 42.6: ACDC's exact effects had replaced the
 * candidates' EAP-IG scores. The line and the JSON now say the sum is of the scorer's estimates from before
 * verification; a scorer-only run, whose file holds those scores, keeps saying "the scores" and they add up.
 */
class CompletenessWordingTest {
    @TempDir
    static Path dir;

    private static double sumOfEdgeScores(JsonNode root) {
        double sum = 0;
        for (JsonNode e : root.get("edges")) {
            if (e.path("scored").asBoolean(true)) {
                sum += e.get("score").asDouble();
            }
        }
        return sum;
    }

    @Test
    void thePipelineSaysItSumsTheEstimatesBeforeVerification() throws Exception {
        Path out = dir.resolve("pipeline");
        CliRun r = run("discover", "--out", out.toString(), "--no-validate", "--no-render", "--quiet");
        assertEquals(0, r.code(), r.err());
        JsonNode root = new ObjectMapper().readTree(out.resolve("circuit.json").toFile());
        JsonNode c = root.get("summary").get("ig_completeness");
        // the file's scores do not add up to the recorded sum (here 42.6 against 1.91) ...
        assertTrue(Math.abs(sumOfEdgeScores(root) - c.get("sum").asDouble()) > 1, root.get("summary").toString());
        // ... and the file and the console say why
        assertTrue(c.path("scores_summed").asText().startsWith("the scorer's estimates before verification"), c.toString());
        assertFalse(r.out().contains("the scores of all edges sum to"), r.out());
        assertTrue(r.out().contains("EAP-IG completeness: EAP-IG's estimates for all edges, before ACDC's exact effects "
                + "replaced the " + root.get("summary").get("candidates_verified").asInt() + " verified candidates' "
                + "scores in circuit.json, sum to"), r.out());
    }

    @Test
    void aScorerOnlyRunSumsTheFilesOwnScores() throws Exception {
        Path out = dir.resolve("eap-ig");
        CliRun r = run("discover", "--out", out.toString(), "--method", "eap-ig", "--metric", "logit-diff", "--no-validate",
                "--no-render", "--quiet");
        assertEquals(0, r.code(), r.err());
        JsonNode root = new ObjectMapper().readTree(out.resolve("circuit.json").toFile());
        JsonNode c = root.get("summary").get("ig_completeness");
        assertEquals(c.get("sum").asDouble(), sumOfEdgeScores(root), 1e-6);
        assertEquals("the edge scores in this file", c.path("scores_summed").asText(), c.toString());
        assertTrue(r.out().contains("EAP-IG completeness: the scores of all edges sum to"), r.out());
    }
}

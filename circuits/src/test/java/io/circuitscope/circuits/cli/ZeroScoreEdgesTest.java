package io.circuitscope.circuits.cli;

import static io.circuitscope.circuits.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * EAP on planted:ioi gives 12 of 262 edges a non-zero score (8 of them ~1e-23); the other 88 of the
 * default 100 kept edges were chosen by edge index among exact zeros, and the circuit's precision against
 * the planted edges was 0.279. Scorer-only methods and AtP now keep only non-zero scores, and say so.
 */
class ZeroScoreEdgesTest {
    @TempDir
    Path dir;

    @Test
    void eapKeepsOnlyEdgesWithNonZeroScores() throws Exception {
        CliRun r = run("discover", "--method", "eap", "--metric", "logit-diff", "--out", dir.toString(), "--no-render",
                "--quiet", "--no-validate");
        assertEquals(0, r.code(), r.err());
        // eight of the twelve are ~1e-23 to 1e-33 beside a largest of 10: said, and kept (they are planted edges)
        assertTrue(r.out().contains("note: only 12 edges have a non-zero score (8 of them at most 1e-6 of the largest "
                + "|score|, kept all the same: only exact zeros are no evidence); kept 12 of the 100 asked"), r.out());
        JsonNode doc = new ObjectMapper().readTree(dir.resolve("circuit.json").toFile());
        int kept = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = doc.get("edges").fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getValue().get("in_graph").asBoolean()) {
                kept++;
                assertTrue(Math.abs(e.getValue().get("score").asDouble()) != 0, e.getKey() + " kept with score "
                        + e.getValue().get("score"));
            }
        }
        assertEquals(12, kept);
        assertTrue(doc.get("summary").get("few_scored").asText().startsWith("only 12 edges"));
    }

    @Test
    void atpKeepsOnlyNodesWithNonZeroScores() {
        CliRun r = run("discover", "--method", "atp", "--metric", "logit-diff", "--out", dir.toString(), "--no-render",
                "--quiet", "--no-validate");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("note: only 5 nodes have a non-zero score; kept 5 of the 10 asked"), r.out());
    }
}

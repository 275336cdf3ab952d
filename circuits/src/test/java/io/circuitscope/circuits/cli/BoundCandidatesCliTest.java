package io.circuitscope.circuits.cli;

import static io.circuitscope.circuits.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code discover --candidates bound[:F]} end to end on the planted IOI model. */
class BoundCandidatesCliTest {
    @TempDir
    Path dir;

    /**
     * EAP-IG ranks the 12 planted edges first, so one round of 59 below the top 64 finds none. The candidates are then
     * the top 64, as with {@code --candidates 64}: the same circuit, and the round's passes on top of that run's.
     */
    @Test
    void boundStopsAtTheFirst64AndCountsItsPasses() throws Exception {
        Path out = dir.resolve("bound");
        CliRun r = run("discover", "--model", "planted:ioi", "--candidates", "BOUND", "--out", out.toString(), "--quiet",
                "--no-render", "--no-validate");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("  candidates by AtP*'s bound: 64, stopped at 64: round 1 found none of 59 sampled "
                + "from the 198 unverified (no bound: the false-negatives line bounds them, on a sample of its own)\n"), r.out());
        JsonNode json = new ObjectMapper().readTree(out.resolve("circuit.json").toFile());
        assertEquals("bound:0.05", json.get("method").get("candidates").asText());
        JsonNode summary = json.get("summary");
        JsonNode rounds = summary.get("candidate_rounds");
        assertEquals(1, rounds.get("rounds").size(), rounds.toString());
        assertEquals(64, rounds.get("rounds").get(0).get("k").asInt());
        assertEquals(59, rounds.get("rounds").get(0).get("sampled").asInt());
        assertEquals(0, rounds.get("rounds").get(0).get("found_above_tau").asInt());
        assertEquals(64, summary.get("candidates_verified").asInt());
        // the post-hoc diagnostic still runs on the remainder, with its own sample of 50
        assertEquals(198, summary.get("false_negative_bound").get("unverified_edges").asInt());
        assertEquals(50, summary.get("false_negative_bound").get("sampled_unverified_edges").asInt());

        Path top64 = dir.resolve("top64");
        CliRun t = run("discover", "--model", "planted:ioi", "--candidates", "64", "--out", top64.toString(), "--quiet",
                "--no-render", "--no-validate");
        assertEquals(0, t.code(), t.err());
        assertFalse(t.out().contains("candidates by AtP*'s bound"), t.out());
        JsonNode plain = new ObjectMapper().readTree(top64.resolve("circuit.json").toFile());
        assertTrue(plain.get("summary").get("candidate_rounds") == null);
        assertEquals(plain.get("edges"), json.get("edges"));
        long extra = summary.get("forward_passes").asLong() - plain.get("summary").get("forward_passes").asLong();
        assertTrue(extra > 0, "the round's exact passes are counted: " + extra);
    }

    /**
     * planted:induction has 110 edges: the round below the top 64 patches all 46 left and finds none, and that count is
     * the false-negative bound (no check of its own). The false-negatives line read as if a check had patched them; it
     * now says the count is the last round's.
     */
    @Test
    void anExhaustiveLastRoundIsNamedAsTheFalseNegativeCount() throws Exception {
        Path out = dir.resolve("census");
        CliRun r = run("discover", "--model", "planted:induction", "--candidates", "bound", "--out", out.toString(),
                "--no-render", "--no-validate"); // progress shown: the stages that ran
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("  candidates by AtP*'s bound: 64, stopped at 64: none of all 46 unverified edges "
                + "found above tau (every one patched)\n"), r.out());
        assertTrue(r.out().contains("  false negatives: 0 of all 46 unverified edges damage the metric by >= tau (every "
                + "one patched by the bound's last round, round 1 above, not again)\n"), r.out());
        assertTrue(r.err().contains("AtP*'s bound, round 1 (top 64 of 110) ["), r.err());
        assertFalse(r.err().contains("false-negative check ("), "no check of its own: " + r.err());
        JsonNode summary = new ObjectMapper().readTree(out.resolve("circuit.json").toFile()).get("summary");
        JsonNode round = summary.get("candidate_rounds").get("rounds").get(0);
        JsonNode bound = summary.get("false_negative_bound");
        assertEquals(round.get("sampled").asInt(), bound.get("sampled_unverified_edges").asInt(), bound.toString());
        assertEquals(round.get("unverified_edges").asInt(), bound.get("unverified_edges").asInt());
        assertEquals(round.get("found_above_tau").asInt(), bound.get("found_above_tau").asInt());
    }

    @Test
    void badFractionsAreRefusedNamingTheForms() {
        for (String bad : new String[] {"bound:0", "bound:1.5", "bound:x"}) {
            Path notWritten = dir.resolve("not-written");
            CliRun refused = run("discover", "--model", "planted:ioi", "--candidates", bad, "--out",
                    notWritten.toString(), "--quiet");
            assertEquals(2, refused.code(), bad);
            assertTrue(refused.err().contains("candidate budget '" + bad + "': 'bound:F' needs a fraction F with 0 < F "
                    + "< 1"), refused.err());
            assertTrue(refused.err().contains("a number of edges, '>=SCORE', 'all', 'bound' or 'bound:F'"),
                    refused.err());
            assertFalse(Files.exists(notWritten));
        }
        CliRun help = run("discover", "--help");
        assertTrue(help.out().replaceAll("\\s+", " ").contains("'bound[:F]'"), help.out());
    }
}

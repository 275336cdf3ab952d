package io.circuitscope.circuits.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompareScorersCommandTest {
    @TempDir
    Path dir;

    /**
     * The planted IOI model's q/k edges into layer 2 are attention saturation that EAP cannot see
     * (its scores there are below 1e-20) and AtP*'s QK fix recovers exactly; the command must report that.
     */
    @Test
    void comparesEveryScorerWithExactPatchingAndWritesTheNumbers() throws Exception {
        Path file = dir.resolve("comparison.json");
        CliRun r = CliRun.run("compare-scorers", "--quiet", "--examples", "16", "--out", file.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("exact patching of 262 edges and 16 nodes"), r.out());
        assertTrue(r.out().contains("atp-star at least eap on Pearson and Spearman: edges yes"), r.out());
        assertTrue(r.out().contains("atp-star's edges and nodes by the larger of |score| and GradDrop"),
                "the table says how AtP* ranks: " + r.out());
        assertTrue(r.out().contains("atp-star minus eap, 95% bootstrap intervals (edges and nodes resampled): edge Pearson +"),
                r.out());
        JsonNode json = new ObjectMapper().readTree(file.toFile());
        assertEquals(262, json.get("edges").asInt());
        for (String scorer : new String[] {"eap", "eap-ig", "atp-star", "relp"}) {
            JsonNode s = json.get("scorers").get(scorer);
            assertTrue(s != null && s.get("edge_spearman").isNumber(), scorer + " missing: " + json);
            assertEquals(12, s.get("top_edges").asInt(), "12 edges of the planted model have an exact effect");
        }
        double threshold = 1e-3 * Math.abs(json.get("clean").asDouble() - json.get("corrupted").asDouble());
        JsonNode material = json.get("scorers").get("relp").get("material_edges");
        assertEquals(threshold, material.get("threshold").asDouble(), 1e-12, "0.1% of the task's effect");
        assertTrue(material.get("edges").asInt() >= 3 && material.get("edges").asInt() <= 12,
                "only the planted circuit's 12 edges can matter: " + material);
        assertTrue(json.get("scorers").get("relp").get("minus_eap").has("material_edge_spearman"), json.toString());
        assertTrue(r.out().contains("edges that matter (|exact effect| >= "), r.out());
        double eap = json.get("scorers").get("eap").get("edge_pearson").asDouble();
        double star = json.get("scorers").get("atp-star").get("edge_pearson").asDouble();
        assertTrue(star > eap + 0.2, "QK fix: AtP* edge Pearson " + star + " vs EAP " + eap);
    }

    /** Split by position, the planted induction model's edges still rank as exact patching ranks them. */
    @Test
    void comparesPositionAwareScores() {
        CliRun r = CliRun.run("compare-scorers", "--quiet", "--model", "planted:induction", "--examples", "8",
                "--by-position", "--scorers", "eap,atp-star");
        assertEquals(0, r.code(), r.err());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("exact patching of (\\d+) edges").matcher(r.out());
        assertTrue(m.find(), r.out());
        assertTrue(Integer.parseInt(m.group(1)) > 1000, "edges split by position: " + r.out());
        java.util.regex.Matcher auc = java.util.regex.Pattern.compile("(?m)^atp-star\\s+([0-9.]+)").matcher(r.out());
        assertTrue(auc.find() && Double.parseDouble(auc.group(1)) > 0.9, r.out());
    }

    /** --exact-edges patches the scorers' top edges and a seeded sample of the others, and says what that means. */
    @Test
    void aSampleOfExactEdgesIsReportedAsASample() throws Exception {
        Path file = dir.resolve("sampled.json");
        CliRun r = CliRun.run("compare-scorers", "--quiet", "--examples", "8", "--exact-edges", "60", "--top-edges", "5",
                "--scorers", "eap,atp-star", "--out", file.toString());
        assertEquals(0, r.code(), r.err());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("exact patching of (\\d+) of 262 edges \\(every "
                + "scorer's top 10 and a uniform sample of 60 others, seed 1\\) and 16 nodes").matcher(r.out());
        assertTrue(m.find(), r.out());
        int patched = Integer.parseInt(m.group(1));
        assertTrue(patched >= 70 && patched <= 80, "60 sampled plus the union of two top 10s: " + patched);
        // the planted model's 12 edges with an effect are all in the scorers' top 10s or below the top 5's threshold
        assertTrue(r.out().contains("0 of the 60 drawn edges reach it, so at most 10 of the " + (262 - patched)
                + " unpatched edges do (95%, Clopper-Pearson)"), r.out());
        JsonNode json = new ObjectMapper().readTree(file.toFile());
        assertEquals(patched, json.get("exact_edges").asInt());
        assertEquals(60, json.get("top_edge_coverage").get("sampled_others").asInt());
        JsonNode eap = json.get("scorers").get("eap");
        assertTrue(eap.get("auc").asDouble() > 0.9 && eap.get("top_edges").asInt() == 5, eap.toString());
        assertTrue(eap.get("edge_pearson").isNumber() && eap.get("node_pearson").isNumber(), eap.toString());
        assertTrue(json.get("scorers").get("atp-star").get("minus_eap").get("node_pearson").get("difference").isNumber(),
                json.toString());
        assertEquals(2, CliRun.run("compare-scorers", "--quiet", "--exact-edges", "0").code());
    }

    /** --exact-cache keeps the exact effects: a rerun reuses them, and a file of another comparison is refused. */
    @Test
    void exactEffectsAreKeptReusedAndNeverMixedWithAnotherComparisons() throws Exception {
        Path cache = dir.resolve("exact.json");
        CliRun first = CliRun.run("compare-scorers", "--quiet", "--examples", "8", "--exact-edges", "60", "--top-edges",
                "5", "--scorers", "eap", "--exact-cache", cache.toString());
        assertEquals(0, first.code(), first.err());
        assertTrue(first.out().contains("(0 edges reused from it)"), first.out());
        JsonNode stored = new ObjectMapper().readTree(cache.toFile());
        assertEquals(70, stored.get("edge_effects").size(), "EAP's top 10 and 60 sampled");
        assertEquals(16, stored.get("node_effects").size());

        CliRun second = CliRun.run("compare-scorers", "--quiet", "--examples", "8", "--exact-edges", "100", "--top-edges",
                "5", "--scorers", "eap", "--exact-cache", cache.toString());
        assertEquals(0, second.code(), second.err());
        assertTrue(second.out().contains("(70 edges and every node reused from it)"), second.out());
        assertEquals(110, new ObjectMapper().readTree(cache.toFile()).get("edge_effects").size());

        String before = java.nio.file.Files.readString(cache);
        CliRun otherMetric = CliRun.run("compare-scorers", "--quiet", "--examples", "8", "--exact-edges", "60",
                "--scorers", "eap", "--metric", "logprob", "--exact-cache", cache.toString());
        assertEquals(1, otherMetric.code());
        assertTrue(otherMetric.err().contains(cache + ": field 'metric'"), otherMetric.err());
        CliRun otherTask = CliRun.run("compare-scorers", "--quiet", "--examples", "12", "--exact-edges", "60",
                "--scorers", "eap", "--exact-cache", cache.toString());
        assertEquals(1, otherTask.code());
        assertTrue(otherTask.err().contains("field 'task_hash'"), otherTask.err());
        assertEquals(before, java.nio.file.Files.readString(cache), "a refused file is left as it was");

        java.nio.file.Files.writeString(cache, before.replace("\"edge_effects\" : {", "\"edge_effects\" : {\"nonsense->x\": 1,"));
        CliRun unknownEdge = CliRun.run("compare-scorers", "--quiet", "--examples", "8", "--exact-edges", "60",
                "--scorers", "eap", "--exact-cache", cache.toString());
        assertEquals(1, unknownEdge.code());
        assertTrue(unknownEdge.err().contains("'edge_effects.nonsense->x': no such edge"), unknownEdge.err());
    }

    /**
     * A cache or --out file that cannot be written is refused before any patching, naming the option and the path
     * (--out was found only after the exact patching, whose numbers were then lost).
     */
    @Test
    void unwritableOutputsAreRefusedBeforeAnyWork() throws Exception {
        Path blocker = dir.resolve("a-file");
        java.nio.file.Files.writeString(blocker, "not a folder");
        Path inside = blocker.resolve("exact.json");
        String[][] cases = {{"--exact-cache", inside.toString(), ": cannot be created: " + blocker + " is a file, not a folder"},
                {"--out", inside.toString(), ": cannot be created: " + blocker + " is a file, not a folder"},
                {"--out", dir.toString(), ": is a folder; give a file name"}};
        for (String[] c : cases) {
            CliRun r = CliRun.run("compare-scorers", "--quiet", "--examples", "8", "--exact-edges", "20", "--scorers",
                    "eap", c[0], c[1]);
            assertEquals(2, r.code(), r.err());
            assertTrue(r.err().startsWith("error: " + c[0] + " " + c[1] + c[2]), r.err());
            assertTrue(!r.out().contains("exact patching of"), "nothing was patched: " + r.out());
        }
    }

    /** Exact effects of a corruption that moves nothing are round-off: refused before any edge is patched. */
    @Test
    void aTaskWhoseCorruptionChangesNothingIsRefused() throws Exception {
        Path task = dir.resolve("unchanged.jsonl");
        java.nio.file.Files.writeString(task, "{\"clean_ids\": [0, 3, 5, 7], \"corrupt_ids\": [0, 3, 5, 7], "
                + "\"targets\": [{\"position\": -1, \"correct_id\": 3, \"wrong_id\": 5}]}\n");
        CliRun r = CliRun.run("compare-scorers", "--quiet", "--model", "planted:ioi", "--task", task.toString(),
                "--scorers", "eap");
        assertEquals(1, r.code(), r.out());
        assertTrue(r.err().contains("task 'unchanged': the corrupted prompts barely change the metric logit-diff"),
                r.err());
        assertTrue(!r.out().contains("exact patching of"), "nothing was patched: " + r.out());
    }

    @Test
    void refusesKlExactAndUnknownScorersWithAReason() {
        CliRun kl = CliRun.run("compare-scorers", "--quiet", "--metric", "kl");
        assertEquals(2, kl.code());
        assertTrue(kl.err().contains("gradient is zero at the clean run, so eap would score 0"), kl.err());
        CliRun klIg = CliRun.run("compare-scorers", "--quiet", "--metric", "kl", "--scorers", "eap-ig", "--examples", "8");
        assertEquals(0, klIg.code(), "EAP-IG integrates away from the clean run, so KL is fine: " + klIg.err());
        CliRun klOneStep = CliRun.run("compare-scorers", "--quiet", "--metric", "kl", "--scorers", "eap-ig", "--ig-steps", "1");
        assertEquals(2, klOneStep.code(), "one step of eap-ig is EAP, at the clean run");
        assertTrue(klOneStep.err().contains("so eap-ig with one step would score 0; use 2 or more steps (--ig-steps"),
                klOneStep.err());
        CliRun exact = CliRun.run("compare-scorers", "--quiet", "--scorers", "eap,exact");
        assertEquals(2, exact.code());
        assertTrue(exact.err().contains("'exact' is what the scorers are compared with"), exact.err());
        CliRun unknown = CliRun.run("compare-scorers", "--quiet", "--scorers", "eap,magic");
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().contains("unknown scorer 'magic'"), unknown.err());
    }

    /**
     * RelP with chosen LRP rules is compared like any scorer: relp:none reproduces EAP's row, long names
     * keep the table's columns aligned, and an unknown rule is refused by name.
     */
    @Test
    void relpRuleSetsAreScorersOfTheirOwn() {
        CliRun r = CliRun.run("compare-scorers", "--quiet", "--examples", "8", "--scorers", "eap,relp:identity+half,relp:none");
        assertEquals(0, r.code(), r.err());
        java.util.List<String> rows = r.out().lines()
                .filter(l -> l.startsWith("scorer ") || l.matches("^(eap|relp:\\S+)\\s+[0-9.]+ .*")).toList();
        assertEquals(4, rows.size(), r.out());
        int aucEnd = rows.get(0).indexOf("AUC") + 3;
        for (String row : rows) {
            assertEquals(' ', row.charAt(aucEnd), "columns aligned: " + rows);
            assertTrue(Character.isLetterOrDigit(row.charAt(aucEnd - 1)), "columns aligned: " + rows);
        }
        assertEquals(rows.get(1).replaceFirst("^eap\\s+", "").replaceFirst("\\s+\\S+$", ""),
                rows.get(3).replaceFirst("^relp:none\\s+", "").replaceFirst("\\s+\\S+$", ""),
                "relp:none (no LRP rule) is EAP, up to the seconds column: " + rows);
        CliRun bad = CliRun.run("compare-scorers", "--quiet", "--scorers", "eap,relp:ln+gate");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("unknown LRP rule 'gate' in 'ln+gate'"), bad.err());
    }

    /** --material-fraction 0 makes every edge one that matters: the two sets of correlations then agree. */
    @Test
    void theFractionFromWhichAnEdgeMattersIsTheUsersToChoose() throws Exception {
        Path file = dir.resolve("every-edge-matters.json");
        CliRun r = CliRun.run("compare-scorers", "--quiet", "--examples", "8", "--scorers", "eap,relp",
                "--material-fraction", "0", "--out", file.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode relp = new ObjectMapper().readTree(file.toFile()).get("scorers").get("relp");
        JsonNode material = relp.get("material_edges");
        assertEquals(0.0, material.get("fraction_of_task_effect").asDouble());
        assertEquals(262, material.get("edges").asInt());
        assertEquals(relp.get("edge_spearman").asDouble(), material.get("spearman").asDouble(), 1e-12);
        assertEquals(relp.get("edge_pearson").asDouble(), material.get("pearson").asDouble(), 1e-12);
        assertTrue(r.out().contains("edges that matter (|exact effect| >= 0.000, 0% of the task's effect): 262 of 262"),
                r.out());

        CliRun bad = CliRun.run("compare-scorers", "--quiet", "--material-fraction", "1.5");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--material-fraction must be at least 0 and below 1, got 1.5"), bad.err());
    }
}

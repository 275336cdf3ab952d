package io.circuitscope.circuits.cli;

import static io.circuitscope.circuits.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.circuitscope.core.io.TensorDtype;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What discover reports about its own run: its cost, and notes on options that do nothing or little. */
class DiscoverNotesTest {
    @TempDir
    static Path dir;
    static Path model;
    static Path task;

    @BeforeAll
    static void setUp() throws Exception {
        model = TinyCheckpoint.gpt2(31, 2, 2, 4, 23, 8, false).write(dir.resolve("model"), TensorDtype.F32);
        task = RandomTaskFile.write(dir.resolve("task.jsonl"), "random", 2, 6, 5, 23);
    }

    /** A discover run on the tiny model, without validation or drawings; {@code out} is its folder. */
    static CliRun discover(String out, String... args) {
        List<String> all = new ArrayList<>(List.of("discover", "--model", model.toString(), "--task", task.toString(),
                "--out", dir.resolve(out).toString(), "--no-validate", "--no-render", "--batch-size", "4"));
        all.addAll(Arrays.asList(args));
        return run(all.toArray(String[]::new));
    }

    static JsonNode circuit(String out) throws Exception {
        return new ObjectMapper().readTree(dir.resolve(out).resolve("circuit.json").toFile());
    }

    /**
     * Gradient scorers' passes are counted apart from the forward passes, in circuit.json, on the console's cost
     * line and in the scorer's progress line (they reported none: "scoring edges (eap-ig, 5 steps) [####] 2/2,
     * 0 forward passes").
     */
    @Test
    void theCostCountsGradientPassesApart() throws Exception {
        CliRun pipeline = discover("cost-pipeline"); // 6 examples in batches of 4: 2 batches
        assertEquals(0, pipeline.code(), pipeline.err());
        JsonNode summary = circuit("cost-pipeline").get("summary");
        assertEquals(2, summary.get("gradient_passes").asLong(), summary.toString()); // eap-ig's 5 steps share a pass
        assertTrue(pipeline.out().contains("  cost: " + summary.get("forward_passes").asLong() + " forward passes, 2 "
                + "gradient passes (forward and backward), "), pipeline.out());
        assertTrue(pipeline.err().contains("scoring edges (eap-ig, 5 steps) [########################] 2/2, 0 forward "
                + "passes, 2 gradient passes, "), pipeline.err());

        CliRun acdc = discover("cost-acdc", "--method", "acdc", "--quiet");
        assertEquals(0, acdc.code(), acdc.err());
        assertEquals(0, circuit("cost-acdc").get("summary").get("gradient_passes").asLong());
        assertTrue(acdc.out().contains(" forward passes, 0 gradient passes (forward and backward), "), acdc.out());
    }

    /**
     * --examples with a task file, and --align with a planted model's own task, were dropped without a word (and
     * still recorded in command.argv); each is now noted as ignored, and only where it is.
     */
    @Test
    void optionsTheTaskLeavesUnreadAreNoted() throws Exception {
        CliRun withTask = discover("examples-task", "--method", "eap", "--metric", "logit-diff", "--examples", "3",
                "--quiet");
        assertEquals(0, withTask.code(), withTask.err());
        assertTrue(withTask.err().contains("note: --examples does not apply with --task (the task file gives the "
                + "examples); ignored"), withTask.err());
        assertEquals(6, circuit("examples-task").get("task").get("examples").asInt());

        CliRun planted = run("discover", "--model", "planted:ioi", "--examples", "4", "--align", "--method", "eap",
                "--metric", "logit-diff", "--out", dir.resolve("align-planted").toString(), "--no-validate", "--no-render",
                "--quiet");
        assertEquals(0, planted.code(), planted.err());
        assertTrue(planted.err().contains("note: --align does not apply to planted:ioi's own task (it pads the prompts "
                + "of a --task file); ignored"), planted.err());
        assertTrue(!planted.err().contains("--examples does not apply"), planted.err());
        assertEquals(4, circuit("align-planted").get("task").get("examples").asInt());

        CliRun aligned = discover("align-task", "--method", "eap", "--metric", "logit-diff", "--align", "--quiet");
        assertEquals(0, aligned.code(), aligned.err());
        assertTrue(!aligned.err().contains("note:"), aligned.err());
    }

    /**
     * The pipeline reads --ig-steps and hands it to its scorer: with a scorer that takes no steps the note blamed the
     * method ("--ig-steps does not apply to --method pipeline"); it names the scorer.
     */
    @Test
    void igStepsThePipelinesScorerDoesNotTakeAreBlamedOnTheScorer() throws Exception {
        CliRun eap = discover("ig-steps-eap", "--scorer", "eap", "--metric", "logit-diff", "--ig-steps", "10", "--quiet");
        assertEquals(0, eap.code(), eap.err());
        assertTrue(eap.err().contains("note: --ig-steps does not apply to --scorer eap; ignored"), eap.err());
        assertTrue(!eap.err().contains("--method pipeline"), eap.err());
        CliRun ig = discover("ig-steps-ig", "--ig-steps", "3", "--quiet");
        assertEquals(0, ig.code(), ig.err());
        assertTrue(!ig.err().contains("note:"), ig.err());
        assertEquals(3, circuit("ig-steps-ig").get("method").get("ig_steps").asInt());
        CliRun method = discover("ig-steps-method", "--method", "eap", "--metric", "logit-diff", "--ig-steps", "10",
                "--quiet");
        assertEquals(0, method.code(), method.err());
        assertTrue(method.err().contains("note: --ig-steps does not apply to --method eap; ignored"), method.err());
    }

    /**
     * --metric was taken in any case but recorded as typed (method.metric "LOGIT-DIFF", summary.metric
     * "logit-diff"), and --method ACDC or --scorer EAP were refused; all are taken in any case and recorded in one.
     */
    @Test
    void namesInAnyCaseAreTakenAndRecordedCanonically() throws Exception {
        CliRun acdc = discover("case-acdc", "--method", "ACDC", "--metric", "LOGIT-DIFF", "--ablation", "RESAMPLE", "--quiet");
        assertEquals(0, acdc.code(), acdc.err());
        JsonNode doc = circuit("case-acdc");
        assertEquals("acdc", doc.get("method").get("key").asText());
        assertEquals("logit-diff", doc.get("method").get("metric").asText());
        assertEquals("logit-diff", doc.get("summary").get("metric").asText());
        assertTrue(acdc.out().startsWith("circuitscope discover: acdc on "), acdc.out());

        CliRun pipeline = discover("case-pipeline", "--method", "Pipeline", "--scorer", "EAP", "--candidates", "ALL",
                "--metric", "Logit-Diff", "--quiet");
        assertEquals(0, pipeline.code(), pipeline.err());
        JsonNode method = circuit("case-pipeline").get("method");
        assertEquals("pipeline", method.get("key").asText());
        assertEquals("eap", method.get("scorer").asText());
        assertEquals("all", method.get("candidates").asText());
        assertEquals("logit-diff", method.get("metric").asText());
    }

    /** The false-negative check's exact patches have a progress line of their own, after ACDC's or the scorer's. */
    @Test
    void theFalseNegativeCheckShowsItsProgress() throws Exception {
        CliRun pipeline = discover("fn-pipeline", "--candidates", "10");
        assertEquals(0, pipeline.code(), pipeline.err());
        int unverified = circuit("fn-pipeline").get("summary").get("edges_total").asInt() - 10;
        assertTrue(pipeline.err().contains("false-negative check (" + unverified + " of " + unverified + " unverified "
                + "edges, tau 0.01) [########################] " + unverified + "/" + unverified + ", "), pipeline.err());
        CliRun eap = discover("fn-eap", "--method", "eap", "--metric", "logit-diff", "--edges", "5");
        assertEquals(0, eap.code(), eap.err());
        assertTrue(eap.err().contains("false-negative check (41 of 41 unverified edges, tau 0.01) ["), eap.err());
    }

    /**
     * --tau 0 under KL keeps every edge ACDC tries, and makes the false-negative check count every sampled edge as
     * missed; discover ran so without a word. It says so, only where the method uses tau that way and the metric
     * cannot fall below its value with every edge kept.
     */
    @Test
    void tauZeroUnderKlIsNoted() throws Exception {
        String everyEdge = "note: --tau 0 under kl: ACDC removes an edge only when that lowers kl, which is 0 with every "
                + "edge kept and cannot go lower, so it keeps every edge (a --tau above 0 prunes)";
        String bound = "the false-negative check counts as missed every sampled edge whose patch does not lower kl, "
                + "and from 0 none does";
        CliRun acdc = discover("tau0-acdc", "--method", "acdc", "--tau", "0", "--quiet");
        assertEquals(0, acdc.code(), acdc.err());
        assertTrue(acdc.err().contains(everyEdge), acdc.err());
        JsonNode summary = circuit("tau0-acdc").get("summary");
        assertEquals(summary.get("edges_total").asInt(), summary.get("edges_in_graph").asInt(), summary.toString());

        CliRun all = discover("tau0-all", "--candidates", "all", "--tau", "0", "--quiet");
        assertEquals(0, all.code(), all.err());
        assertTrue(all.err().contains(everyEdge), all.err());

        CliRun budget = discover("tau0-budget", "--candidates", "10", "--tau", "0", "--quiet");
        assertEquals(0, budget.code(), budget.err());
        assertTrue(budget.err().contains("note: --tau 0 under kl: ACDC keeps every candidate edge whose removal does not "
                + "lower kl; " + bound + " (a --tau above 0 prunes)"), budget.err());
        JsonNode check = circuit("tau0-budget").get("summary").get("false_negative_bound");
        assertEquals(check.get("sampled_unverified_edges").asInt(), check.get("found_above_tau").asInt(), check.toString());

        CliRun scorer = discover("tau0-eapig", "--method", "eap-ig", "--tau", "0", "--quiet");
        assertEquals(0, scorer.code(), scorer.err());
        assertTrue(scorer.err().contains("note: --tau 0 under kl: " + bound + " (a --tau above 0 counts only the edges "
                + "that matter)"), scorer.err());

        // where it does not apply: a metric that can fall, exact patching (no check), a tau above 0
        for (String[] args : new String[][] {{"--method", "acdc", "--tau", "0", "--metric", "logit-diff"},
                {"--method", "exact", "--tau", "0"}, {"--method", "acdc", "--tau", "0.01"}}) {
            List<String> quiet = new ArrayList<>(Arrays.asList(args));
            quiet.add("--quiet");
            CliRun r = discover("tau0-" + String.join("", args).replace("-", ""), quiet.toArray(String[]::new));
            assertEquals(0, r.code(), r.err());
            assertTrue(!r.err().contains("--tau 0 under"), String.join(" ", args) + ": " + r.err());
        }
    }
}

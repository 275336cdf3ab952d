package io.circuitscope.circuits.cli;

import static io.circuitscope.circuits.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.circuitscope.circuits.io.CircuitDocument;
import io.circuitscope.circuits.io.CircuitJson;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.io.ModelLoader;
import io.circuitscope.core.io.TensorDtype;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiscoverCommandTest {
    @TempDir
    static Path dir;
    static Path model;
    static Path task;

    @BeforeAll
    static void setUp() throws Exception {
        model = TinyCheckpoint.gpt2(31, 2, 2, 4, 23, 8, false).write(dir.resolve("model"), TensorDtype.F32);
        task = RandomTaskFile.write(dir.resolve("task.jsonl"), "random", 2, 4, 5, 23);
    }

    @Test
    void pipelineWritesACircuitJsonWithEapIgKeysAndProvenance() throws Exception {
        Path out = dir.resolve("run-pipeline");
        CliRun r = run("discover", "--model", model.toString(), "--task", task.toString(), "--out", out.toString(),
                "--candidates", "20", "--tau", "0.02", "--quiet");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("faithfulness"), r.out());
        JsonNode root = new ObjectMapper().readTree(out.resolve("circuit.json").toFile());
        assertEquals(CircuitJson.SCHEMA, root.get("schema").asText());
        assertEquals("pipeline", root.get("method").get("key").asText());
        assertEquals("kl", root.get("summary").get("metric").asText());
        assertEquals(64, root.get("model").get("config_hash").asText().length());
        assertTrue(root.get("edges").has("input->logits"));
        assertTrue(root.get("edges").get("input->logits").has("in_graph"));
        assertTrue(root.get("nodes").get("a1.h0").has("score"));
        try (LoadedModel loaded = ModelLoader.load(model)) {
            CircuitDocument doc = CircuitJson.read(out.resolve("circuit.json"), ComputationGraph.of(loaded.model().config()));
            assertEquals(root.get("summary").get("edges_in_graph").asInt(), doc.circuit().edgeCount());
            assertEquals(io.circuitscope.core.Hashes.of(loaded.model().config()), root.get("model").get("config_hash").asText());
            // readable without the model: the graph is rebuilt from the model section
            CircuitDocument modelFree = CircuitJson.read(out.resolve("circuit.json"));
            assertEquals(doc.circuit().graph().nEdges(), modelFree.circuit().graph().nEdges());
            org.junit.jupiter.api.Assertions.assertArrayEquals(doc.circuit().keepMask(), modelFree.circuit().keepMask());
        }
        assertEquals(false, root.get("model").get("parallel_attn_mlp").asBoolean(true));
        CliRun render = run("render", out.resolve("circuit.json").toString(), "--format", "html");
        assertEquals(0, render.code(), render.err());
        assertTrue(out.resolve("report.html").toFile().length() > 0);
    }

    /**
     * validate judges a circuit by the metric and ablation it was found with unless told otherwise (it used to
     * switch to KL and overwrite the logit-difference verdict), and refuses a model of another shape.
     */
    @Test
    void validateKeepsTheCircuitsMetricAndRefusesAnotherModel() throws Exception {
        Path out = dir.resolve("run-validate-metric");
        CliRun found = run("discover", "--model", model.toString(), "--task", task.toString(), "--method", "eap-ig",
                "--metric", "logit-diff", "--edges", "10", "--bootstrap", "50", "--out", out.toString(), "--quiet");
        assertEquals(0, found.code(), found.err());
        Path circuit = out.resolve("circuit.json");
        JsonNode before = new ObjectMapper().readTree(circuit.toFile()).get("validation");
        CliRun again = run("validate", "--model", model.toString(), "--task", task.toString(), "--circuit",
                circuit.toString(), "--bootstrap", "50", "--quiet");
        assertEquals(0, again.code(), again.err());
        assertTrue(again.err().contains("logit-diff and resample ablation, as recorded in"), again.err());
        JsonNode after = new ObjectMapper().readTree(circuit.toFile()).get("validation");
        assertEquals("logit-diff", after.get("metric").asText());
        assertEquals(before.get("metrics").get(0).get("value").asDouble(), after.get("metrics").get(0).get("value").asDouble(),
                1e-9, "the same verdict as discover's");
        CliRun kl = run("validate", "--model", model.toString(), "--task", task.toString(), "--circuit",
                circuit.toString(), "--bootstrap", "50", "--metric", "kl", "--quiet");
        assertEquals(0, kl.code(), kl.err());
        assertEquals("kl", new ObjectMapper().readTree(circuit.toFile()).get("validation").get("metric").asText());

        Path wider = TinyCheckpoint.gpt2(31, 2, 2, 8, 23, 8, false).write(dir.resolve("wider"), TensorDtype.F32);
        CliRun other = run("validate", "--model", wider.toString(), "--task", task.toString(), "--circuit",
                circuit.toString(), "--quiet");
        assertEquals(1, other.code());
        assertTrue(other.err().contains("circuit.json: the circuit was found on a model with d_model"), other.err());
    }

    /** Gemma 2's sandwich norms used to make edge patching refuse; the pipeline and validation now run on it. */
    @Test
    void gemma2CircuitsAreFoundAndValidatedEdgeByEdge() throws Exception {
        Path gemma = TinyCheckpoint.llamaFamily("gemma2", 32, 2, 2, 1, 4, 8, 16, 23, 16, true, false)
                .write(dir.resolve("gemma2"), TensorDtype.F32);
        Path out = dir.resolve("run-gemma2");
        CliRun r = run("discover", "--model", gemma.toString(), "--task", task.toString(), "--out", out.toString(),
                "--candidates", "20", "--tau", "0.01", "--quiet", "--no-render");
        assertEquals(0, r.code(), r.err());
        JsonNode root = new ObjectMapper().readTree(out.resolve("circuit.json").toFile());
        assertEquals("pipeline", root.get("method").get("key").asText());
        assertTrue(root.get("summary").get("edges_in_graph").asInt() > 0, root.get("summary").toString());
        assertTrue(root.get("edges").has("a0.h1->a1.h0<q>"));
        CliRun again = run("validate", "--model", gemma.toString(), "--task", task.toString(), "--circuit",
                out.resolve("circuit.json").toString(), "--bootstrap", "20", "--quiet");
        assertEquals(0, again.code(), again.err());
        assertTrue(again.out().contains("faithfulness"), again.out());
        // direct logit attribution through the sandwich norms, of the difference before Gemma 2's soft-cap
        CliRun dla = run("dla", "--model", gemma.toString(), "--task", task.toString(), "--json");
        assertEquals(0, dla.code(), dla.err());
        JsonNode attribution = new ObjectMapper().readTree(dla.out());
        assertEquals(30.0, attribution.get("softcap").asDouble(), "Gemma 2's default final soft-cap");
        assertEquals(attribution.get("logit_diff").asDouble(), attribution.get("sum").asDouble(), 1e-3);
        CliRun dlaText = run("dla", "--model", gemma.toString(), "--task", task.toString());
        assertTrue(dlaText.out().startsWith("logit difference before the final soft-cap (30.0)"), dlaText.out());
    }

    @Test
    void everyMethodRuns() throws Exception {
        for (String method : new String[] {"acdc", "eap-ig", "eap-ig-inputs", "exact"}) {
            Path out = dir.resolve("run-" + method);
            CliRun r = run("discover", "--model", model.toString(), "--task", task.toString(), "--method", method,
                    "--out", out.toString(), "--quiet", "--edges", "10", "--scorer", "relp", "--tau", "0.01");
            assertEquals(0, r.code(), method + ": " + r.err());
            JsonNode recorded = new ObjectMapper().readTree(out.resolve("circuit.json").toFile()).get("method");
            assertEquals(method, recorded.get("key").asText());
            // integration steps are recorded only where they were used
            assertEquals(method.startsWith("eap-ig"), recorded.path("ig_steps").isInt(), recorded.toString());
            // and so is EAP-IG's completeness check: the sum its scores should reach is the clean-corrupted gap
            JsonNode summary = new ObjectMapper().readTree(out.resolve("circuit.json").toFile()).get("summary");
            assertEquals(method.startsWith("eap-ig"), summary.has("ig_completeness"), summary.toString());
            if (method.startsWith("eap-ig")) {
                JsonNode check = summary.get("ig_completeness");
                assertEquals(summary.get("corrupted").asDouble() - summary.get("clean").asDouble(),
                        check.get("gap").asDouble(), 1e-9);
                assertEquals(method.equals("eap-ig") ? "all edges" : "input out-edges", check.get("summed").asText());
                assertTrue(r.out().contains("EAP-IG completeness: the scores of " + check.get("summed").asText()), r.out());
            }
            // options the method does not read are named, not silently dropped
            assertTrue(r.err().contains("note: --scorer does not apply to --method " + method + "; ignored"), r.err());
            assertEquals(method.equals("acdc"), r.err().contains("note: --edges does not apply"), r.err());
            // tau decides ACDC and bounds a scorer's false negatives; exact patching of every edge needs none
            assertEquals(method.equals("exact"), r.err().contains("note: --tau does not apply"), r.err());
        }
        CliRun eap = run("discover", "--model", model.toString(), "--task", task.toString(), "--method", "eap",
                "--metric", "logit-diff", "--ig-steps", "20", "--out", dir.resolve("run-eap").toString(), "--quiet");
        assertEquals(0, eap.code(), eap.err());
        assertTrue(eap.err().contains("note: --ig-steps does not apply to --method eap; ignored"), eap.err());
        Path relpOut = dir.resolve("run-relp-rules");
        CliRun relpRules = run("discover", "--model", model.toString(), "--task", task.toString(), "--method", "relp:identity",
                "--metric", "logit-diff", "--out", relpOut.toString(), "--quiet", "--no-render");
        assertEquals(0, relpRules.code(), relpRules.err());
        assertTrue(relpOut.resolve("circuit.json").toFile().isFile());
        CliRun atp = run("discover", "--model", "planted:ioi", "--method", "atp", "--nodes", "6", "--metric", "logit-diff",
                "--out", dir.resolve("run-atp").toString(), "--quiet", "--no-render");
        assertEquals(0, atp.code(), atp.err());
        // node-level: the planted circuit's nodes are the top nodes, so every planted edge is among the kept ones
        assertTrue(atp.out().contains("recall 1.000"), atp.out());
    }

    /**
     * AtP* alone reports its false-negative bound and each edge's importance. On the planted IOI model
     * its top 12 edges are the 12 planted ones, so none of the 50 sampled other edges matters.
     */
    @Test
    void atpStarReportsItsFalseNegativeBoundAndImportances() throws Exception {
        Path out = dir.resolve("run-atp-star");
        CliRun r = run("discover", "--model", "planted:ioi", "--method", "atp-star", "--metric", "logit-diff", "--edges", "12",
                "--out", out.toString(), "--quiet", "--no-render", "--no-validate");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("false negatives: 0 of 50 sampled unverified edges"), r.out());
        JsonNode json = new ObjectMapper().readTree(out.resolve("circuit.json").toFile());
        JsonNode bound = json.get("summary").get("false_negative_bound");
        assertEquals(250, bound.get("unverified_edges").asInt(), bound.toString());
        assertEquals(0, bound.get("found_above_tau").asInt(), bound.toString());
        assertTrue(bound.get("max_fraction_missed").asDouble() < 0.1, bound.toString());
        // 0 of 50: the 95% quantile of Beta(1, 50), whose CDF is 1 - (1 - x)^50
        assertEquals(1 - Math.pow(0.05, 1.0 / 50), bound.get("max_fraction_missed").asDouble(), 1e-6, bound.toString());
        JsonNode edge = json.get("edges").get("a1.h0->a2.h0<q>");
        assertTrue(edge.get("importance").asDouble() >= Math.abs(edge.get("score").asDouble()), edge.toString());
        // nodes too: the larger of |sum of out-edge scores| and the node's GradDrop
        json.get("nodes").fields().forEachRemaining(n -> {
            JsonNode node = n.getValue();
            if (node.get("score").isNull()) {
                assertTrue(node.get("importance") == null, n.getKey() + " has no output, so no importance: " + node);
            } else {
                assertTrue(node.get("importance").asDouble() >= Math.abs(node.get("score").asDouble()) - 1e-12,
                        n.getKey() + ": " + node);
            }
        });
    }

    @Test
    void byPositionFindsAPositionAwareCircuitOnThePlantedInductionModel() throws Exception {
        Path out = dir.resolve("run-by-position");
        CliRun r = run("discover", "--model", "planted:induction", "--by-position", "--out", out.toString(), "--quiet",
                "--no-render");
        assertEquals(0, r.code(), r.err());
        JsonNode root = new ObjectMapper().readTree(out.resolve("circuit.json").toFile());
        int positions = root.get("positions").asInt();
        assertTrue(positions > 1, "positions recorded");
        assertTrue(root.get("method").get("by_position").asBoolean());
        java.util.List<String> kept = new java.util.ArrayList<>();
        root.get("edges").fields().forEachRemaining(e -> {
            assertTrue(e.getKey().matches(".*@\\d+"), "position-aware edge name: " + e.getKey());
            if (e.getValue().get("in_graph").asBoolean()) {
                kept.add(e.getKey());
            }
        });
        // against the position-agnostic planted ground truth, compared edge by edge across positions
        JsonNode cmp = root.get("comparison");
        assertTrue(cmp.get("compared_across_positions").asBoolean());
        assertEquals(1.0, cmp.get("edge_recall").asDouble(), 1e-9, "kept " + kept);
        assertEquals(1.0, cmp.get("edge_precision").asDouble(), 1e-9, "kept " + kept);
        assertTrue(root.get("summary").get("faithfulness").asDouble() > 0.95, root.get("summary").toString());
        // the induction head reads the answer only at the positions that predict the repeated half
        assertTrue(kept.stream().anyMatch(e -> e.startsWith("a1.h0->logits@")), kept.toString());
        assertTrue(kept.stream().noneMatch(e -> e.endsWith("@0")), "nothing to copy at position 0: " + kept);
        CliRun render = run("render", out.resolve("circuit.json").toString(), "--format", "dot");
        assertEquals(0, render.code(), render.err());
        assertTrue(Files.readString(out.resolve("circuit.dot")).contains("@"), "positions drawn on the edges");
        // judged on a task of another prompt length, the error names the circuit file and its positions
        Path shorter = dir.resolve("shorter.jsonl");
        Files.writeString(shorter, "{\"clean_ids\":[0,15,18,21,15,18,21],\"corrupt_ids\":[0,13,20,23,15,18,21],"
                + "\"targets\":[{\"position\":4,\"correct_id\":18,\"wrong_id\":20}]}\n");
        CliRun otherLength = run("validate", "--model", "planted:induction", "--task", shorter.toString(), "--circuit",
                out.resolve("circuit.json").toString(), "--quiet");
        assertEquals(1, otherLength.code(), otherLength.out());
        assertTrue(otherLength.err().contains(out.resolve("circuit.json") + " is position-aware")
                && otherLength.err().contains("\"positions\": " + positions) && otherLength.err().contains("have 7 tokens"),
                otherLength.err());

        CliRun mixed = run("discover", "--model", "planted:ioi", "--by-position", "--out", dir.resolve("y").toString(),
                "--quiet");
        assertEquals(1, mixed.code());
        assertTrue(mixed.err().contains("--by-position needs prompts of one length"), mixed.err());
    }

    /** Precision and recall of a position-aware circuit merge its positions: every output that prints them says so. */
    @Test
    void comparisonsAcrossPositionsSaySoWhereverTheyArePrinted() throws Exception {
        String note = "(compared across positions: an edge counts if kept at any position)";
        Path out = dir.resolve("run-across-positions");
        CliRun r = run("discover", "--model", "planted:induction", "--by-position", "--out", out.toString(), "--quiet");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().matches("(?s).*recall 1\\.000 \\((\\d+)/\\1\\), ROC AUC 1\\.000 " + java.util.regex.Pattern.quote(note) + ".*"),
                r.out());
        assertTrue(Files.readString(out.resolve("report.html")).contains(note), "report.html says so");

        Path whole = dir.resolve("run-whole-edges");
        assertEquals(0, run("discover", "--model", "planted:induction", "--out", whole.toString(), "--quiet",
                "--no-render").code());
        CliRun v = run("validate", "--model", "planted:induction", "--task", out.resolve("task.jsonl").toString(),
                "--circuit", out.resolve("circuit.json").toString(), "--reference",
                whole.resolve("circuit.json").toString(), "--quiet");
        assertEquals(0, v.code(), v.err());
        assertTrue(v.out().contains("CMD") && v.out().contains(note), v.out());
        // whole edges against whole edges: nothing merged, nothing said
        CliRun plain = run("validate", "--model", "planted:induction", "--task", out.resolve("task.jsonl").toString(),
                "--circuit", whole.resolve("circuit.json").toString(), "--reference",
                whole.resolve("circuit.json").toString(), "--quiet");
        assertEquals(0, plain.code(), plain.err());
        assertTrue(plain.out().contains("CMD") && !plain.out().contains(note), plain.out());
    }

    /** By position a circuit can fail minimality at hundreds of edge-positions: validate names three, as discover does. */
    @Test
    void validateCutsTheNonMinimalListShortAsDiscoverDoes() throws Exception {
        Path out = dir.resolve("run-many-not-minimal");
        CliRun r = run("discover", "--model", "planted:induction", "--method", "eap-ig", "--by-position", "--edges", "60",
                "--out", out.toString(), "--quiet", "--no-render");
        assertEquals(0, r.code(), r.err());
        // --no-render writes no report.html
        assertTrue(r.out().contains(" more (circuit.json lists them)"), r.out());
        CliRun v = run("validate", "--model", "planted:induction", "--task", out.resolve("task.jsonl").toString(),
                "--circuit", out.resolve("circuit.json").toString(), "--quiet");
        assertEquals(0, v.code(), v.err());
        assertEquals(3, v.out().lines().filter(l -> l.contains("not minimal:")).count(), v.out());
        assertTrue(v.out().lines().anyMatch(l -> l.matches("\\s+and \\d+ more \\(circuit\\.json lists them\\)")), v.out());
    }

    /** The summary names the components that fail minimality (at most three, then a count). */
    @Test
    void theSummaryNamesTheComponentsThatAreNotMinimal() {
        assertEquals("", DiscoverCommand.notMinimal(List.of(), 0.01, "report.html"));
        List<io.circuitscope.validation.ValidationReport.ComponentScore> failing = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            failing.add(new io.circuitscope.validation.ValidationReport.ComponentScore("a0.h" + i, true, 0.001 * i, false));
        }
        assertEquals("; |drop| below 0.01: a0.h0 0.0000", DiscoverCommand.notMinimal(failing.subList(0, 1), 0.01, "report.html"));
        assertEquals("; |drop| below 0.01: a0.h0 0.0000, a0.h1 0.0010, a0.h2 0.0020 and 2 more (report.html lists them)",
                DiscoverCommand.notMinimal(failing, 0.01, "report.html"));
        assertTrue(DiscoverCommand.notMinimal(failing, 0.01, "circuit.json").endsWith(" (circuit.json lists them)"));
    }

    @Test
    void badSettingsAreClearErrors() throws Exception {
        // every scorer that differentiates at the clean run would give rounding noise under KL: refused
        for (String[] method : new String[][] {{"--method", "eap"}, {"--method", "atp-star"}, {"--method", "relp"},
                {"--method", "relp-ah"}, {"--method", "atp"}, {"--method", "pipeline", "--scorer", "atp-star"}}) {
            List<String> args = new ArrayList<>(List.of("discover", "--model", model.toString(), "--task", task.toString(),
                    "--out", dir.resolve("x").toString(), "--quiet"));
            args.addAll(List.of(method));
            CliRun kl = run(args.toArray(new String[0]));
            assertEquals(2, kl.code(), String.join(" ", method)); // a usage error, found before any work
            assertTrue(kl.err().contains("KL divergence"), kl.err());
        }
        // accuracy and rank are step functions: every gradient scorer would score 0; ACDC only evaluates them
        for (String metric : new String[] {"accuracy", "rank"}) {
            CliRun step = run("discover", "--model", model.toString(), "--task", task.toString(), "--quiet",
                    "--metric", metric, "--out", dir.resolve("x").toString());
            assertEquals(2, step.code(), metric);
            assertTrue(step.err().contains("eap-ig differentiates the metric, and " + metric + " is a step function"),
                    step.err());
            // named as discover's options, not as a batch plan's fields (the two share this check)
            assertTrue(step.err().contains("use --metric logit-diff (or another task metric), or --method acdc or exact"),
                    step.err());
            // the default method is the pipeline: it can keep it with an exact scorer, as --help says
            assertTrue(step.err().contains("or the pipeline with --scorer exact, which only evaluate it"), step.err());
        }
        CliRun oneStep = run("discover", "--model", model.toString(), "--task", task.toString(), "--quiet",
                "--method", "eap-ig", "--ig-steps", "1", "--out", dir.resolve("x").toString());
        assertEquals(2, oneStep.code());
        assertTrue(oneStep.err().contains("use 2 or more steps (--ig-steps), or the logit-diff metric"), oneStep.err());
        assertFalse(oneStep.err().contains("ig_steps"), "no batch plan's field: " + oneStep.err());
        Path aFile = Files.writeString(dir.resolve("a-file"), "x");
        CliRun onAFile = run("discover", "--model", model.toString(), "--task", task.toString(), "--quiet",
                "--method", "eap-ig", "--metric", "logit-diff", "--edges", "5", "--out", aFile.toString());
        assertEquals(2, onAFile.code());
        assertTrue(onAFile.err().startsWith("error: --out " + aFile + ": is a file, not a folder"), onAFile.err()); // was ": null"
        assertEquals(2, run("discover", "--model", model.toString(), "--task", task.toString(), "--out", "").code());
        // settings that would fail only after the discovery ran are refused before it, naming the option
        Path notWritten = dir.resolve("not-written");
        for (String[] bad : new String[][] {{"--bootstrap", "-1", "--bootstrap must be >= 0"},
                {"--completeness-samples", "-2", "--completeness-samples must be >= 0"},
                {"--sufficiency", "NaN", "--sufficiency must be a finite number"},
                {"--candidates", "abc", "abc"}, {"--candidates", ">=NaN", "must be a finite score >= 0, got NaN"},
                {"--tau", "Infinity", "--tau must be a finite number >= 0 (the ACDC threshold), got Infinity"},
                {"--ig-steps", "0", "--ig-steps must be >= 1, got 0"}, {"--edges", "-5", "--edges must be >= 0, got -5"}}) {
            CliRun refused = run("discover", "--model", model.toString(), "--task", task.toString(), "--quiet",
                    bad[0], bad[1], "--out", notWritten.toString());
            assertEquals(2, refused.code(), bad[0]);
            assertTrue(refused.err().contains(bad[2]), refused.err());
            assertFalse(Files.exists(notWritten), "nothing is run or written for " + bad[0]);
        }
        CliRun unknown = run("discover", "--model", model.toString(), "--task", task.toString(), "--method", "magic");
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().contains("--method: unknown method 'magic' (known: acdc, atp, eap"), unknown.err());
        CliRun badRule = run("discover", "--model", model.toString(), "--task", task.toString(), "--method", "relp:ln+gate");
        assertEquals(2, badRule.code());
        assertTrue(badRule.err().contains("--method: unknown LRP rule 'gate' in 'ln+gate'"), badRule.err());
        CliRun noTask = run("discover", "--model", model.toString(), "--task", dir.resolve("none.jsonl").toString());
        assertEquals(1, noTask.code());
        assertTrue(noTask.err().contains("none.jsonl"), noTask.err());
        Path outsideVocabulary = dir.resolve("outside.jsonl");
        Files.writeString(outsideVocabulary, "{\"clean_ids\": [1, 2, 3], \"corrupt_ids\": [1, 4, 3], "
                + "\"targets\": [{\"position\": -1, \"correct_id\": 23, \"wrong_id\": 4}]}\n");
        CliRun outside = run("discover", "--model", model.toString(), "--task", outsideVocabulary.toString(), "--quiet",
                "--out", dir.resolve("x").toString());
        assertEquals(1, outside.code());
        assertTrue(outside.err().contains("outside.jsonl:1: field 'targets[0].correct_id' is token id 23, outside the "
                + "model's vocabulary [0, 23)"), outside.err());
        Path unchanged = dir.resolve("unchanged.jsonl");
        Files.writeString(unchanged, "{\"clean_ids\": [1, 2, 3], \"corrupt_ids\": [1, 2, 3], "
                + "\"targets\": [{\"position\": -1, \"correct_id\": 5, \"wrong_id\": 4}]}\n");
        for (String metric : new String[] {"kl", "logit-diff"}) {
            CliRun none = run("discover", "--model", model.toString(), "--task", unchanged.toString(), "--quiet",
                    "--metric", metric, "--method", "eap-ig", "--out", dir.resolve("x").toString());
            assertEquals(1, none.code(), metric);
            assertTrue(none.err().contains("task 'unchanged': the corrupted prompts barely change the metric " + metric),
                    none.err());
        }
    }

    @Test
    void validateAddsASectionAndComparesWithAReference() throws Exception {
        Path out = dir.resolve("run-validate");
        assertEquals(0, run("discover", "--model", model.toString(), "--task", task.toString(), "--method", "acdc",
                "--tau", "0.02", "--out", out.toString(), "--quiet").code());
        Path circuit = out.resolve("circuit.json");
        java.nio.file.Files.copy(circuit, dir.resolve("reference.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        CliRun r = run("validate", "--model", model.toString(), "--task", task.toString(), "--circuit", circuit.toString(),
                "--reference", dir.resolve("reference.json").toString(), "--bootstrap", "100", "--quiet");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("faithfulness") && r.out().matches("(?s).*edge precision 1\\.000 \\((\\d+)/\\1\\) recall 1\\.000 \\(\\1/\\1\\).*"), r.out());
        JsonNode root = new ObjectMapper().readTree(circuit.toFile());
        assertTrue(root.get("validation").get("metrics").get(0).has("ci_low"));
        assertEquals(1.0, root.get("comparison").get("edge_recall").asDouble(), 1e-12);
        // without --reference the comparison is not kept: its CPR/CMD were measured under that run's metric
        CliRun noReference = run("validate", "--model", model.toString(), "--task", task.toString(), "--circuit",
                circuit.toString(), "--metric", "logit-diff", "--bootstrap", "20", "--quiet");
        assertEquals(0, noReference.code(), noReference.err());
        assertTrue(noReference.err().contains("held is dropped; pass --reference to compare again under logit-diff"),
                noReference.err());
        assertTrue(!noReference.out().contains(" vs "), noReference.out());
        assertTrue(!new ObjectMapper().readTree(circuit.toFile()).has("comparison"));
        CliRun withReference = run("discover", "--model", model.toString(), "--task", task.toString(), "--method", "acdc",
                "--tau", "0.02", "--out", dir.resolve("run-reference").toString(), "--quiet",
                "--reference", dir.resolve("reference.json").toString(), "--bootstrap", "20");
        assertEquals(0, withReference.code(), withReference.err());
        assertTrue(withReference.out().matches("(?s).*vs reference\\.json: edge precision 1\\.000 \\((\\d+)/\\1\\), recall 1\\.000 \\(\\1/\\1\\).*"),
                withReference.out()); // it said "vs null"
        for (String[] bad : new String[][] {{"--metric", "f1"}, {"--ablation", "shuffle"}, {"--bootstrap", "-1"}}) {
            CliRun usage = run("validate", "--model", model.toString(), "--task", task.toString(), "--circuit",
                    circuit.toString(), bad[0], bad[1]);
            assertEquals(2, usage.code(), bad[0] + ": " + usage.err()); // a usage error, like compare-scorers'
            assertTrue(usage.err().contains(bad[1]), usage.err());
        }
        CliRun missing = run("validate", "--model", model.toString(), "--task", task.toString(), "--circuit",
                dir.resolve("nope.json").toString());
        assertEquals(2, missing.code(), missing.err()); // a usage error found before the model is loaded
        assertTrue(missing.err().startsWith("error: --circuit " + dir.resolve("nope.json") + ": no such file"), missing.err());
        // a reference that cannot be read is found before the validation, not after it (the result was lost)
        String validated = Files.readString(circuit);
        Path noSuch = dir.resolve("no-such-reference.json");
        CliRun noReference2 = run("validate", "--model", model.toString(), "--task", task.toString(), "--circuit",
                circuit.toString(), "--reference", noSuch.toString(), "--quiet");
        assertEquals(2, noReference2.code(), noReference2.err());
        assertTrue(noReference2.err().startsWith("error: --reference " + noSuch + ": no such file"), noReference2.err());
        Path garbage = Files.writeString(dir.resolve("not-a-circuit.json"), "{\"edges\": 3}");
        CliRun badReference = run("validate", "--model", model.toString(), "--task", task.toString(), "--circuit",
                circuit.toString(), "--reference", garbage.toString(), "--quiet");
        assertEquals(1, badReference.code(), badReference.err());
        assertTrue(badReference.err().contains(garbage.toString()), badReference.err());
        assertFalse(badReference.out().contains("validation ("), "nothing was validated: " + badReference.out());
        assertEquals(validated, Files.readString(circuit), "the circuit is left as it was");
    }

    /** A reference or --out that would fail only after the discovery is refused before it, naming option and path. */
    @Test
    void badReferenceAndOutputPathsAreRefusedBeforeTheDiscovery() throws Exception {
        Path aFile = Files.writeString(dir.resolve("plain-file"), "x");
        Path notWritten = dir.resolve("not-written-by-path-checks");
        Path noSuch = dir.resolve("no-such.json");
        String[][] cases = {{"--reference", noSuch.toString(), "--out", notWritten.toString()},
                {"--reference", dir.toString(), "--out", notWritten.toString()},
                {"--out", aFile.resolve("sub").toString()}};
        String[] errors = {"--reference " + noSuch + ": no such file", "--reference " + dir + ": is a folder, not a file",
                "--out " + aFile.resolve("sub") + ": cannot be created: " + aFile + " is a file, not a folder"};
        for (int i = 0; i < cases.length; i++) {
            List<String> args = new ArrayList<>(List.of("discover", "--model", model.toString(), "--task",
                    task.toString(), "--method", "eap-ig", "--metric", "logit-diff", "--edges", "5", "--quiet"));
            args.addAll(List.of(cases[i]));
            CliRun r = run(args.toArray(String[]::new));
            assertEquals(2, r.code(), r.err());
            assertTrue(r.err().startsWith("error: " + errors[i]), r.err());
            assertFalse(r.out().contains("circuitscope discover:"), "no discovery ran: " + r.out());
            assertFalse(Files.exists(notWritten));
        }
        // a file that is no circuit is read once the model is loaded, before the discovery
        Path garbage = Files.writeString(dir.resolve("no-circuit.json"), "{\"edges\": 3}");
        CliRun r = run("discover", "--model", model.toString(), "--task", task.toString(), "--method", "eap-ig",
                "--metric", "logit-diff", "--edges", "5", "--quiet", "--reference", garbage.toString(), "--out",
                notWritten.toString());
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains(garbage.toString()), r.err());
        assertFalse(r.out().contains("circuitscope discover:"), "no discovery ran: " + r.out());
        assertFalse(Files.exists(notWritten));
    }

    /**
     * An --out that access(2) calls writable but where no folder can be made (root under /proc; NFS with root_squash)
     * ran the whole discovery and then lost it to "error: no such file or directory: /proc/x".
     */
    @Test
    void anOutWhereNoFolderCanBeMadeIsRefusedBeforeTheDiscovery() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self")), "needs Linux's /proc");
        Path out = Path.of("/proc/circuitscope-not-a-folder");
        CliRun r = run("discover", "--model", model.toString(), "--task", task.toString(), "--method", "eap-ig",
                "--metric", "logit-diff", "--edges", "5", "--quiet", "--no-render", "--out", out.toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith("error: --out " + out + ": cannot be created"), r.err());
        assertFalse(r.out().contains("circuitscope discover:"), "no discovery ran: " + r.out());
    }

    /**
     * The same command twice writes the same circuit.json (scores, circuit, validation with its bootstrap intervals,
     * comparison) and the same task.jsonl and circuit.dot, but for summary.seconds and the --out folder in command.argv,
     * as README says. Nothing in a run drew from an unseeded source.
     */
    @Test
    void aRerunWritesTheSameFilesButForItsTimeAndFolder() throws Exception {
        List<JsonNode> roots = new ArrayList<>();
        List<Path> outs = List.of(dir.resolve("same-a"), dir.resolve("same-b"));
        for (Path out : outs) {
            CliRun r = run("discover", "--model", model.toString(), "--task", task.toString(), "--method", "eap-ig",
                    "--metric", "logit-diff", "--edges", "8", "--out", out.toString(), "--quiet");
            assertEquals(0, r.code(), r.err());
            com.fasterxml.jackson.databind.node.ObjectNode root =
                    (com.fasterxml.jackson.databind.node.ObjectNode) new ObjectMapper().readTree(out.resolve("circuit.json").toFile());
            assertTrue(root.get("validation").get("metrics").get(0).has("ci_low"), "validated, with intervals");
            ((com.fasterxml.jackson.databind.node.ObjectNode) root.get("summary")).remove("seconds");
            com.fasterxml.jackson.databind.node.ArrayNode argv = (com.fasterxml.jackson.databind.node.ArrayNode)
                    root.get("command").get("argv");
            assertEquals(out.toString(), argv.get(argv.size() - 2).asText());
            argv.remove(argv.size() - 2);
            roots.add(root);
        }
        assertEquals(roots.get(0), roots.get(1));
        for (String file : List.of("task.jsonl", "circuit.dot")) {
            assertEquals(-1L, Files.mismatch(outs.get(0).resolve(file), outs.get(1).resolve(file)), file);
        }
    }

    /**
     * A run into an earlier run's folder leaves none of the earlier run's pictures beside its circuit (with
     * --no-render they stayed, showing the earlier circuit) and says what it replaced; a folder holding a model is
     * refused before any work, its task file left alone.
     */
    @Test
    void aRunIntoAnEarlierRunsFolderReplacesAllOfIt() throws Exception {
        Path out = dir.resolve("run-twice");
        CliRun first = run("discover", "--model", model.toString(), "--task", task.toString(), "--method", "eap-ig",
                "--metric", "logit-diff", "--edges", "5", "--no-validate", "--out", out.toString(), "--quiet");
        assertEquals(0, first.code(), first.err());
        for (String file : RunFolder.DISCOVER_FILES) {
            assertTrue(Files.exists(out.resolve(file)), file);
        }
        CliRun again = run("discover", "--model", model.toString(), "--task", task.toString(), "--method", "eap",
                "--metric", "logit-diff", "--edges", "5", "--no-validate", "--no-render", "--out", out.toString(),
                "--quiet");
        assertEquals(0, again.code(), again.err());
        assertTrue(again.err().contains("note: " + out + " held an earlier run; replaced circuit.json, task.jsonl; "
                + "removed circuit.svg, circuit.png, circuit.dot, report.html (they showed the earlier circuit"),
                again.err());
        for (String file : RunFolder.DRAWINGS) {
            assertFalse(Files.exists(out.resolve(file)), file + " of the earlier circuit is left");
        }
        assertEquals("eap", new ObjectMapper().readTree(out.resolve("circuit.json").toFile()).get("method").get("key")
                .asText());
        Path toy = Files.createDirectories(dir.resolve("toy-like"));
        Files.writeString(toy.resolve("training.json"), "{}");
        Files.writeString(toy.resolve("task.jsonl"), "the model's own task");
        CliRun refused = run("discover", "--model", model.toString(), "--task", task.toString(), "--method", "eap",
                "--metric", "logit-diff", "--out", toy.toString(), "--quiet");
        assertEquals(2, refused.code(), refused.err());
        assertTrue(refused.err().startsWith("error: --out " + toy + " holds a model (train-toy's or another checkpoint): "
                + "training.json;"), refused.err());
        assertEquals("the model's own task", Files.readString(toy.resolve("task.jsonl")));
        assertFalse(Files.exists(toy.resolve("circuit.json")));
        // a folder holding only the user's task file holds no earlier run
        Path ownTask = Files.createDirectories(dir.resolve("own-task"));
        Files.copy(task, ownTask.resolve("task.jsonl"));
        CliRun intoOwn = run("discover", "--model", model.toString(), "--task", ownTask.resolve("task.jsonl").toString(),
                "--method", "eap", "--metric", "logit-diff", "--edges", "5", "--no-validate", "--no-render", "--out",
                ownTask.toString(), "--quiet");
        assertEquals(0, intoOwn.code(), intoOwn.err());
        assertFalse(intoOwn.err().contains("held an earlier run"), intoOwn.err());
    }
}

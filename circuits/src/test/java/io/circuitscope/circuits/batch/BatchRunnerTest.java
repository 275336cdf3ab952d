package io.circuitscope.circuits.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.circuitscope.circuits.cli.CircuitscopeCli;
import io.circuitscope.circuits.cli.CliRun;
import io.circuitscope.circuits.cli.RandomTaskFile;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.io.TensorDtype;
import io.circuitscope.core.planted.PlantedModels;
import io.circuitscope.core.progress.Progress;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BatchRunnerTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void setUp() throws Exception {
        TinyCheckpoint.gpt2(51, 2, 2, 4, 23, 8, false).write(dir.resolve("model-a"), TensorDtype.F32);
        TinyCheckpoint.gpt2(52, 1, 2, 4, 23, 8, false).write(dir.resolve("model-b"), TensorDtype.F32);
        RandomTaskFile.write(dir.resolve("task.jsonl"), "t", 4, 4, 5, 23);
        Files.writeString(dir.resolve("broken.jsonl"), "{\"clean_ids\": [1, 2], \"corrupt_ids\": [1]}\n");
    }

    /** Runs {@code batch PLAN --quiet}, asserts its exit code and returns what it printed. */
    static String batch(Path plan, int exitCode) {
        StringWriter out = new StringWriter();
        assertEquals(exitCode, cli(out, "batch", plan.toString(), "--quiet"), out.toString());
        return out.toString();
    }

    static int cli(StringWriter out, String... args) {
        CliRun r = CliRun.run(args);
        out.append(r.out()).append(r.err());
        return r.code();
    }

    @Test
    void crossProductRunsEachInItsOwnFolderAndABadTaskFailsAloneWithItsLine() throws Exception {
        Path plan = dir.resolve("plan.yaml");
        Files.writeString(plan, String.join("\n",
                "out: runs/cross",
                "models: [model-a, model-b]",
                "tasks: [task.jsonl, broken.jsonl]",
                "methods: [acdc]",
                "seeds: [0]",
                "defaults: {tau: 0.05, metric: kl}", ""));
        batch(plan, 1);
        Path runs = dir.resolve("runs/cross");
        JsonNode manifest = new ObjectMapper().readTree(runs.resolve("manifest.json").toFile());
        int done = 0;
        int failed = 0;
        for (JsonNode r : manifest.get("runs")) {
            if (r.get("state").asText().equals("DONE")) {
                done++;
                assertTrue(Files.isRegularFile(runs.resolve(r.get("id").asText()).resolve("circuit.json")));
            } else {
                failed++;
                assertTrue(r.get("error").asText().contains("broken.jsonl:1:"), r.toString());
            }
        }
        assertEquals(2, done);
        assertEquals(2, failed);
        String summary = Files.readString(runs.resolve("summary.md"));
        assertEquals(4 + 2, summary.lines().count(), summary);
        String csv = Files.readString(runs.resolve("summary.csv"));
        assertTrue(csv.startsWith("run,state,model,task,method,settings,seed,edges,faithfulness"), csv);
        // the settings that apply are in the row, so runs differing only in them can be told apart
        assertTrue(csv.contains("metric=") && csv.contains("ablation=resample"), csv);
    }

    /** As discover does, a batch run under mean ablation says when a prompt length's mean is over few examples. */
    @Test
    void aMeanOverFewExamplesIsNotedInTheBatchLog() throws Exception {
        Path plan = dir.resolve("mean.yaml");
        Files.writeString(plan, String.join("\n",
                "out: runs/mean",
                "models: [model-a]",
                "tasks: [task.jsonl]",
                "methods: [eap]",
                "defaults: {metric: logit-diff, ablation: mean}", ""));
        String out = batch(plan, 0);
        assertTrue(out.toString().contains("note: ablation mean: the mean at prompt length 5 is over only 4 examples"),
                out.toString());
    }

    /** Discovery names its settings in words; a batch run it refuses names the plan's field, never discover's option. */
    @Test
    void aRefusedRunNamesThePlansFieldNotACommandLineOption() throws Exception {
        Path three = RandomTaskFile.write(dir.resolve("three.jsonl"), "three", 2, 3, 5, 23);
        Path one = RandomTaskFile.write(dir.resolve("one.jsonl"), "one", 3, 1, 6, 23);
        Files.writeString(dir.resolve("mixed.jsonl"), Files.readString(three) + Files.readString(one));
        Path plan = dir.resolve("fields.yaml");
        Files.writeString(plan, String.join("\n",
                "out: runs/fields",
                "runs:",
                "  - {model: model-a, task: mixed.jsonl, method: eap, metric: logit-diff, ablation: mean}",
                "  - {model: model-a, task: mixed.jsonl, method: eap, metric: logit-diff, by_position: true}", ""));
        batch(plan, 1);
        List<String> errors = new ArrayList<>();
        new ObjectMapper().readTree(dir.resolve("runs/fields/manifest.json").toFile()).get("runs")
                .forEach(r -> errors.add(r.get("error").asText()));
        assertEquals(2, errors.size(), errors.toString());
        assertTrue(errors.stream().anyMatch(e -> e.startsWith("ablation mean averages") && e.contains("example 4 is alone")
                && e.endsWith("or use ablation resample")), errors.toString());
        assertTrue(errors.stream().anyMatch(e -> e.startsWith("by_position needs prompts of one length, but in task "
                + "'mixed' example 1 has 5 tokens and example 4 has 6 tokens")), errors.toString());
        assertTrue(errors.stream().noneMatch(e -> e.contains("--")), "no discover option: " + errors);
    }

    /**
     * discover notes what --tau 0 under kl does (ACDC keeps every edge, the false-negative check counts every sampled
     * edge as missed); a batch ran such plans without a word. Each distinct note is said once, at its first run, with
     * how many runs it holds for, rather than under every seed.
     */
    @Test
    void tauZeroUnderKlIsNotedOncePerNote() throws Exception {
        Path plan = dir.resolve("tau0.yaml");
        Files.writeString(plan, "out: runs/tau0\nmodels: [planted:induction]\nmethods: [acdc, eap-ig]\nseeds: [0, 1]\n"
                + "defaults: {tau: 0, metric: kl, examples: 4}\n");
        String out = batch(plan, 0);
        String log = out.toString();
        String acdc = "       note: tau 0 under kl: ACDC removes an edge only when that lowers kl, which is 0 with every "
                + "edge kept and cannot go lower, so it keeps every edge (a tau above 0 prunes); it holds for this run "
                + "and 1 other of this batch\n";
        String eapIg = "       note: tau 0 under kl: the false-negative check counts as missed every sampled edge whose "
                + "patch does not lower kl, and from 0 none does (a tau above 0 counts only the edges that matter); it "
                + "holds for this run and 1 other of this batch\n";
        assertTrue(log.contains("run    000-planted_induction-own-task-acdc-s0\n" + acdc), log);
        assertTrue(log.contains(eapIg), log);
        assertEquals(2, log.split("tau 0 under kl", -1).length - 1, "each note once: " + log);
    }

    /** Why a run's circuit came out empty, in its circuit.json, names the plan's fields, never discover's options. */
    @Test
    void anEmptyCircuitsNoteNamesThePlansFields() throws Exception {
        Path plan = dir.resolve("empty.json");
        Files.writeString(plan, "{\"out\": \"runs/empty\", \"runs\": ["
                + "{\"model\": \"model-a\", \"task\": \"task.jsonl\", \"method\": \"acdc\", \"tau\": 1e308}, "
                + "{\"model\": \"model-a\", \"task\": \"task.jsonl\", \"method\": \"eap\", \"metric\": \"logit-diff\", "
                + "\"edges\": 0}]}");
        batch(plan, 0);
        Path runs = dir.resolve("runs/empty");
        List<String> notes = new ArrayList<>();
        for (JsonNode r : new ObjectMapper().readTree(runs.resolve("manifest.json").toFile()).get("runs")) {
            JsonNode doc = new ObjectMapper().readTree(runs.resolve(r.get("id").asText()).resolve("circuit.json").toFile());
            notes.add(doc.get("summary").get("empty_circuit").asText());
        }
        assertEquals(List.of("ACDC kept no path from input to logits at tau 1.0E308 (a smaller tau keeps more)",
                "edges 0 keeps no edge"), notes);
    }

    @Test
    void malformedPlansNameTheFileLineAndField() throws Exception {
        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "{\n \"models\": [\"model-a\"],\n \"tasks\": [\"task.jsonl\"],\n \"methods\": [\"acdc\"],,\n}");
        PlanException e = assertThrows(PlanException.class, () -> BatchPlan.read(bad));
        assertTrue(e.getMessage().contains("bad.json: not valid JSON: ") && e.getMessage().endsWith("(line 4, column 22)"),
                e.getMessage());
        Files.writeString(bad, "{\"runs\": [{\"model\": \"model-a\"}]}");
        assertTrue(assertThrows(PlanException.class, () -> BatchPlan.read(bad)).getMessage()
                .contains("runs[0]: field 'task' is missing"));
        Files.writeString(bad, "{\"runs\": [{\"model\": \"model-a\", \"task\": \"task.jsonl\", \"tua\": 1}]}");
        assertTrue(assertThrows(PlanException.class, () -> BatchPlan.read(bad)).getMessage()
                .contains("unknown field 'tua'"));
        Files.writeString(bad, "{\"runs\": [{\"model\": \"model-a\", \"task\": \"task.jsonl\", \"tau\": \"big\"}]}");
        assertTrue(assertThrows(PlanException.class, () -> BatchPlan.read(bad)).getMessage()
                .contains("field 'tau' must be a finite number"));
        StringWriter out = new StringWriter();
        assertEquals(1, cli(out, "batch", dir.resolve("missing.json").toString()));
        assertTrue(out.toString().contains("missing.json"), out.toString());
        // a reference is read only after a run's discovery: a missing one is refused with the plan, not once per run
        Files.writeString(bad, "{\"runs\": [{\"model\": \"model-a\", \"task\": \"task.jsonl\", \"reference\": \"nosuch.json\"}]}");
        assertTrue(assertThrows(PlanException.class, () -> BatchPlan.read(bad)).getMessage()
                .contains("field 'reference': " + dir.toRealPath().resolve("nosuch.json") + ": no such file"));
    }

    /** A run's settings that no model or task could make work are refused when the plan is read. */
    @Test
    void settingsThatCannotWorkAreRefusedBeforeAnyRun() throws Exception {
        assertTrue(refusal("\"method\": \"relp:ln+gate\"").contains("runs[0]: field 'method': unknown LRP rule 'gate' in 'ln+gate'"));
        assertTrue(refusal("\"scorer\": \"eap-gi\"").contains("runs[0]: field 'scorer': unknown scorer 'eap-gi'"));
        // a misspelt scorer is refused even for a method that uses none (the run went ahead silently)
        assertTrue(refusal("\"method\": \"eap\", \"metric\": \"logit-diff\", \"scorer\": \"foo\"")
                .contains("runs[0]: field 'scorer': unknown scorer 'foo'"));
        assertTrue(refusal("\"metric\": \"kll\"").contains("runs[0]: field 'metric': unknown metric 'kll'"));
        assertTrue(refusal("\"method\": \"eap\"").contains("runs[0]: eap takes the gradient at the clean model"),
                "EAP under the default metric, KL");
        // named as the plan's fields, not as discover's options (the two share this check)
        String step = refusal("\"metric\": \"accuracy\"");
        assertTrue(step.contains("use metric logit-diff (or another task metric), or method acdc or exact, or the "
                + "pipeline with scorer exact"), step);
        assertFalse(step.contains("--metric") || step.contains("--method"), step);
        String oneStep = refusal("\"method\": \"eap-ig\", \"ig_steps\": 1");
        assertTrue(oneStep.contains("use 2 or more steps (ig_steps), or the logit-diff metric"), oneStep);
        assertFalse(oneStep.contains("--ig-steps"), oneStep);
        String id = BatchPlan.read(plan("\"method\": \"relp:ln+identity\", \"metric\": \"logit-diff\"")).runs().get(0).id();
        assertTrue(id.endsWith("-relp_ln_identity-s0"), "a method's ':' and '+' do not reach the run's folder name: " + id);
    }

    /** Paths relative to a plan in a subfolder are shown as the files they are, without "..". */
    @Test
    void pathsAreResolvedAgainstThePlansFolderAndNormalised() throws Exception {
        Path sub = Files.createDirectories(dir.resolve("plans"));
        Path file = sub.resolve("up.json");
        Files.writeString(file, "{\"out\": \"../runs/up\", \"runs\": [{\"model\": \"../model-a\", "
                + "\"task\": \"../task.jsonl\", \"reference\": \"./../task.jsonl\"}]}");
        BatchPlan plan = BatchPlan.read(file);
        RunSpec run = plan.runs().get(0);
        Path real = dir.toRealPath();
        assertEquals(real.resolve("model-a").toString(), run.model());
        assertEquals(real.resolve("task.jsonl"), run.task());
        assertEquals(real.resolve("task.jsonl"), run.reference());
        assertEquals(real.resolve("runs/up"), plan.out());
    }

    /** A one-run plan for model-a and task.jsonl with the given settings (JSON members). */
    private static Path plan(String settings) throws Exception {
        Path file = dir.resolve("one-run.json");
        Files.writeString(file, "{\"runs\": [{\"model\": \"model-a\", \"task\": \"task.jsonl\", " + settings + "}]}");
        return file;
    }

    private static String refusal(String settings) throws Exception {
        Path file = plan(settings);
        return assertThrows(PlanException.class, () -> BatchPlan.read(file)).getMessage();
    }

    /** A reference recorded for a model of another shape was compared with each run's circuit without a word. */
    @Test
    void aReferenceOfAnotherShapeFailsTheRunNamingIt() throws Exception {
        Path reference = dir.resolve("other-shape-reference.json");
        Files.writeString(reference, "{\"schema\": \"circuitscope.circuit/1\", \"model\": {\"name\": \"other\", "
                + "\"n_heads\": 99}, \"edges\": {\"input->logits\": {\"score\": 1.0, \"in_graph\": true}}}");
        Path plan = dir.resolve("other-reference.yaml");
        Files.writeString(plan, "out: runs/other-reference\nmodels: [model-a]\ntasks: [task.jsonl]\nmethods: [eap]\n"
                + "reference: other-shape-reference.json\ndefaults: {metric: logit-diff, edges: 5}\n");
        String out = batch(plan, 1);
        assertTrue(out.toString().contains("other-shape-reference.json: the circuit was found on a model with n_heads 99 "
                + "(model other), but this model has"), out.toString());
        assertTrue(out.toString().contains("a reference must be a circuit of the model it is compared on"),
                out.toString());
    }

    /**
     * A batch run's only comparison is the ROC AUC against the reference, which needs some but not all edges in it. A
     * reference keeping none failed each run after its discovery, with "the reference must contain some but not all
     * items (has 0 of 46)", naming no file, and the found circuit was not written; now the run fails before its work,
     * naming the reference.
     */
    @Test
    void aReferenceKeepingNoEdgeFailsTheRunBeforeItsWorkNamingIt() throws Exception {
        Path reference = dir.resolve("empty-reference.json");
        Files.writeString(reference, "{\"schema\": \"circuitscope.circuit/1\", \"model\": {\"name\": \"hand\"}, "
                + "\"edges\": {\"input->logits\": {\"in_graph\": false}}}");
        Path plan = dir.resolve("empty-reference.yaml");
        Files.writeString(plan, "out: runs/empty-reference\nmodels: [model-a]\ntasks: [task.jsonl]\nmethods: [eap]\n"
                + "reference: empty-reference.json\ndefaults: {metric: logit-diff, edges: 5}\n");
        String out = batch(plan, 1);
        assertTrue(out.toString().contains("empty-reference.json: the reference keeps 0 of 46 edges; its ROC AUC needs "
                + "some but not all"), out.toString());
    }

    /** A planted model runs from its name, with its own task, and the summary says so. */
    @Test
    void plantedModelsRunWithTheirOwnTasks() throws Exception {
        Path plan = dir.resolve("planted.yaml");
        Files.writeString(plan, "out: runs/planted\nmodels: [planted:induction]\nmethods: [eap]\n"
                + "defaults: {metric: logit-diff, edges: 10, examples: 6}\n");
        batch(plan, 0);
        Path runs = dir.resolve("runs/planted");
        JsonNode circuit = new ObjectMapper().readTree(runs.resolve("000-planted_induction-own-task-eap-s0")
                .resolve("circuit.json").toFile());
        assertEquals(6, circuit.get("task").get("examples").asInt());
        assertEquals("planted:induction", circuit.get("model").get("name").asText());
        assertTrue(Files.readString(runs.resolve("summary.csv")).contains(",planted:induction,(planted task),eap,tau="),
                Files.readString(runs.resolve("summary.csv")));
        JsonNode results = new ObjectMapper().readTree(runs.resolve("manifest.json").toFile()).get("runs").get(0)
                .get("results");
        assertTrue(results.has("auc"), "compared with the planted ground truth, as discover does: " + results);
        assertTrue(results.get("auc").asDouble() > 0.9, "EAP ranks the planted edges first: " + results);
        // the cost in both kinds of pass, as discover's cost line gives it: EAP's gradient passes beside the forward ones
        long forward = circuit.get("summary").get("forward_passes").asLong();
        long gradient = circuit.get("summary").get("gradient_passes").asLong();
        assertTrue(gradient > 0, "EAP runs gradient passes: " + circuit.get("summary"));
        List<String> csv = Files.readAllLines(runs.resolve("summary.csv"));
        assertTrue(csv.get(0).endsWith(",seconds,forward_passes,gradient_passes,error"), csv.get(0));
        assertTrue(csv.get(1).endsWith("," + forward + "," + gradient + ","), csv.get(1));
        List<String> md = Files.readAllLines(runs.resolve("summary.md"));
        assertTrue(md.get(0).endsWith("| seconds | forward_passes | gradient_passes | error |"), md.get(0));
        assertTrue(md.get(2).endsWith("| " + forward + " | " + gradient + " |  |"), md.get(2));
    }

    /**
     * A batch run validates its circuit as discover does (same thresholds, the run's seed), writing the same
     * validation and comparison sections, and its verdicts go into the summary; validate: false skips it. Batch runs
     * had no validation at all, so sufficiency, necessity and minimality were not in their circuit.json.
     */
    @Test
    void aBatchRunValidatesAsDiscoverDoesUnlessToldNot() throws Exception {
        Path plan = dir.resolve("validate.yaml");
        Files.writeString(plan, "out: runs/validate\nruns:\n"
                + "  - {model: 'planted:ioi', method: eap, metric: logit-diff, edges: 12, examples: 8, seed: 3}\n"
                + "  - {model: 'planted:ioi', method: eap, metric: logit-diff, edges: 12, examples: 8, seed: 3, validate: false}\n");
        String out = batch(plan, 0);
        Path runs = dir.resolve("runs/validate");
        ObjectMapper json = new ObjectMapper();
        JsonNode manifest = json.readTree(runs.resolve("manifest.json").toFile()).get("runs");
        JsonNode validated = json.readTree(runs.resolve(manifest.get(0).get("id").asText()).resolve("circuit.json").toFile());
        JsonNode unvalidated = json.readTree(runs.resolve(manifest.get(1).get("id").asText()).resolve("circuit.json").toFile());
        assertFalse(unvalidated.has("validation") || unvalidated.has("comparison"), unvalidated.toString());

        Path discovered = dir.resolve("runs/validate-discover");
        StringWriter discoverOut = new StringWriter();
        assertEquals(0, cli(discoverOut, "discover", "--model", "planted:ioi", "--method", "eap", "--metric", "logit-diff",
                "--edges", "12", "--examples", "8", "--seed", "3", "--no-render", "--quiet", "--out", discovered.toString()),
                discoverOut.toString());
        JsonNode byDiscover = json.readTree(discovered.resolve("circuit.json").toFile());
        assertEquals(byDiscover.get("edges"), validated.get("edges"));
        assertEquals(byDiscover.get("validation"), validated.get("validation"));
        assertEquals(byDiscover.get("comparison"), validated.get("comparison"));

        JsonNode results = manifest.get(0).get("results");
        JsonNode section = validated.get("validation");
        for (String verdict : List.of("sufficient", "necessary", "minimal")) {
            assertEquals(section.get(verdict), results.get(verdict), verdict + ": " + results);
        }
        List<String> csv = Files.readAllLines(runs.resolve("summary.csv"));
        assertTrue(csv.get(0).contains(",edges,faithfulness,sufficient,necessary,minimal,auc,"), csv.get(0));
        String verdicts = "," + section.get("sufficient") + "," + section.get("necessary") + "," + section.get("minimal") + ",";
        assertTrue(csv.get(1).contains(verdicts), csv.get(1));
        assertTrue(csv.get(2).matches(".*,[0-9.]+,,,,[0-9.]+,.*"), "no verdicts without a validation: " + csv.get(2));
    }

    /**
     * A finished run without a validation (found with validate: false, or by a version that did not validate batch
     * runs) is validated when the plan asks for it, and its discovery is not redone: the circuit and its discovery's
     * numbers stay, the sections equal those of a run validated from the start. validate is no input of the
     * discovery, so switching it is never a changed plan. Before, false -> true was refused as a changed input (or the
     * whole discovery redone with --rerun-changed), and a run of an older version was taken as finished without it.
     */
    @Test
    void aFinishedRunWithoutAValidationIsValidatedWithoutRedoingItsDiscovery() throws Exception {
        Path plan = dir.resolve("validate-later.yaml");
        String run = "{model: 'planted:induction', method: acdc, metric: logit-diff, examples: 6, seed: 2";
        Files.writeString(plan, "out: runs/validate-later\nruns:\n  - " + run + ", validate: false}\n");
        batch(plan, 0);
        Path runs = dir.resolve("runs/validate-later");
        String id = "000-planted_induction-own-task-acdc-s2";
        ObjectMapper json = new ObjectMapper();
        JsonNode before = json.readTree(runs.resolve(id).resolve("circuit.json").toFile());
        assertFalse(before.has("validation"));

        Files.writeString(plan, "out: runs/validate-later\nruns:\n  - " + run + "}\n");
        String second = batch(plan, 0);
        assertTrue(second.toString().contains("validate " + id + " (found earlier; validated now, its discovery kept)")
                && second.toString().contains("batch: 0 done, 1 validated (found earlier), 0 failed, 0 skipped"),
                second.toString());
        JsonNode after = json.readTree(runs.resolve(id).resolve("circuit.json").toFile());
        for (String kept : List.of("edges", "nodes", "summary", "method", "model", "task", "software")) {
            assertEquals(before.get(kept), after.get(kept), kept + " is the discovery's, kept");
        }
        // as a run validated from the start
        Path fresh = dir.resolve("validate-fresh.yaml");
        Files.writeString(fresh, "out: runs/validate-fresh\nruns:\n  - " + run + "}\n");
        batch(fresh, 0);
        JsonNode validated = json.readTree(dir.resolve("runs/validate-fresh").resolve(id).resolve("circuit.json").toFile());
        assertEquals(validated.get("validation"), after.get("validation"));
        assertEquals(validated.get("comparison"), after.get("comparison"));
        JsonNode results = json.readTree(runs.resolve("manifest.json").toFile()).get("runs").get(0).get("results");
        assertEquals(after.get("validation").get("sufficient"), results.get("sufficient"), results.toString());
        assertTrue(results.has("auc") && results.has("forward_passes"), "the discovery's results are kept: " + results);

        // validated now: skipped; told validate: false again, it keeps the validation it has, and is no changed input
        String fourth = batch(plan, 0);
        assertTrue(fourth.toString().contains("0 done, 0 failed, 1 skipped"), fourth.toString());
        Files.writeString(plan, "out: runs/validate-later\nruns:\n  - " + run + ", validate: false}\n");
        String fifth = batch(plan, 0);
        assertTrue(fifth.toString().contains("0 done, 0 failed, 1 skipped"), fifth.toString());
        assertEquals(after, json.readTree(runs.resolve(id).resolve("circuit.json").toFile()));

        // a run of a version that recorded no validate and wrote no validation: validated as well
        com.fasterxml.jackson.databind.node.ObjectNode older = (com.fasterxml.jackson.databind.node.ObjectNode) before;
        Files.writeString(runs.resolve(id).resolve("circuit.json"), json.writeValueAsString(older));
        Path manifestFile = runs.resolve("manifest.json");
        com.fasterxml.jackson.databind.node.ObjectNode manifest = (com.fasterxml.jackson.databind.node.ObjectNode)
                json.readTree(manifestFile.toFile());
        manifest.get("runs").forEach(r -> ((com.fasterxml.jackson.databind.node.ObjectNode) r.get("inputs")).remove("validate"));
        json.writeValue(manifestFile.toFile(), manifest);
        Files.writeString(plan, "out: runs/validate-later\nruns:\n  - " + run + "}\n");
        String sixth = batch(plan, 0);
        assertTrue(sixth.toString().contains("1 validated"), sixth.toString());
        assertEquals(validated.get("validation"),
                json.readTree(runs.resolve(id).resolve("circuit.json").toFile()).get("validation"));
    }

    /**
     * A batch killed after a validated-later run's circuit.json was rewritten but before the manifest gained its
     * verdicts: the next batch saw the validation section and skipped the run, so the manifest and the summary showed
     * it unvalidated (empty sufficient, necessary, minimal) for good though the plan asks for its validation.
     */
    @Test
    void aRunValidatedLaterWhoseVerdictsDidNotReachTheManifestIsValidatedAgain() throws Exception {
        Path plan = dir.resolve("validate-killed.yaml");
        String run = "{model: 'planted:induction', method: eap, metric: logit-diff, edges: 6, examples: 6, seed: 1";
        Files.writeString(plan, "out: runs/validate-killed\nruns:\n  - " + run + ", validate: false}\n");
        batch(plan, 0);
        Path runs = dir.resolve("runs/validate-killed");
        String unvalidated = Files.readString(runs.resolve("manifest.json"));
        Files.writeString(plan, "out: runs/validate-killed\nruns:\n  - " + run + "}\n");
        batch(plan, 0);
        ObjectMapper json = new ObjectMapper();
        JsonNode validated = json.readTree(runs.resolve("manifest.json").toFile()).get("runs").get(0).get("results");
        assertTrue(validated.has("sufficient"), validated.toString());
        // the manifest as a kill between the two writes leaves it: circuit.json validated, no verdicts recorded
        Files.writeString(runs.resolve("manifest.json"), unvalidated);
        String third = batch(plan, 0);
        assertTrue(third.toString().contains("1 validated"), third.toString());
        assertEquals(validated, json.readTree(runs.resolve("manifest.json").toFile()).get("runs").get(0).get("results"));

        // a validation the batch did not make (`circuitscope validate` run on the file by hand, other thresholds) is
        // not replaced by the batch's: kept, with a note
        Path circuit = runs.resolve("000-planted_induction-own-task-eap-s1").resolve("circuit.json");
        com.fasterxml.jackson.databind.node.ObjectNode byHand = (com.fasterxml.jackson.databind.node.ObjectNode)
                json.readTree(circuit.toFile());
        ((com.fasterxml.jackson.databind.node.ObjectNode) byHand.get("validation").get("settings"))
                .put("sufficiency_threshold", 0.5);
        Files.writeString(circuit, json.writeValueAsString(byHand));
        Files.writeString(runs.resolve("manifest.json"), unvalidated);
        String fourth = batch(plan, 0);
        assertTrue(fourth.toString().contains("1 skipped") && fourth.toString().contains("a validation this batch did not make"),
                fourth.toString());
        assertEquals(byHand, json.readTree(circuit.toFile()));
    }

    /**
     * A circuit.json replaced (another run's of the same model) or edited (edges taken out) between the batches was
     * validated as the run's: the manifest kept the run's edges and faithfulness beside the verdicts of another circuit.
     * Now the validation fails, naming the file and what is not the run's, and nothing is written.
     */
    @Test
    void aCircuitThatIsNotTheRunsIsNotValidatedAsItsOwn() throws Exception {
        Path plan = dir.resolve("validate-swapped.yaml");
        String runs0 = "runs:\n  - {model: 'planted:induction', method: eap, metric: logit-diff, edges: 6, examples: 6}\n"
                + "  - {model: 'planted:induction', method: atp-star, metric: logit-diff, edges: 3, examples: 6}\n";
        Files.writeString(plan, "out: runs/validate-swapped\ndefaults: {validate: false}\n" + runs0);
        String first = batch(plan, 0);
        Path runs = dir.resolve("runs/validate-swapped");
        Path eap = runs.resolve("000-planted_induction-own-task-eap-s0").resolve("circuit.json");
        Path atp = runs.resolve("001-planted_induction-own-task-atp-star-s0").resolve("circuit.json");
        String atpCircuit = Files.readString(atp);
        Files.copy(atp, eap, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        // and the other's edges edited: the first one in its graph taken out
        ObjectMapper json = new ObjectMapper();
        com.fasterxml.jackson.databind.node.ObjectNode edited = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(atpCircuit);
        for (JsonNode e : edited.get("edges")) {
            if (e.get("in_graph").asBoolean()) {
                ((com.fasterxml.jackson.databind.node.ObjectNode) e).put("in_graph", false);
                break;
            }
        }
        Files.writeString(atp, json.writeValueAsString(edited));
        Files.writeString(plan, "out: runs/validate-swapped\n" + runs0);
        batch(plan, 1);
        JsonNode manifest = json.readTree(runs.resolve("manifest.json").toFile());
        for (JsonNode r : manifest.get("runs")) {
            assertEquals("DONE", r.get("state").asText(), r.toString());
            assertFalse(r.get("results").has("sufficient"), r.toString());
            assertTrue(r.get("error").asText().contains("circuit.json") && r.get("error").asText().contains("not the circuit"),
                    r.toString());
        }
        assertTrue(manifest.get("runs").get(0).get("error").asText().contains("method atp-star"), manifest.toString());
        assertFalse(json.readTree(eap.toFile()).has("validation"));
        assertFalse(json.readTree(atp.toFile()).has("validation"));
    }

    /**
     * A batch moved with its plan and model (which the manifest allows: model paths are recorded relative to the
     * plan) is validated later as well: its circuit.json names the model where it was found, which is no sign of
     * another run's circuit.
     */
    @Test
    void aMovedBatchIsValidatedLater() throws Exception {
        Path before = dir.resolve("moving/before");
        TinyCheckpoint.gpt2(51, 2, 2, 4, 23, 8, false).write(before.resolve("model-a"), TensorDtype.F32);
        Files.copy(dir.resolve("task.jsonl"), before.resolve("task.jsonl"));
        String run = "runs:\n  - {model: model-a, task: task.jsonl, method: eap, metric: logit-diff, edges: 5}\n";
        Files.writeString(before.resolve("plan.yaml"), "out: runs\ndefaults: {validate: false}\n" + run);
        StringWriter first = new StringWriter();
        assertEquals(0, cli(first, "batch", before.resolve("plan.yaml").toString(), "--quiet"), first.toString());
        Path after = Files.move(before, dir.resolve("moving/after"));
        Files.writeString(after.resolve("plan.yaml"), "out: runs\n" + run);
        StringWriter second = new StringWriter();
        assertEquals(0, cli(second, "batch", after.resolve("plan.yaml").toString(), "--quiet"), second.toString());
        assertTrue(second.toString().contains("0 done, 1 validated (found earlier), 0 failed"), second.toString());
    }

    /**
     * A planted model run on a task file that is not its own task is compared with its ground truth, which assumes its
     * own task's corruption: discover says the comparison may not hold, and a batch run, which writes the same
     * comparison section (and its AUC), said nothing.
     */
    @Test
    void aPlantedModelOnAnotherTaskIsComparedWithItsTruthWithDiscoversNote() throws Exception {
        io.circuitscope.core.planted.PlantedModel planted = PlantedModels.byArgument("planted:induction");
        io.circuitscope.core.task.TaskFile.write(dir.resolve("own.jsonl"), planted.task(0, 4));
        io.circuitscope.core.task.TaskFile.write(dir.resolve("other.jsonl"), planted.task(5, 4));
        Path plan = dir.resolve("planted-task.yaml");
        Files.writeString(plan, "out: runs/planted-task\nmodels: ['planted:induction']\ntasks: [own.jsonl, other.jsonl]\n"
                + "methods: [exact]\ndefaults: {metric: logit-diff}\n");
        String out = batch(plan, 0);
        String note = "note: the planted ground truth assumes the corruption of planted:induction's own task; with this "
                + "task the comparison may not hold";
        String log = out.toString();
        int own = log.indexOf("run    000-planted_induction-own-exact-s0");
        int other = log.indexOf("run    001-planted_induction-other-exact-s0");
        assertTrue(own >= 0 && other > own, log);
        assertFalse(log.substring(own, other).contains(note), "its own task: no note\n" + log);
        assertTrue(log.substring(other).contains(note), log);
    }

    @Test
    void killingTheBatchWithSigkillLosesNothingAndResumeSkipsFinishedRuns() throws Exception {
        Path plan = dir.resolve("resume.json");
        Files.writeString(plan, "{\"out\": \"runs/resume\", \"models\": [\"model-a\"], \"tasks\": [\"task.jsonl\"],"
                + " \"methods\": [\"exact\"], \"seeds\": [0, 1, 2, 3, 4, 5, 6, 7], \"defaults\": {\"metric\": \"logit-diff\"}}");
        Path runs = dir.resolve("runs/resume");
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"),
                CircuitscopeCli.class.getName(), "batch", plan.toString(), "--quiet")
                .redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile()).start();
        Map<String, FileTime> finishedBeforeKill = new HashMap<>();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
            while (System.nanoTime() < deadline && child.isAlive()) {
                if (doneRuns(runs).size() >= 2) {
                    break;
                }
                Thread.sleep(50);
            }
            assertTrue(child.isAlive(), "the child finished before it could be killed: "
                    + Files.readString(dir.resolve("child.log")));
            child.destroyForcibly(); // SIGKILL
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        } finally {
            child.destroyForcibly();
        }
        for (String id : doneRuns(runs)) {
            finishedBeforeKill.put(id, Files.getLastModifiedTime(runs.resolve(id).resolve("circuit.json")));
        }
        assertTrue(finishedBeforeKill.size() >= 2 && finishedBeforeKill.size() < 8, finishedBeforeKill.toString());

        String out = batch(plan, 0);
        assertTrue(out.toString().contains(finishedBeforeKill.size() + " skipped"), out.toString());
        assertEquals(8, doneRuns(runs).size());
        for (Map.Entry<String, FileTime> e : finishedBeforeKill.entrySet()) {
            assertEquals(e.getValue(), Files.getLastModifiedTime(runs.resolve(e.getKey()).resolve("circuit.json")),
                    "finished run " + e.getKey() + " was redone");
        }
        try (var files = Files.walk(runs)) {
            assertTrue(files.noneMatch(p -> p.toString().endsWith(".tmp")), "no half-written files remain");
        }
    }

    /**
     * Run ids leave the settings out: a plan resumed after its settings changed reported every run as "finished
     * earlier" under the new settings. Now it is refused before any run, naming the runs and the fields that differ;
     * --rerun-changed reruns them, keeping the earlier results in OUT/superseded/.
     */
    @Test
    void aResumedPlanWithOtherSettingsIsRefusedOrRerunNeverMixed() throws Exception {
        Path plan = dir.resolve("edited.yaml");
        String head = "out: runs/edited\nmodels: [planted:ioi]\nmethods: [acdc, eap-ig]\nseeds: [0]\n";
        Files.writeString(plan, head + "defaults: {examples: 4}\n");
        batch(plan, 0);
        Path runs = dir.resolve("runs/edited");
        String acdc = "000-planted_ioi-own-task-acdc-s0";
        String manifest = Files.readString(runs.resolve("manifest.json"));

        Files.writeString(plan, head + "defaults: {examples: 4, tau: 0.5, metric: logit-diff}\n");
        StringWriter refused = new StringWriter();
        assertEquals(1, cli(refused, "batch", plan.toString(), "--quiet"));
        assertTrue(refused.toString().contains("2 finished runs in " + runs + " were made with other inputs than the "
                + "plan now asks: " + acdc + " (tau 0.01 -> 0.5, metric kl -> logit-diff); "
                + "001-planted_ioi-own-task-eap-ig-s0 (tau 0.01 -> 0.5, metric kl -> logit-diff); nothing was run"),
                refused.toString());
        assertTrue(refused.toString().contains("--rerun-changed"), refused.toString());
        assertEquals(manifest, Files.readString(runs.resolve("manifest.json")), "nothing was run or written");

        StringWriter rerun = new StringWriter();
        assertEquals(0, cli(rerun, "batch", plan.toString(), "--quiet", "--rerun-changed"), rerun.toString());
        assertTrue(rerun.toString().contains("2 done, 0 failed, 0 skipped"), rerun.toString());
        assertEquals("logit-diff", method(runs.resolve(acdc)).get("metric").asText());
        Path earlier = runs.resolve("superseded").resolve(acdc);
        assertEquals("kl", method(earlier).get("metric").asText(), "the earlier result is kept");
        assertEquals("DONE", new ObjectMapper().readTree(earlier.resolve("manifest-entry.json").toFile()).get("state")
                .asText());

        String resumed = batch(plan, 0);
        assertTrue(resumed.toString().contains("0 done, 0 failed, 2 skipped"), resumed.toString());
        Files.writeString(plan, head + "defaults: {examples: 5, tau: 0.5, metric: logit-diff}\n");
        StringWriter examples = new StringWriter();
        assertEquals(1, cli(examples, "batch", plan.toString(), "--quiet"));
        assertTrue(examples.toString().contains(acdc + " (examples 4 -> 5)"), examples.toString());
    }

    /**
     * A task file edited since its runs finished is told by its contents; a manifest written before runs' inputs were
     * recorded is checked against each run's circuit.json (model and settings), with a note on what it cannot check.
     */
    @Test
    void anEditedTaskFileAndAnOlderManifestAreCheckedToo() throws Exception {
        Path task = dir.resolve("edited-task.jsonl");
        Files.copy(dir.resolve("task.jsonl"), task, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Path plan = dir.resolve("task-edit.yaml");
        String head = "out: runs/task-edit\nmodels: [model-a]\ntasks: [edited-task.jsonl]\nmethods: [exact]\n";
        Files.writeString(plan, head + "defaults: {metric: logit-diff}\n");
        batch(plan, 0);

        String original = Files.readString(task);
        Files.writeString(task, original.lines().findFirst().orElseThrow() + "\n");
        StringWriter edited = new StringWriter();
        assertEquals(1, cli(edited, "batch", plan.toString(), "--quiet"));
        assertTrue(edited.toString().contains("-edited-task-exact-s0 (task file changed since the run)"), edited.toString());
        Files.writeString(task, original);
        // the plan, its model, task and results moved together: nothing the runs depend on changed (the manifest
        // records model paths relative to the plan's folder)
        Path moved = Files.createDirectories(dir.resolve("moved/elsewhere"));
        copyTree(dir.resolve("model-a"), moved.resolve("model-a"));
        copyTree(dir.resolve("runs/task-edit"), moved.resolve("runs/task-edit"));
        Files.copy(task, moved.resolve("edited-task.jsonl"));
        Files.copy(plan, moved.resolve("task-edit.yaml"));
        StringWriter afterMove = new StringWriter();
        int movedCode = cli(afterMove, "batch", moved.resolve("task-edit.yaml").toString(), "--quiet");
        assertEquals(0, movedCode, "after the move: " + afterMove);
        assertTrue(afterMove.toString().contains("1 skipped"), afterMove.toString());

        Path manifestFile = dir.resolve("runs/task-edit/manifest.json");
        com.fasterxml.jackson.databind.node.ObjectNode manifest = (com.fasterxml.jackson.databind.node.ObjectNode)
                new ObjectMapper().readTree(manifestFile.toFile());
        manifest.get("runs").forEach(r -> ((com.fasterxml.jackson.databind.node.ObjectNode) r).remove("inputs"));
        new ObjectMapper().writeValue(manifestFile.toFile(), manifest);
        // versions before Dec 6 wrote ig_steps for every method; a setting the method does not read is not compared
        for (Path run : doneRunFolders(dir.resolve("runs/task-edit"))) {
            com.fasterxml.jackson.databind.node.ObjectNode circuit = (com.fasterxml.jackson.databind.node.ObjectNode)
                    new ObjectMapper().readTree(run.resolve("circuit.json").toFile());
            ((com.fasterxml.jackson.databind.node.ObjectNode) circuit.get("method")).put("ig_steps", 5);
            new ObjectMapper().writeValue(run.resolve("circuit.json").toFile(), circuit);
        }
        String older = batch(plan, 0);
        assertTrue(older.toString().contains("1 skipped") && older.toString().contains("task file contents, reference, "
                + "align and bos could not be"), older.toString());
        Files.writeString(plan, head + "defaults: {metric: logit-diff, batch_size: 8}\n");
        StringWriter settings = new StringWriter();
        assertEquals(1, cli(settings, "batch", plan.toString(), "--quiet"));
        assertTrue(settings.toString().contains("(batch_size 16 -> 8)"), settings.toString());
    }

    /**
     * Model paths are recorded relative to the plan's real folder, the one they were resolved against: the same plan
     * opened through a symbolic link to its folder was refused as made with another model.
     */
    @Test
    void aPlanOpenedThroughASymlinkedFolderResumes(@TempDir Path elsewhere) throws Exception {
        Path plan = dir.resolve("linked.yaml");
        Files.writeString(plan, "out: runs/linked\nmodels: [model-a]\ntasks: [task.jsonl]\nmethods: [exact]\n"
                + "defaults: {metric: logit-diff}\n");
        batch(plan, 0);
        Path alias = Files.createSymbolicLink(elsewhere.resolve("alias"), dir);
        StringWriter again = new StringWriter();
        assertEquals(0, cli(again, "batch", alias.resolve("linked.yaml").toString(), "--quiet"), again.toString());
        assertTrue(again.toString().contains("0 done, 0 failed, 1 skipped"), again.toString());
    }

    /**
     * A model rewritten in place (train-toy again with another seed) keeps its path, and resume took the finished run
     * as made with it. The SHA-256 of its files tells them apart; a run recorded by a version that kept the path only
     * is taken as finished, with a note saying the model could not be checked.
     */
    @Test
    void aModelRewrittenInPlaceIsAChangedInput() throws Exception {
        Path model = TinyCheckpoint.gpt2(51, 2, 2, 4, 23, 8, false).write(dir.resolve("rewritten"), TensorDtype.F32);
        Path plan = dir.resolve("rewritten.yaml");
        Files.writeString(plan, "out: runs/rewritten\nmodels: [rewritten]\ntasks: [task.jsonl]\nmethods: [exact]\n"
                + "defaults: {metric: logit-diff}\n");
        batch(plan, 0);
        // the same contents written again: hashed afresh (the time changed), the same model
        Files.setLastModifiedTime(model.resolve("config.json"), FileTime.fromMillis(System.currentTimeMillis() + 5000));
        String touched = batch(plan, 0);
        assertTrue(touched.toString().contains("0 done, 0 failed, 1 skipped"), touched.toString());

        TinyCheckpoint.gpt2(53, 2, 2, 4, 23, 8, false).write(model, TensorDtype.F32);
        String refused = batch(plan, 1);
        assertTrue(refused.toString().contains("000-rewritten-task-exact-s0 (model files changed since the run)"),
                refused.toString());
        assertTrue(refused.toString().contains("1 finished run in ")
                && refused.toString().contains(" was made with other inputs"), refused.toString());
        StringWriter rerun = new StringWriter();
        assertEquals(0, cli(rerun, "batch", plan.toString(), "--quiet", "--rerun-changed"), rerun.toString());
        assertTrue(rerun.toString().contains("1 done, 0 failed, 0 skipped"), rerun.toString());

        Path manifestFile = dir.resolve("runs/rewritten/manifest.json");
        com.fasterxml.jackson.databind.node.ObjectNode manifest = (com.fasterxml.jackson.databind.node.ObjectNode)
                new ObjectMapper().readTree(manifestFile.toFile());
        manifest.get("runs").forEach(r -> ((com.fasterxml.jackson.databind.node.ObjectNode) r.get("inputs"))
                .remove(List.of("model_sha256", "model_stat")));
        new ObjectMapper().writeValue(manifestFile.toFile(), manifest);
        String older = batch(plan, 0);
        assertTrue(older.toString().contains("1 skipped") && older.toString().contains("note: 1 finished run recorded "
                + "only the model's path, not a fingerprint of its files, so a model rewritten in place since cannot be "
                + "told: 000-rewritten-task-exact-s0; taken as finished"), older.toString());
    }

    /** A sharded model's fingerprint covers its index and every shard it names, with the config. */
    @Test
    void aShardedModelsFingerprintCoversEveryShard() throws Exception {
        Path model = TinyCheckpoint.gpt2(51, 2, 2, 4, 23, 8, false).writeSharded(dir.resolve("sharded"), TensorDtype.F32, 2);
        assertEquals(List.of("config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
                "model.safetensors.index.json"), io.circuitscope.core.io.ModelFingerprint.files(model).stream()
                .map(f -> f.getFileName().toString()).toList());
    }

    /**
     * Running out of memory in one run, or loading one model, ended the whole batch and left the run RUNNING, to be
     * run first (and die again) on every restart. Now those runs fail, saying how to give Java more, and the rest run.
     */
    @Test
    void runningOutOfMemoryFailsThatRunAndTheBatchGoesOn() throws Exception {
        Path file = dir.resolve("oom.yaml");
        Files.writeString(file, "out: runs/oom\nmodels: [planted:induction, planted:ioi]\nmethods: [eap]\nseeds: [0, 1]\n"
                + "defaults: {metric: logit-diff, edges: 10, examples: 6}\n");
        BatchPlan plan = BatchPlan.read(file);
        String exhausted = plan.runs().get(0).id();
        StringWriter log = new StringWriter();
        BatchRunner runner = new BatchRunner(model -> {
            if (model.equals("planted:ioi")) {
                throw new OutOfMemoryError("Java heap space");
            }
            return new LoadedModel(PlantedModels.byArgument(model).build(), null, Path.of(model), "gpt2");
        }, model -> null, new PrintWriter(log), id -> {
            if (id.equals(exhausted)) { // as if the run's discovery had exhausted the heap
                throw new OutOfMemoryError("Java heap space");
            }
            return Progress.NONE;
        }, false);
        assertEquals(new BatchRunner.Outcome(1, 3, 0), runner.run(plan), log.toString());
        JsonNode manifest = new ObjectMapper().readTree(dir.resolve("runs/oom/manifest.json").toFile());
        for (JsonNode r : manifest.get("runs")) {
            boolean done = r.get("id").asText().equals(plan.runs().get(1).id());
            assertEquals(done ? "DONE" : "FAILED", r.get("state").asText(), r.toString());
            if (!done) {
                assertTrue(r.get("error").asText().contains("Java ran out of memory (Java heap space; it may use ")
                        && r.get("error").asText().contains("CIRCUITSCOPE_JAVA_OPTS=-Xmx..., or use fewer examples or "
                        + "a smaller batch_size"), r.toString());
            }
        }
    }

    /** Two batches in one folder both ran every run and moved each other's results to superseded/. */
    @Test
    void aSecondBatchInTheSameFolderIsRefused() throws Exception {
        Path plan = dir.resolve("locked.yaml");
        Files.writeString(plan, "out: runs/locked\nmodels: [planted:induction]\nmethods: [eap]\n"
                + "defaults: {metric: logit-diff, edges: 10, examples: 6}\n");
        Path runs = Files.createDirectories(dir.resolve("runs/locked"));
        try (java.nio.channels.FileChannel other = java.nio.channels.FileChannel.open(runs.resolve(".lock"),
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
                java.nio.channels.FileLock held = other.lock()) {
            StringWriter refused = new StringWriter();
            assertEquals(1, cli(refused, "batch", plan.toString(), "--quiet"));
            assertTrue(refused.toString().contains("locked.yaml: another batch is running in " + runs + " (it holds "
                    + runs.resolve(".lock") + "); nothing was run"), refused.toString());
            assertTrue(!Files.exists(runs.resolve("manifest.json")), "nothing was written");
        }
        String after = batch(plan, 0);
        assertTrue(after.toString().contains("1 done"), after.toString());
    }

    /** Temporaries have names of their own; those a killed batch left are removed by the next, holding the lock. */
    @Test
    void leftoversOfAKilledBatchAreRemoved() throws Exception {
        Path plan = dir.resolve("leftovers.yaml");
        Files.writeString(plan, "out: runs/leftovers\nmodels: [planted:induction]\nmethods: [eap]\n"
                + "defaults: {metric: logit-diff, edges: 10, examples: 6}\n");
        Path runs = dir.resolve("runs/leftovers");
        Path id = runs.resolve(BatchPlan.read(plan).runs().get(0).id());
        Path manifestLeftover = Files.writeString(Files.createDirectories(runs).resolve(".manifest.json.1.tmp"), "{");
        Path circuitLeftover = Files.writeString(Files.createDirectories(id).resolve(".circuit.json.2.tmp"), "{");
        batch(plan, 0);
        assertTrue(!Files.exists(manifestLeftover) && !Files.exists(circuitLeftover));
    }

    /** A finished run's circuit.json that no longer parses (cut short) is no result: resume redoes the run. */
    @Test
    void aFinishedRunWhoseCircuitDoesNotParseIsRedone() throws Exception {
        Path plan = dir.resolve("truncated.yaml");
        Files.writeString(plan, "out: runs/truncated\nmodels: [planted:induction]\nmethods: [eap]\n"
                + "defaults: {metric: logit-diff, edges: 10, examples: 6}\n");
        batch(plan, 0);
        String id = BatchPlan.read(plan).runs().get(0).id();
        Path circuit = dir.resolve("runs/truncated").resolve(id).resolve("circuit.json");
        String whole = Files.readString(circuit);
        Files.writeString(circuit, whole.substring(0, whole.length() / 2));
        String again = batch(plan, 0);
        assertTrue(again.toString().contains("redo   " + id + " (its circuit.json cannot be read: ")
                && again.toString().contains("1 done, 0 failed, 0 skipped"), again.toString());
        new ObjectMapper().readTree(circuit.toFile()); // whole again
    }

    private static List<Path> doneRunFolders(Path runs) throws Exception {
        try (var folders = Files.list(runs)) {
            return folders.filter(f -> Files.isRegularFile(f.resolve("circuit.json"))).toList();
        }
    }

    /**
     * A batch runs for hours: a model or task file rewritten while it runs (a training run saving its next checkpoint,
     * the next experiment's prompts) was recorded for the later runs with its new contents (the model hashed again at
     * its new stat, the task's digest kept from the batch's start), though they ran on the weights loaded before and
     * read the new prompts. A resume then reused a result made with other inputs, or reran one made with these. Now
     * each run records the model as fingerprinted before its weights were loaded and the task as hashed at its start.
     */
    @Test
    void filesRewrittenDuringTheBatchAreRecordedAsTheRunsUsedThem() throws Exception {
        Path model = TinyCheckpoint.gpt2(51, 2, 2, 4, 23, 8, false).write(dir.resolve("during-model"), TensorDtype.F32);
        Path task = RandomTaskFile.write(dir.resolve("during.jsonl"), "t", 4, 4, 5, 23);
        Path file = dir.resolve("during.yaml");
        Files.writeString(file, "out: runs/during\nmodels: [during-model]\ntasks: [during.jsonl]\nmethods: [exact]\n"
                + "seeds: [0, 1]\ndefaults: {metric: logit-diff}\n");
        BatchPlan plan = BatchPlan.read(file);
        String first = plan.runs().get(0).id();
        String second = plan.runs().get(1).id();
        StringWriter log = new StringWriter();
        BatchRunner runner = new BatchRunner(m -> io.circuitscope.core.io.ModelLoader.load(Path.of(m)), m -> null,
                new PrintWriter(log), id -> {
                    if (id.equals(first)) { // the first run has read both; the second runs on the loaded weights
                        try {
                            TinyCheckpoint.gpt2(53, 2, 2, 4, 23, 8, false).write(model, TensorDtype.F32);
                            RandomTaskFile.write(task, "t", 9, 4, 5, 23);
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    }
                    return Progress.NONE;
                }, false);
        assertEquals(new BatchRunner.Outcome(2, 0, 0), runner.run(plan), log.toString());
        Map<String, JsonNode> recorded = new HashMap<>();
        new ObjectMapper().readTree(dir.resolve("runs/during/manifest.json").toFile()).get("runs")
                .forEach(r -> recorded.put(r.get("id").asText(), r.get("inputs")));
        assertEquals(recorded.get(first).get("model_sha256"), recorded.get(second).get("model_sha256"),
                "both ran on the weights loaded before the rewrite");
        assertEquals(java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(Files.readAllBytes(task))), recorded.get(second).get("task_sha256").asText(),
                "the second run read the new prompts");

        String resumed = batch(file, 1);
        assertTrue(resumed.toString().contains(first + " (model files changed since the run, task file changed since "
                + "the run); " + second + " (model files changed since the run)"), resumed.toString());
    }

    /**
     * A run rerun with --rerun-changed whose model then failed to load was marked FAILED with its results cleared while
     * its earlier circuit.json stayed in its folder; the next attempt moved that to superseded/ with the FAILED record,
     * so the earlier run's numbers (its AUC is in the manifest alone) were lost. Now it is moved with its record first.
     */
    @Test
    void aChangedRunWhoseModelFailsToLoadKeepsItsEarlierResultAndRecord() throws Exception {
        Path file = dir.resolve("unloadable.yaml");
        Files.writeString(file, "out: runs/unloadable\nmodels: [planted:induction]\nmethods: [eap]\n"
                + "defaults: {metric: logit-diff, edges: 10, examples: 6}\n");
        java.util.function.Function<String, LoadedModel> planted =
                m -> new LoadedModel(PlantedModels.byArgument(m).build(), null, Path.of(m), "gpt2");
        StringWriter log = new StringWriter();
        assertEquals(new BatchRunner.Outcome(1, 0, 0), new BatchRunner(planted, m -> null, new PrintWriter(log),
                id -> Progress.NONE, false).run(BatchPlan.read(file)), log.toString());
        Files.writeString(file, Files.readString(file).replace("edges: 10", "edges: 12"));
        BatchPlan plan = BatchPlan.read(file);
        String id = plan.runs().get(0).id();
        assertEquals(new BatchRunner.Outcome(0, 1, 0), new BatchRunner(m -> {
            throw new IllegalStateException("cannot load " + m);
        }, m -> null, new PrintWriter(log), x -> Progress.NONE, true).run(plan), log.toString());
        Path earlier = dir.resolve("runs/unloadable/superseded").resolve(id);
        assertTrue(Files.isRegularFile(earlier.resolve("circuit.json")), log.toString());
        assertFalse(Files.exists(dir.resolve("runs/unloadable").resolve(id).resolve("circuit.json")),
                "no earlier result under the failed run");
        JsonNode record = new ObjectMapper().readTree(earlier.resolve("manifest-entry.json").toFile());
        assertEquals("DONE", record.get("state").asText(), record.toString());
        assertTrue(record.get("results").get("auc").isNumber(), record.toString());
        assertEquals(10, record.get("inputs").get("edges").asInt(), record.toString());
    }

    private static void copyTree(Path from, Path to) throws Exception {
        Files.createDirectories(to.getParent());
        try (var paths = Files.walk(from)) {
            for (Path p : paths.toList()) {
                Files.copy(p, to.resolve(from.relativize(p).toString()));
            }
        }
    }

    private static JsonNode method(Path runFolder) throws Exception {
        return new ObjectMapper().readTree(runFolder.resolve("circuit.json").toFile()).get("method");
    }

    private static List<String> doneRuns(Path runs) {
        List<String> ids = new ArrayList<>();
        try {
            JsonNode manifest = new ObjectMapper().readTree(runs.resolve("manifest.json").toFile());
            for (JsonNode r : manifest.get("runs")) {
                if (r.get("state").asText().equals("DONE")) {
                    ids.add(r.get("id").asText());
                }
            }
        } catch (Exception e) {
            // not written yet
        }
        return ids;
    }
}

package io.circuitscope.circuits.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading a plan refuses what no run could use, before any run starts; no model is loaded here. */
class BatchPlanTest {
    @TempDir
    Path dir;

    /** The model and task file the plans here name: a plan naming a file that does not exist is refused. */
    @org.junit.jupiter.api.BeforeEach
    void writeTheTaskFile() throws Exception {
        Files.writeString(dir.resolve("t.jsonl"), "");
        Files.writeString(dir.resolve("m"), "");
    }

    @Test
    void numericSettingsOutsideDiscoversLimitsAreRefusedNamingFileKeyAndValue() throws Exception {
        assertRefused("defaults: {edges: -5}", "plan.yaml: defaults: field 'edges' must be at least 0, got -5");
        assertRefused("defaults: {batch_size: 0}", "defaults: field 'batch_size' must be at least 1, got 0");
        assertRefused("defaults: {ig_steps: -1}", "defaults: field 'ig_steps' must be at least 1, got -1");
        assertRefused("defaults: {nodes: -2}", "defaults: field 'nodes' must be at least 0, got -2");
        assertRefused("defaults: {tau: -1}", "defaults: field 'tau' must be a finite number >= 0 (the ACDC threshold), "
                + "got -1");
        assertRefused("defaults: {tau: 1e400}", "field 'tau' must be a finite number >= 0"); // as discover's --tau
        assertRefused("defaults: {candidates: -3}", "defaults: field 'candidates': candidate budget must be >= 0, got -3");
        assertRefused("defaults: {candidates: '>=big'}", "field 'candidates': candidate budget '>=big'");
        assertRefused("defaults: {edges: 2.5}", "field 'edges' must be a whole number, got 2.5");
        assertRefused("defaults: {by_position: yes please}", "field 'by_position' must be true or false");
        assertRefused("defaults: {align: 1}", "field 'align' must be true or false, got 1");
        assertRefused("settings: [{tau: 0.1}, {edges: -1}]", "plan.yaml: settings[1]: field 'edges' must be at least 0");
        assertRefused("seeds: [0, 1.5]", "plan.yaml: seeds[1]: field 'seed' must be a whole number, got 1.5");
    }

    @Test
    void badValuesInAnExplicitRunListNameTheRun() throws Exception {
        Path plan = dir.resolve("plan.json");
        Files.writeString(plan, "{\"runs\": [{\"model\": \"m\", \"task\": \"t.jsonl\"},"
                + " {\"model\": \"m\", \"task\": \"t.jsonl\", \"batch_size\": 0}]}");
        String message = assertThrows(PlanException.class, () -> BatchPlan.read(plan)).getMessage();
        assertTrue(message.contains("plan.json: runs[1]: field 'batch_size' must be at least 1, got 0"), message);
    }

    /** A JSON plan that does not parse is described as every other JSON file is: in words, with its place. */
    @Test
    void aJsonPlanThatDoesNotParseSaysWhatIsWrong() throws Exception {
        Path plan = dir.resolve("broken.json");
        Files.writeString(plan, "{\"models\": [\"m\",]}");
        String message = assertThrows(PlanException.class, () -> BatchPlan.read(plan)).getMessage();
        assertTrue(message.startsWith(plan + ": not valid JSON: expected a value"), message);
        assertTrue(message.endsWith("(line 1, column 17)"), message);
        assertTrue(!message.contains("Unexpected character") && !message.contains("REDACTED"), message);
    }

    /** YAML errors too: one line with the problem and its place, without SnakeYAML's copies of the text and carets. */
    @Test
    void aYamlPlanThatDoesNotParseSaysWhatIsWrongAndWhere() throws Exception {
        Path plan = dir.resolve("broken.yaml");
        Files.writeString(plan, "models: [m\ntasks: [t.jsonl]\n");
        String message = assertThrows(PlanException.class, () -> BatchPlan.read(plan)).getMessage();
        assertEquals(plan + ": not valid YAML: expected ',' or ']', but got : (line 2, column 6;"
                + " in the flow sequence opened at line 1, column 9)", message);

        Files.writeString(plan, "models:\n  - m\n tasks:\n  - t.jsonl\n");
        message = assertThrows(PlanException.class, () -> BatchPlan.read(plan)).getMessage();
        assertTrue(message.startsWith(plan + ": not valid YAML: ") && message.contains("check the indentation (line 3,"),
                message);
        assertFalse(message.contains("'reader'") || message.contains("^") || message.contains("\n"), message);
    }

    /** A key given twice would silently keep its last value; a plan is refused instead, as task files are. */
    @Test
    void aKeyGivenTwiceIsRefusedInJsonAndYaml() throws Exception {
        Path yaml = write("models: [other]");
        assertEquals(yaml + ": not valid YAML: key 'models' appears twice (line 3, column 7)",
                assertThrows(PlanException.class, () -> BatchPlan.read(yaml)).getMessage());
        Path json = dir.resolve("plan.json");
        Files.writeString(json, "{\"models\": [\"a\"], \"tasks\": [\"t.jsonl\"], \"models\": [\"b\"]}");
        String message = assertThrows(PlanException.class, () -> BatchPlan.read(json)).getMessage();
        assertTrue(message.startsWith(json + ": not valid JSON: key 'models' appears twice"), message);
    }

    /** A bad value is named where the plan wrote it; a bad combination by the list positions that made it. */
    @Test
    void badValuesAreNamedWhereTheyWereWritten() throws Exception {
        assertRefused("methods: [acdc, foo]", "plan.yaml: methods[1]: unknown method 'foo'");
        assertRefused("defaults: {metric: foo}", "plan.yaml: defaults: field 'metric': unknown metric 'foo'");
        assertRefused("defaults: {ablation: foo}", "plan.yaml: defaults: field 'ablation':");
        assertRefused("settings: [{scorer: eap}, {scorer: foo}]", "plan.yaml: settings[1]: field 'scorer': unknown scorer 'foo'");
        assertRefused("methods: [eap]\nseeds: [1, 2]",
                "plan.yaml: run 0 (models[0], tasks[0], methods[0], seeds[0], defaults): eap takes the gradient at the clean model");
        assertRefused("methods: [eap-ig]\ndefaults: {ig_steps: 1}", "eap-ig with one step takes the gradient at the clean "
                + "model, where KL divergence is at its minimum and every gradient is zero; use 2 or more steps (ig_steps), "
                + "or the logit-diff metric");
    }

    @Test
    void unknownTopLevelKeysAreRefusedWithTheKnownOnes() throws Exception {
        assertRefused("foo: 1", "plan.yaml: unknown top-level key 'foo' (known: defaults, methods, models, out, "
                + "reference, runs, seeds, settings, tasks)");
        assertRefused("out: [a, b]", "plan.yaml: field 'out' must be a folder name");
    }

    /** The batch failed when it made its folder, with "PATH: exists and is not a folder", naming no field. */
    @Test
    void anOutThatIsAFileIsRefusedNamingTheField() throws Exception {
        assertRefused("out: t.jsonl", "plan.yaml: field 'out' (" + dir.toRealPath().resolve("t.jsonl")
                + "): is a file, not a folder");
        assertRefused("out: t.jsonl/runs", "plan.yaml: field 'out' (" + dir.toRealPath().resolve("t.jsonl/runs")
                + "): cannot be created: " + dir.toRealPath().resolve("t.jsonl") + " is a file, not a folder");
    }

    @Test
    void settingsWithinTheLimitsAreTaken() throws Exception {
        BatchPlan plan = BatchPlan.read(write("defaults: {edges: 0, batch_size: 1, ig_steps: 1, tau: 0, candidates: "
                + "'>=0.5', metric: logit-diff, align: true}\nseeds: [3]"));
        RunSpec run = plan.runs().get(0);
        assertEquals(0, run.settings().edges());
        assertEquals(1, run.settings().batchSize());
        assertEquals(3, run.settings().seed());
        assertTrue(run.align());
        assertTrue(run.bos(), "text prompts begin with the BOS token unless the plan says bos: false");
        assertFalse(BatchPlan.read(write("defaults: {bos: false}\nseeds: [3]")).runs().get(0).bos());
        assertRefused("defaults: {bos: 'no'}", "defaults: field 'bos' must be true or false");
    }

    /** planted:NAME was resolved as a file beside the plan, and 'tasks' was required for a model that has its own. */
    @Test
    void plantedModelsAreNotPathsAndBringTheirOwnTasks() throws Exception {
        Path file = dir.resolve("planted.yaml");
        Files.writeString(file, "models: [planted:induction, planted:ioi]\nmethods: [eap]\n"
                + "defaults: {metric: logit-diff, examples: 8}\n");
        BatchPlan plan = BatchPlan.read(file);
        assertEquals(2, plan.runs().size());
        RunSpec run = plan.runs().get(0);
        assertEquals("planted:induction", run.model());
        assertEquals(null, run.task(), "the planted model's own task");
        assertEquals(8, run.examples());
        assertEquals("000-planted_induction-own-task-eap-s0", run.id());

        Files.writeString(file, "runs: [{model: planted:ioi, task: t.jsonl}, {model: planted:ioi, seed: 2}]\n");
        plan = BatchPlan.read(file);
        assertEquals("planted:ioi", plan.runs().get(0).model());
        assertEquals(dir.toRealPath().resolve("t.jsonl"), plan.runs().get(0).task(), "a task file given is used");
        assertEquals(null, plan.runs().get(1).task());
        assertEquals(io.circuitscope.core.planted.PlantedModels.DEFAULT_EXAMPLES, plan.runs().get(1).examples());
        Files.writeString(file, "models: [planted:ioi]\ntasks: [t.jsonl]\n");
        assertEquals(dir.toRealPath().resolve("t.jsonl"), BatchPlan.read(file).runs().get(0).task());
    }

    @Test
    void modelsWithoutTasksOfTheirOwnStillNeedTasksAndPlantedNamesAreChecked() throws Exception {
        Path file = dir.resolve("mixed.yaml");
        Files.writeString(file, "models: [planted:ioi, m.bin]\n");
        String message = assertThrows(PlanException.class, () -> BatchPlan.read(file)).getMessage();
        assertTrue(message.contains("mixed.yaml: field 'tasks' is missing (or give an explicit 'runs' list); model "
                + "\"m.bin\" brings no task of its own (only planted:NAME models do)"), message);
        Files.writeString(file, "models: [planted:nope]\n");
        message = assertThrows(PlanException.class, () -> BatchPlan.read(file)).getMessage();
        assertTrue(message.contains("mixed.yaml: models[0]: unknown planted model 'nope' (known: induction, ioi, "
                + "greater-than)"), message);
        Files.writeString(file, "runs: [{model: m.bin}]\n");
        message = assertThrows(PlanException.class, () -> BatchPlan.read(file)).getMessage();
        assertTrue(message.contains("runs[0]: field 'task' is missing"), message);
        assertRefused("defaults: {examples: 0}", "plan.yaml: defaults: field 'examples' must be at least 1, got 0");
    }

    /**
     * ORG/NAME is a model path when it exists beside the plan; it was looked up in the working directory, so a plan
     * run from elsewhere took sub/m.bin for a hub id, or loaded the working directory's file of that name.
     */
    @Test
    void aModelNamedLikeAHubIdIsAFileBesideThePlanNotInTheWorkingDirectory() throws Exception {
        Files.createDirectories(dir.resolve("sub"));
        Files.writeString(dir.resolve("sub/m.bin"), "");
        assertTrue(Files.isDirectory(Path.of("src/main")), "the test runs in the module's folder");
        Path file = dir.resolve("plan.yaml");
        Files.writeString(file, "models: [sub/m.bin, src/main]\ntasks: [t.jsonl]\n");
        BatchPlan plan = BatchPlan.read(file);
        assertEquals(dir.toRealPath().resolve("sub/m.bin").toString(), plan.runs().get(0).model());
        assertEquals("src/main", plan.runs().get(1).model(), "not beside the plan: a hub id");
    }

    /**
     * A missing ORG/NAME.bin (or .safetensors, .json) is no hub id for the loader (HubId.parse), so it is a missing
     * file: the plan took it for a hub id, started the batch, and the run failed saying hub ids have the form ORG/NAME.
     */
    @Test
    void aMissingModelFileNamedLikeAHubIdIsRefusedWhenThePlanIsRead() throws Exception {
        Path file = dir.resolve("plan.yaml");
        Files.writeString(file, "models: [gone/m.bin]\ntasks: [t.jsonl]\n");
        String message = assertThrows(PlanException.class, () -> BatchPlan.read(file)).getMessage();
        assertTrue(message.contains("plan.yaml: models[0]: " + dir.toRealPath().resolve("gone/m.bin")
                + ": no such model file or folder"), message);
        Files.writeString(file, "models: [gone/m]\ntasks: [t.jsonl]\n");
        assertEquals("gone/m", BatchPlan.read(file).runs().get(0).model(), "a possible hub id stays one");
    }

    /** A 'runs' list beside cross-product keys dropped the cross product without a word. */
    @Test
    void aRunsListWithCrossProductKeysIsRefusedNamingThem() throws Exception {
        assertRefused("runs: [{model: m, task: t.jsonl}]\nseeds: [1, 2]", "plan.yaml: 'runs' lists every run itself and "
                + "cannot be combined with the cross product's 'models', 'tasks', 'seeds'; give either the 'runs' list or "
                + "the cross product");
        Path file = dir.resolve("runs.yaml");
        Files.writeString(file, "runs: [{model: m, task: t.jsonl}]\ndefaults: {seed: 4}\n");
        assertEquals(4, BatchPlan.read(file).runs().get(0).settings().seed(), "defaults go with a runs list");
    }

    /** A setting the cross product's lists set for every run was overridden by them without a word. */
    @Test
    void keysTheListsSetAreRefusedInSettingsAndDefaults() throws Exception {
        assertRefused("seeds: [1, 2]\nsettings: [{tau: 0.1}, {seed: 7}]", "plan.yaml: settings[1]: key 'seed' cannot be "
                + "set here: the 'seeds' list sets it for every run and would override it; give it in 'seeds' or in "
                + "'defaults' without a 'seeds' list, or list the runs in 'runs'");
        assertRefused("methods: [eap]\nsettings: [{method: acdc}]", "plan.yaml: settings[0]: key 'method' cannot be set "
                + "here: the 'methods' list sets it");
        assertRefused("settings: [{model: other}]", "plan.yaml: settings[0]: key 'model' cannot be set here: the "
                + "'models' list sets it for every run and would override it; give it in 'models', or list the runs");
        assertRefused("settings: [{task: other.jsonl}]", "plan.yaml: settings[0]: key 'task' cannot be set here");
        assertRefused("defaults: {task: other.jsonl}", "plan.yaml: defaults: key 'task' cannot be set here: the 'tasks' "
                + "list sets it");
        // without a 'methods' or 'seeds' list, settings choose them
        BatchPlan plan = BatchPlan.read(write("settings: [{method: acdc, seed: 3}]\ndefaults: {seed: 1, method: acdc}"));
        assertEquals(3, plan.runs().get(0).settings().seed());
        Path planted = dir.resolve("planted.yaml");
        Files.writeString(planted, "models: [planted:ioi]\ndefaults: {task: t.jsonl}\n");
        String message = assertThrows(PlanException.class, () -> BatchPlan.read(planted)).getMessage();
        assertTrue(message.contains("planted.yaml: defaults: key 'task' cannot be set here: each model's own task (there "
                + "is no 'tasks' list) sets it"), message);
    }

    /** Text after the plan, a second object or YAML document, was ignored without a word. */
    @Test
    void textAfterThePlanIsRefusedWithItsPlace() throws Exception {
        Path json = dir.resolve("plan.json");
        Files.writeString(json, "{\"models\": [\"m\"], \"tasks\": [\"t.jsonl\"]}\n{\"seeds\": [1]}\n");
        String message = assertThrows(PlanException.class, () -> BatchPlan.read(json)).getMessage();
        assertEquals(json + ": text after the plan (line 2, column 1): a plan is one JSON object; remove it or merge it "
                + "into the plan", message);
        Path yaml = write("---\nseeds: [1]");
        message = assertThrows(PlanException.class, () -> BatchPlan.read(yaml)).getMessage();
        assertEquals(yaml + ": text after the plan (line 4, column 1): a plan is one YAML document (this one follows ---); "
                + "remove it or merge it into the plan", message);
        Files.writeString(yaml, "---\nmodels: [m]\ntasks: [t.jsonl]\n...\n");
        assertEquals(1, BatchPlan.read(yaml).runs().size(), "one document, with its start and end marks");
    }

    /** A hand-edited manifest's bad state or results were reported as "No enum constant ...", naming no file. */
    @Test
    void aManifestWithABadStateOrResultsIsNamedWithItsField() throws Exception {
        Path manifest = dir.resolve("manifest.json");
        Files.writeString(manifest, "{\"runs\": [{\"id\": \"a\", \"state\": \"DONE\"}, {\"id\": \"b\", \"state\": \"done\"}]}");
        String message = assertThrows(PlanException.class, () -> Manifest.load(dir)).getMessage();
        assertEquals(manifest + ": manifest is unreadable (runs[1]: field 'state' must be one of [PENDING, RUNNING, "
                + "DONE, FAILED], got \"done\"); move it away to start the batch afresh", message);
        Files.writeString(manifest, "{\"runs\": [{\"id\": \"a\", \"state\": \"DONE\", \"results\": [1, 2]}]}");
        message = assertThrows(PlanException.class, () -> Manifest.load(dir)).getMessage();
        assertEquals(manifest + ": manifest is unreadable (runs[0]: field 'results' must be an object, got [1,2]); move "
                + "it away to start the batch afresh", message);
    }

    /** Found by BatchPlanFuzzTest: a NullPointerException, and Jackson's words over two lines with a redacted source. */
    @Test
    void aManifestThatIsDamagedIsNamedWithWhatIsWrong() throws Exception {
        Path manifest = dir.resolve("manifest.json");
        Files.writeString(manifest, "{\"runs\": {\"a\": {\"state\": \"DONE\"}}}");
        String message = assertThrows(PlanException.class, () -> Manifest.load(dir)).getMessage();
        assertEquals(manifest + ": manifest is unreadable (field 'runs' must be an array, got {\"a\":{\"state\":\"DONE\"}}); "
                + "move it away to start the batch afresh", message);
        Files.writeString(manifest, "{\"runs\": [{\"id\": \"a\"}, 7]}");
        message = assertThrows(PlanException.class, () -> Manifest.load(dir)).getMessage();
        assertTrue(message.contains("(runs[1] must be an object, got 7)"), message);
        Files.writeString(manifest, "{\"runs\": [{\"id\": \"a\", \"seconds\": NaN}]}");
        message = assertThrows(PlanException.class, () -> Manifest.load(dir)).getMessage();
        assertEquals(manifest + ": manifest is unreadable (not valid JSON: 'NaN' is not a JSON value (expected a string, "
                + "number, array, object, true, false or null) (line 1, column 37)); move it away to start the batch "
                + "afresh", message);
    }

    /** Seeds went through a double: 9007199254740993 (2^53 + 1) ran as ...992. */
    @Test
    void seedsAreReadAsWholeNumbersWithoutRounding() throws Exception {
        RunSpec run = BatchPlan.read(write("seeds: [9007199254740993]")).runs().get(0);
        assertEquals(9007199254740993L, run.settings().seed());
        assertTrue(run.id().endsWith("-s9007199254740993"), run.id());
        assertEquals(-9007199254740993L, BatchPlan.read(write("defaults: {seed: -9007199254740993}")).runs().get(0)
                .settings().seed());
        assertRefused("seeds: [9223372036854775808]", "plan.yaml: seeds[0]: field 'seed' must be a whole number from "
                + "-9223372036854775808 to 9223372036854775807, got 9223372036854775808");
        assertRefused("defaults: {edges: 3000000000}", "plan.yaml: defaults: field 'edges' must be a whole number from 0 "
                + "to 2147483647, got 3000000000");
        assertRefused("seeds: [0.5]", "plan.yaml: seeds[0]: field 'seed' must be a whole number, got 0.5");
    }

    /** Runs differing only in examples, align, bos or reference had identical rows in the summary. */
    @Test
    void summaryRowsShowTheRunSettingsThatDifferBetweenRuns() throws Exception {
        Files.writeString(dir.resolve("ref.json"), "{}");
        Path file = dir.resolve("summary.yaml");
        Files.writeString(file, "runs: [{model: planted:ioi, examples: 4}, {model: planted:ioi, examples: 8},\n"
                + "  {model: m, task: t.jsonl, bos: false}, {model: m, task: t.jsonl, reference: ref.json}]\n");
        BatchPlan plan = BatchPlan.read(file);
        SummaryTable.write(plan, Manifest.load(plan.out()));
        List<String> rows = Files.readAllLines(plan.out().resolve("summary.csv"));
        assertTrue(rows.get(1).contains(" examples=4,") && rows.get(2).contains(" examples=8,"), rows.toString());
        assertTrue(rows.get(3).contains(" bos=false,") && !rows.get(3).contains("reference="), rows.get(3));
        assertTrue(rows.get(4).contains(" bos=true reference=ref.json,"), rows.get(4));
        assertFalse(String.join("\n", rows).contains("align="), "the same in every run it applies to");
        // the same in every run: not repeated in each row
        Files.writeString(file, "models: [planted:ioi]\nmethods: [acdc, eap-ig]\ndefaults: {examples: 4}\n");
        plan = BatchPlan.read(file);
        SummaryTable.write(plan, Manifest.load(plan.out()));
        assertFalse(Files.readString(plan.out().resolve("summary.csv")).contains("examples="));
    }

    /**
     * Runs differing only in validate had identical settings cells: the empty verdicts of the unvalidated one read as
     * those of a run finished by a version that did not validate. Shown when it differs, as bos is.
     */
    @Test
    void summaryRowsShowValidateWhenItDiffersBetweenRuns() throws Exception {
        Path file = dir.resolve("validate-summary.yaml");
        Files.writeString(file, "runs: [{model: planted:ioi, method: exact}, {model: planted:ioi, method: exact, validate: false}]\n");
        BatchPlan plan = BatchPlan.read(file);
        SummaryTable.write(plan, Manifest.load(plan.out()));
        List<String> rows = Files.readAllLines(plan.out().resolve("summary.csv"));
        assertTrue(rows.get(1).contains(" validate=true,") && rows.get(2).contains(" validate=false,"), rows.toString());
        List<String> md = Files.readAllLines(plan.out().resolve("summary.md"));
        assertTrue(md.get(3).contains(" validate=false |"), md.get(3));
        // the same in every run: not repeated in each row
        Files.writeString(file, "runs: [{model: planted:ioi, method: exact, validate: false}, {model: planted:ioi, method: acdc, validate: false}]\n");
        plan = BatchPlan.read(file);
        SummaryTable.write(plan, Manifest.load(plan.out()));
        assertFalse(Files.readString(plan.out().resolve("summary.csv")).contains("validate="));
    }

    /**
     * A task file that does not exist is refused when the plan is read, naming the plan, the entry and the file: a
     * run read its task only at its turn, so the typo failed that run after the earlier ones had spent their time.
     */
    @Test
    void aMissingTaskFileIsRefusedWhenThePlanIsRead() throws Exception {
        Path real = dir.toRealPath();
        Path plan = dir.resolve("plan.yaml");
        Files.writeString(plan, "models: [m]\ntasks: [t.jsonl, typo.jsonl]\nmethods: [acdc, eap-ig]\n");
        String message = assertThrows(PlanException.class, () -> BatchPlan.read(plan)).getMessage();
        assertEquals(plan + ": tasks[1]: " + real.resolve("typo.jsonl") + ": no such file", message);
        Files.createDirectories(dir.resolve("folder.jsonl"));
        Files.writeString(plan, "runs: [{model: m, task: t.jsonl}, {model: m, task: folder.jsonl}]\n");
        message = assertThrows(PlanException.class, () -> BatchPlan.read(plan)).getMessage();
        assertEquals(plan + ": runs[1]: field 'task': " + real.resolve("folder.jsonl") + ": is a folder, not a file", message);
    }

    /**
     * A model path that does not exist is refused when the plan is read, naming the entry: a batch loads each model at
     * its first run, so a typo in the last model failed its runs after every other model's runs had spent their hours.
     */
    @Test
    void aMissingModelPathIsRefusedWhenThePlanIsRead() throws Exception {
        Path real = dir.toRealPath();
        Path plan = dir.resolve("plan.yaml");
        Files.writeString(plan, "models: [m, ./typo.bin, planted:ioi]\ntasks: [t.jsonl]\nmethods: [acdc, eap-ig]\n"
                + "seeds: [0, 1]\n");
        assertEquals(plan + ": models[1]: " + real.resolve("typo.bin") + ": no such model file or folder (a path is "
                + "read from the plan's folder; a hub id is written ORG/NAME)",
                assertThrows(PlanException.class, () -> BatchPlan.read(plan)).getMessage());
        Files.writeString(plan, "runs: [{model: m, task: t.jsonl}, {model: gone, task: t.jsonl}]\n");
        String message = assertThrows(PlanException.class, () -> BatchPlan.read(plan)).getMessage();
        assertTrue(message.startsWith(plan + ": runs[1]: field 'model': " + real.resolve("gone") + ": no such model"),
                message);
        Files.writeString(plan, "models: [m, org/on-the-hub]\ntasks: [t.jsonl]\n");
        assertEquals(2, BatchPlan.read(plan).runs().size(), "a hub id is looked up when it is loaded");
    }

    /** Found by BatchPlanFuzzTest: Java's own words, naming neither the plan's field nor what to do. */
    @Test
    void aPathHoldingANulCharacterIsRefusedNamingItsField() throws Exception {
        Path plan = dir.resolve("nul.json");
        Files.writeString(plan, "{\"models\": [\"m\"], \"tasks\": [\"t\\u0000.jsonl\"]}");
        String message = assertThrows(PlanException.class, () -> BatchPlan.read(plan)).getMessage();
        assertTrue(message.startsWith(plan + ": run 0 (models[0], tasks[0], defaults): field 'task' is not a valid path "
                + "(Nul character not allowed)"), message);
        Files.writeString(plan, "{\"runs\": [{\"model\": \"m\\u0000\", \"task\": \"t.jsonl\"}]}");
        message = assertThrows(PlanException.class, () -> BatchPlan.read(plan)).getMessage();
        assertTrue(message.startsWith(plan + ": runs[0]: field 'model' is not a valid path"), message);
        Files.writeString(plan, "{\"out\": \"r\\u0000\", \"models\": [\"m\"], \"tasks\": [\"t.jsonl\"]}");
        message = assertThrows(PlanException.class, () -> BatchPlan.read(plan)).getMessage();
        assertTrue(message.startsWith(plan + ": field 'out' is not a valid path"), message);
    }

    /** Found by BatchPlanFuzzTest: it said "cannot read the plan (Input length = 1)". */
    @Test
    void aPlanThatIsNotUtf8SaysSo() throws Exception {
        Path plan = write("seeds: [0]");
        byte[] bytes = Files.readAllBytes(plan);
        bytes[2] = (byte) 0xC3; // a two-byte sequence's first byte before a plain one
        Files.write(plan, bytes);
        String message = assertThrows(PlanException.class, () -> BatchPlan.read(plan)).getMessage();
        assertEquals(plan + ": cannot read the plan: not UTF-8 text", message);
    }

    private Path write(String extra) throws Exception {
        Path plan = dir.resolve("plan.yaml");
        Files.writeString(plan, "models: [m]\ntasks: [t.jsonl]\n" + extra + "\n");
        return plan;
    }

    private void assertRefused(String extra, String expected) throws Exception {
        Path plan = write(extra);
        String message = assertThrows(PlanException.class, () -> BatchPlan.read(plan), extra).getMessage();
        assertTrue(message.contains(expected), message);
    }
}

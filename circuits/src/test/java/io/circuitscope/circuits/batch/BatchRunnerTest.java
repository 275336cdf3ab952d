package io.circuitscope.circuits.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.circuitscope.circuits.cli.CircuitscopeCli;
import io.circuitscope.circuits.cli.CliRun;
import io.circuitscope.circuits.cli.RandomTaskFile;
import io.circuitscope.core.io.TensorDtype;
import io.circuitscope.core.testing.TinyCheckpoint;
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
        StringWriter out = new StringWriter();
        assertEquals(1, cli(out, "batch", plan.toString(), "--quiet"), out.toString());
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

    @Test
    void malformedPlansNameTheFileLineAndField() throws Exception {
        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "{\n \"models\": [\"model-a\"],\n \"tasks\": [\"task.jsonl\"],\n \"methods\": [\"acdc\"],,\n}");
        PlanException e = assertThrows(PlanException.class, () -> BatchPlan.read(bad));
        assertTrue(e.getMessage().contains("bad.json:4:"), e.getMessage());
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

    /** A planted model runs from its name, with its own task, and the summary says so. */
    @Test
    void plantedModelsRunWithTheirOwnTasks() throws Exception {
        Path plan = dir.resolve("planted.yaml");
        Files.writeString(plan, "out: runs/planted\nmodels: [planted:induction]\nmethods: [eap]\n"
                + "defaults: {metric: logit-diff, edges: 10, examples: 6}\n");
        StringWriter out = new StringWriter();
        assertEquals(0, cli(out, "batch", plan.toString(), "--quiet"), out.toString());
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

        StringWriter out = new StringWriter();
        assertEquals(0, cli(out, "batch", plan.toString(), "--quiet"), out.toString());
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

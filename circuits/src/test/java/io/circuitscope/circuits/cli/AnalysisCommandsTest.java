package io.circuitscope.circuits.cli;

import static io.circuitscope.circuits.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.circuitscope.core.io.TensorDtype;
import io.circuitscope.core.testing.TinyCheckpoint;
import io.circuitscope.core.testing.TinyTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** make-task, patch, heads, lens and dla on a tiny GPT-2 whose tokenizer has IOI names as single tokens. */
class AnalysisCommandsTest {
    @TempDir
    static Path dir;
    static Path ioi;
    static Path induction;
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void writeModelAndTasks() throws Exception {
        int vocab = TinyTokenizer.write(dir, " Mary", " John", " Alice", " Bob", " Tom", " James", " Sarah");
        TinyCheckpoint.gpt2(21, 2, 2, 8, vocab, 160, false).write(dir, TensorDtype.F32);
        ioi = dir.resolve("ioi.jsonl");
        induction = dir.resolve("induction.jsonl");
        CliRun r = run("make-task", "--generator", "ioi", "--model", dir.toString(), "--n", "4", "--seed", "1",
                "--out", ioi.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("wrote 4 ioi examples") && r.out().contains("name not one token"), r.out());
        r = run("make-task", "--generator", "induction", "--model", dir.toString(), "--n", "3", "--out",
                induction.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(3, Files.readAllLines(induction).size());
    }

    @Test
    void makeTaskRejectsUnknownGeneratorsAndBadCounts() {
        CliRun r = run("make-task", "--generator", "nope", "--model", dir.toString(), "--out", dir.resolve("x").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("unknown generator 'nope'"), r.err());
        assertEquals(2, run("make-task", "--generator", "ioi", "--model", dir.toString(), "--n", "0", "--out",
                dir.resolve("x").toString()).code());
    }

    /** make-task wrote [UNK] prompts, and prompts longer than the model's context, with exit 0. */
    @Test
    void makeTaskRefusesUnknownWordsAndPromptsLongerThanTheContext() throws Exception {
        Path small = Files.createDirectories(dir.resolve("word-level"));
        int vocab = TinyTokenizer.writeWordLevel(small, "When", "Mary", "John", "went", "to", "the", "store");
        TinyCheckpoint.gpt2(22, 1, 2, 4, vocab, 16, false).write(small, TensorDtype.F32);
        Path out = small.resolve("task.jsonl");
        CliRun r = run("make-task", "--generator", "ioi", "--model", small.toString(), "--n", "4", "--out", out.toString());
        assertEquals(1, r.code(), r.out());
        assertTrue(r.err().contains(small + ": only 2 of the IOI names are single tokens")
                && r.err().contains("unknown to it: Alice, Bob, Tom"), r.err());
        assertFalse(Files.exists(out));

        r = run("make-task", "--generator", "induction", "--model", small.toString(), "--n", "4", "--out", out.toString());
        assertEquals(1, r.code(), r.out());
        assertTrue(r.err().contains(small + ": induction prompts of 20 tokens do not fit the model's context of 16 "
                + "tokens; " + out + " not written"), r.err());
        assertFalse(Files.exists(out));
        r = run("make-task", "--generator", "induction", "--model", "planted:induction", "--out", out.toString());
        assertEquals(1, r.code(), r.out());
        assertTrue(r.err().contains("planted:induction: induction prompts of 20 tokens do not fit"), r.err());
    }

    @Test
    void patchPrintsNormalizedEffectsPerNodeEdgeAndSender() throws Exception {
        CliRun r = run("patch", "--model", dir.toString(), "--task", ioi.toString(), "--nodes", "heads", "--direction",
                "denoise", "--json", "--png", dir.resolve("heads.png").toString());
        assertEquals(0, r.code(), r.err());
        JsonNode root = JSON.readTree(r.out());
        assertEquals("logit-diff", root.get("metric").asText());
        assertTrue(root.has("clean") && root.has("corrupted"));
        assertEquals(4, root.get("effects").size());
        JsonNode e = root.get("effects").get(0);
        assertEquals("a0.h0", e.get("node").asText());
        double expected = (e.get("value").asDouble() - root.get("corrupted").asDouble())
                / (root.get("clean").asDouble() - root.get("corrupted").asDouble());
        assertEquals(expected, e.get("normalized").asDouble(), 1e-9);
        assertTrue(Files.size(dir.resolve("heads.png")) > 0);

        r = run("patch", "--model", dir.toString(), "--task", ioi.toString(), "--nodes", "resid", "--direction", "noise",
                "--by-position", "--json");
        // IOI templates differ in length here (read from the task file); by-position needs one length
        java.util.Set<Integer> ioiLengths = new java.util.TreeSet<>();
        for (String line : Files.readAllLines(ioi)) {
            ioiLengths.add(JSON.readTree(line).get("clean_ids").size());
        }
        assertTrue(ioiLengths.size() > 1, "the IOI prompts have several lengths: " + ioiLengths);
        assertEquals(1, r.code(), r.out());
        assertTrue(r.err().contains("error: --by-position needs prompts of one length"), r.err());
        // the induction prompts share one length: the residual stream is patched at each layer and position
        int inductionLength = JSON.readTree(Files.readAllLines(induction).get(0)).get("clean_ids").size();
        for (String line : Files.readAllLines(induction)) {
            assertEquals(inductionLength, JSON.readTree(line).get("clean_ids").size());
        }
        r = run("patch", "--model", dir.toString(), "--task", induction.toString(), "--nodes", "resid", "--direction",
                "noise", "--by-position", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode resid = JSON.readTree(r.out()).get("effects");
        assertEquals(2 * inductionLength, resid.size(), "2 layers x " + inductionLength + " positions");
        for (int i = 0; i < resid.size(); i++) {
            JsonNode x = resid.get(i);
            int layer = i / inductionLength;
            int position = i % inductionLength;
            assertTrue(x.has("position"), x.toString());
            assertEquals(position, x.get("position").asInt(), x.toString());
            assertEquals(layer, x.get("layer").asInt(), x.toString());
            assertEquals("resid_pre" + layer + "@" + position, x.get("node").asText());
        }
        r = run("patch", "--model", dir.toString(), "--task", induction.toString(), "--nodes", "mlps", "--by-position",
                "--json");
        assertEquals(0, r.code(), r.err());
        assertEquals(2 * 20, JSON.readTree(r.out()).get("effects").size());

        r = run("patch", "--model", dir.toString(), "--task", ioi.toString(), "--edges", "--edge-filter", "->logits",
                "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode edges = JSON.readTree(r.out()).get("effects");
        assertEquals(1 + 2 * 3, edges.size());
        assertTrue(edges.get(0).get("edge").asText().endsWith("->logits"));

        r = run("patch", "--model", dir.toString(), "--task", ioi.toString(), "--receivers", "logits", "--direction",
                "noise");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("a1.h1"), r.out());
        // the table's effect column is the metric's change from the clean run (noising), as --json writes it
        java.util.regex.Matcher row = java.util.regex.Pattern.compile("(?m)^\\s+a1\\.h1\\s+(\\S+)\\s+(\\S+)\\s*$")
                .matcher(r.out());
        assertTrue(row.find(), r.out());
        double shown = Double.parseDouble(row.group(1));
        CliRun asJson = run("patch", "--model", dir.toString(), "--task", ioi.toString(), "--receivers", "logits",
                "--direction", "noise", "--json");
        assertEquals(0, asJson.code(), asJson.err());
        JsonNode patched = JSON.readTree(asJson.out());
        JsonNode a1h1 = null;
        for (JsonNode x : patched.get("effects")) {
            a1h1 = x.get("node").asText().equals("a1.h1") ? x : a1h1;
        }
        assertTrue(a1h1 != null, asJson.out());
        double effect = a1h1.get("value").asDouble() - patched.get("clean").asDouble();
        assertEquals(effect, a1h1.get("effect").asDouble(), 1e-9, a1h1.toString());
        assertEquals(effect, shown, 0.5e-4 + 1e-9, "four decimals of the effect: " + r.out());
        assertTrue(Math.abs(patched.get("clean").asDouble()) > 1e-3, "value and effect differ: " + asJson.out());
    }

    /** With clean = corrupted a normalized effect is 0 / 0: shown as n/a and written as null, not as infinity. */
    @Test
    void patchOnATaskWithoutEffectLeavesNormalizedEffectsUndefined() throws Exception {
        Path same = dir.resolve("same.jsonl");
        Files.writeString(same, "{\"clean_ids\": [1, 5, 9], \"corrupt_ids\": [1, 5, 9], "
                + "\"targets\": [{\"position\": -1, \"correct_id\": 5, \"wrong_id\": 7}]}\n");
        CliRun table = run("patch", "--model", dir.toString(), "--task", same.toString(), "--nodes", "mlps");
        assertEquals(0, table.code(), table.err());
        assertTrue(table.out().contains("normalized effects are undefined") && table.out().contains("n/a"), table.out());
        assertTrue(!table.out().contains("Infinity") && !table.out().contains("NaN"), table.out());
        CliRun json = run("patch", "--model", dir.toString(), "--task", same.toString(), "--nodes", "mlps", "--json");
        assertEquals(0, json.code(), json.err());
        for (JsonNode e : JSON.readTree(json.out()).get("effects")) {
            assertTrue(e.get("normalized").isNull(), e.toString());
        }
    }

    @Test
    void patchRejectsBadDirectionsAndMissingTasks() {
        CliRun r = run("patch", "--model", dir.toString(), "--task", ioi.toString(), "--direction", "sideways");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("sideways"), r.err());
        r = run("patch", "--model", dir.toString(), "--task", dir.resolve("missing.jsonl").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("missing.jsonl"), r.err());
        r = run("patch", "--model", dir.toString(), "--task", ioi.toString(), "--corruption", "zero");
        assertEquals(2, r.code(), "a usage error, like every other bad option"); // was 1, after loading the model
        assertTrue(r.err().contains("--corruption zero has no corrupted run to denoise; use --direction noise"), r.err());
    }

    @Test
    void theTranslationScoreSaysItNeedsATokenizer() {
        CliRun r = run("heads", "--model", "planted:induction", "--score", "translation");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("the translation score tokenizes its word pairs"), r.err()); // not "pass token ids"
    }

    /** dla said only that "a wrong answer" was missing, not where: a task of 33 lines left the user to search. */
    @Test
    void dlaNamesTheTargetWithoutAWrongAnswer() throws Exception {
        Path task = java.nio.file.Files.writeString(dir.resolve("no-wrong.jsonl"),
                "{\"clean_ids\": [0, 9, 8], \"corrupt_ids\": [0, 9, 4], \"targets\": [{\"position\": -1, \"correct_id\": 1, "
                        + "\"wrong_id\": 8}]}\n{\"clean_ids\": [0, 9, 8], \"corrupt_ids\": [0, 9, 4], \"targets\": "
                        + "[{\"position\": -1, \"correct_id\": 1, \"wrong_id\": 8}, {\"position\": 1, \"correct_id\": 8}]}\n");
        CliRun r = run("dla", "--model", "planted:ioi", "--task", task.toString());
        assertEquals(1, r.code(), r.out());
        assertTrue(r.err().contains("in task 'no-wrong' example 2, targets[1] has none (wrong_id / wrong)"), r.err());
    }

    /** Options a score does not read were dropped without a word: --threshold (translation's) and --task (not its). */
    @Test
    void headsRefusesOptionsItsScoreDoesNotRead() {
        CliRun r = run("heads", "--model", "planted:induction", "--score", "induction", "--threshold", "0.5");
        assertEquals(2, r.code(), r.out());
        assertTrue(r.err().contains("--threshold applies only to --score translation"), r.err());
        r = run("heads", "--model", dir.toString(), "--task", ioi.toString(), "--score", "translation");
        assertEquals(2, r.code(), r.out());
        assertTrue(r.err().contains("--task does not apply to --score translation"), r.err());
    }

    @Test
    void headsScoresEveryHead() throws Exception {
        CliRun r = run("heads", "--model", dir.toString(), "--task", induction.toString(), "--score", "induction", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode heads = JSON.readTree(r.out()).get("heads");
        assertEquals(4, heads.size());
        assertEquals("a1.h1", heads.get(3).get("head").asText());
        r = run("heads", "--model", dir.toString(), "--score", "translation", "--json", "--threshold", "0.01");
        assertEquals(0, r.code(), r.err());
        JsonNode root = JSON.readTree(r.out());
        assertTrue(root.get("selected").isArray());
        JsonNode h = root.get("heads").get(0);
        assertEquals(h.get("translation").asDouble() - h.get("random").asDouble(), h.get("score").asDouble(), 1e-9);
        r = run("heads", "--model", dir.toString(), "--task", ioi.toString(), "--score", "previous-token");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("L1"), r.out());
        assertEquals(2, run("heads", "--model", dir.toString(), "--task", ioi.toString(), "--score", "nope").code());
        // planted:induction's a0.h0 attends to the previous token (AnalysesTest: above 0.99, every other head below 0.5)
        r = run("heads", "--model", "planted:induction", "--score", "previous-token", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode planted = JSON.readTree(r.out());
        assertEquals("previous-token", planted.get("score").asText());
        assertEquals(8, planted.get("heads").size());
        for (JsonNode x : planted.get("heads")) {
            if (x.get("head").asText().equals("a0.h0")) {
                assertTrue(x.get("score").asDouble() > 0.99, x.toString());
            } else {
                assertTrue(x.get("score").asDouble() < 0.5, x.toString());
            }
        }
        assertEquals("a0.h0", topBy(planted.get("heads"), "head", "score"));
        assertEquals(2, run("heads", "--model", dir.toString(), "--score", "induction").code());
    }

    /** planted:NAME loads as in discover (it was taken for a missing path) and brings its task when --task is omitted. */
    @Test
    void analysesTakePlantedModelsWithTheirOwnTasks() throws Exception {
        CliRun r = run("heads", "--model", "planted:induction", "--score", "induction", "--json");
        assertEquals(0, r.code(), r.err());
        assertEquals("a1.h0", topBy(JSON.readTree(r.out()).get("heads"), "head", "score"), "the planted induction head");

        r = run("patch", "--model", "planted:ioi", "--nodes", "heads", "--json");
        assertEquals(0, r.code(), r.err());
        assertEquals("a2.h0", topBy(JSON.readTree(r.out()).get("effects"), "node", "normalized"), "the planted name mover");

        r = run("dla", "--model", "planted:ioi", "--json"); // no final norm: DLA read its missing weight
        assertEquals(0, r.code(), r.err());
        JsonNode dla = JSON.readTree(r.out());
        assertEquals(7.0, dla.get("logit_diff").asDouble(), 1e-3, "the planted clean logit difference");
        assertEquals(dla.get("logit_diff").asDouble(), dla.get("sum").asDouble(), 1e-3);

        r = run("lens", "--model", "planted:ioi", "--task", ioiPlantedTask().toString(), "--json");
        assertEquals(0, r.code(), r.err());
        assertEquals(4, JSON.readTree(r.out()).get("layers").size());

        Path out = dir.resolve("planted-induction.jsonl");
        r = run("make-task", "--generator", "induction", "--model", "planted:ioi", "--n", "2", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(2, Files.readAllLines(out).size());

        r = run("dla", "--model", dir.toString());
        assertEquals(2, r.code(), "a model with no task of its own still needs --task");
        assertTrue(r.err().contains("--task is required for dla with model " + dir), r.err());
    }

    /** The planted IOI model's own task, written as a file. */
    private static Path ioiPlantedTask() throws Exception {
        Path file = dir.resolve("planted-ioi.jsonl");
        io.circuitscope.core.task.TaskFile.write(file,
                io.circuitscope.core.planted.PlantedModels.byName("ioi").task(3, 4));
        return file;
    }

    /** The {@code name} of the entry with the largest {@code value}. */
    private static String topBy(JsonNode entries, String name, String value) {
        JsonNode best = entries.get(0);
        for (JsonNode e : entries) {
            best = e.get(value).asDouble() > best.get(value).asDouble() ? e : best;
        }
        return best.get(name).asText();
    }

    @Test
    void lensAndDla() throws Exception {
        CliRun r = run("lens", "--model", dir.toString(), "--task", ioi.toString(), "--json", "--top-k", "3");
        assertEquals(0, r.code(), r.err());
        JsonNode layers = JSON.readTree(r.out()).get("layers");
        assertEquals(3, layers.size());
        assertEquals("embed", layers.get(0).get("layer").asText());
        assertEquals(3, layers.get(2).get("targets").get(0).get("top").size());
        assertEquals(2, run("lens", "--model", dir.toString(), "--task", ioi.toString(), "--top-k", "0").code());
        r = run("lens", "--model", dir.toString(), "--task", ioi.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("embed"));
        Path sets = dir.resolve("sets.jsonl");
        Files.writeString(sets, "{\"clean\":\" Mary and John\", \"corrupt\":\" Bob and John\", \"targets\":"
                + "[{\"position\":-1, \"correct\":[\" Mary\", \" Alice\"], \"wrong\":\" John\"}]}\n");
        r = run("lens", "--model", dir.toString(), "--task", sets.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode setTarget = JSON.readTree(r.out()).get("layers").get(0).get("targets").get(0);
        assertEquals(2, setTarget.get("correct_ids").size(), "an answer set is listed whole: " + setTarget);
        assertFalse(setTarget.has("correct_id"));

        r = run("dla", "--model", dir.toString(), "--task", ioi.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode root = JSON.readTree(r.out());
        assertEquals(root.get("logit_diff").asDouble(), root.get("sum").asDouble(), 1e-3);
        assertTrue(root.get("components").has("a1.h0") && root.get("components").has("bias"));
        r = run("dla", "--model", dir.toString(), "--task", induction.toString().replace("induction", "nope"));
        assertEquals(1, r.code());
        r = run("dla", "--model", dir.toString(), "--task", ioi.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("logit difference"));
    }
}

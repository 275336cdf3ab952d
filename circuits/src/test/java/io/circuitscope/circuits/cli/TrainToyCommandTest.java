package io.circuitscope.circuits.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainToyCommandTest {
    @TempDir
    Path dir;

    /**
     * A folder holding another command's files is refused before training, naming them (train-toy silently
     * overwrote a discover run's task.jsonl with its toy prompts); so is an --out that cannot be created.
     */
    @Test
    void refusesAFolderHoldingAnotherCommandsFilesBeforeTraining() throws Exception {
        Path discoverRun = Files.createDirectories(dir.resolve("discover-run"));
        Files.writeString(discoverRun.resolve("circuit.json"), "{}");
        Files.writeString(discoverRun.resolve("task.jsonl"), "the run's task");
        Path loneTask = Files.createDirectories(dir.resolve("my-task"));
        Files.writeString(loneTask.resolve("task.jsonl"), "the user's task");
        Path batch = Files.createDirectories(dir.resolve("batch"));
        Files.writeString(batch.resolve("manifest.json"), "{}");
        Path aFile = Files.writeString(dir.resolve("a-file"), "x");
        String[][] cases = {
            {discoverRun.toString(), "--out " + discoverRun + " holds a discover run: circuit.json; train-toy would "
                    + "overwrite its task.jsonl; give another folder"},
            {loneTask.toString(), "--out " + loneTask + " holds files no earlier train-toy run wrote (no training.json): "
                    + "task.jsonl; train-toy would overwrite them"},
            {batch.toString(), "--out " + batch + " holds a batch's results: manifest.json"},
            {aFile.resolve("toy").toString(), "--out " + aFile.resolve("toy") + ": cannot be created: " + aFile
                    + " is a file, not a folder"}};
        for (String[] c : cases) {
            CliRun r = CliRun.run("train-toy", "--task", "ioi", "--steps", "1", "--layers", "1", "--out", c[0]);
            assertEquals(2, r.code(), r.err());
            assertTrue(r.err().startsWith("error: " + c[1]), r.err());
            assertFalse(r.out().contains("training"), "nothing was trained: " + r.out());
        }
        assertEquals("the run's task", Files.readString(discoverRun.resolve("task.jsonl")));
        assertEquals("the user's task", Files.readString(loneTask.resolve("task.jsonl")));
        assertFalse(Files.exists(discoverRun.resolve("config.json")));
    }

    /**
     * An induction toy of one layer cannot have the circuit it is trained for (a previous-token head feeding an
     * induction head in a later layer): refused before training, naming --layers and why. It was trained, and the
     * head search then failed on its missing layer 1.
     */
    @Test
    void refusesAnInductionToyOfFewerThanTwoLayersBeforeTraining() throws Exception {
        Path toy = dir.resolve("toy");
        CliRun r = CliRun.run("train-toy", "--task", "induction", "--steps", "1", "--layers", "1", "--out", toy.toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith("error: --layers must be at least 2 for --task induction, got 1: induction needs "
                + "a previous-token head and an induction head in a later layer"), r.err());
        assertFalse(r.out().contains("training"), "nothing was trained: " + r.out());
        assertFalse(Files.exists(toy), "nothing was written");
    }

    /**
     * The reference circuit's summary has every key a discover run's always has, so readers treat both files alike:
     * it lacked gradient_passes (0: exact patching spends forward passes only).
     */
    @Test
    void theReferenceSummaryHasEveryKeyDiscoversHas() throws Exception {
        Path toy = dir.resolve("toy");
        CliRun trained = CliRun.run("train-toy", "--task", "ioi", "--steps", "1", "--layers", "1", "--out", toy.toString());
        assertEquals(0, trained.code(), trained.err());
        com.fasterxml.jackson.databind.JsonNode summary = new ObjectMapper()
                .readTree(toy.resolve("reference_circuit.json").toFile()).get("summary");
        assertEquals(0, summary.path("gradient_passes").asLong(-1), summary.toString());
        assertTrue(summary.get("forward_passes").asLong() > 0, summary.toString());
        // a discover run of the same method, without the summary's occasional notes (few_scored, empty_circuit): a
        // scorer-only method adds false_negative_bound, which exact patching has no use for
        Path run = dir.resolve("discover");
        CliRun discovered = CliRun.run("discover", "--model", "planted:ioi", "--examples", "8", "--method", "exact",
                "--edges", "5", "--no-validate", "--no-render", "--quiet", "--out", run.toString());
        assertEquals(0, discovered.code(), discovered.err());
        java.util.Set<String> discoverKeys = new java.util.TreeSet<>();
        new ObjectMapper().readTree(run.resolve("circuit.json").toFile()).get("summary").fieldNames()
                .forEachRemaining(discoverKeys::add);
        java.util.Set<String> referenceKeys = new java.util.TreeSet<>();
        summary.fieldNames().forEachRemaining(referenceKeys::add);
        assertTrue(referenceKeys.containsAll(discoverKeys), "discover's " + discoverKeys + ", the reference's " + referenceKeys);
    }

    /**
     * A run that fails part way leaves no output folder that looks like a finished one (it wrote its checkpoint
     * straight into --out, and a failure before the reference circuit left config.json, model.safetensors and
     * training.json there), and an empty --out as it was; no staging folder is left either.
     */
    @Test
    void aRunThatFailsPartWayLeavesNoHalfWrittenFolder() throws Exception {
        TrainToyCommand.Runner real = TrainToyCommand.runner;
        TrainToyCommand.runner = (kind, layers, seed, steps, into, command, out, err) -> {
            Files.writeString(into.resolve("config.json"), "{}");
            Files.writeString(into.resolve("training.json"), "{}");
            throw new java.io.IOException("the disk is full");
        };
        try {
            Path fresh = dir.resolve("fresh");
            Path empty = Files.createDirectories(dir.resolve("empty"));
            for (Path toy : List.of(fresh, empty)) {
                CliRun r = CliRun.run("train-toy", "--task", "ioi", "--steps", "1", "--layers", "1", "--out", toy.toString());
                assertEquals(1, r.code(), r.err());
                assertTrue(r.err().contains("the disk is full"), r.err());
            }
            assertFalse(Files.exists(fresh), "no half-written folder");
            try (Stream<Path> files = Files.list(empty)) {
                assertEquals(List.of(), files.toList(), "the empty folder stays empty");
            }
            try (Stream<Path> files = Files.list(dir)) {
                assertEquals(List.of("empty"), files.map(f -> f.getFileName().toString()).toList(), "no staging folder is left");
            }
        } finally {
            TrainToyCommand.runner = real;
        }
    }

    /**
     * The final loss printed and written to training.json is the moving average the last progress line shows; with
     * 25 steps (a line every 2) the last step had no line, so the final loss matched none printed.
     */
    @Test
    void theFinalLossIsTheMovingAverageOfTheLastProgressLine() throws Exception {
        Path toy = dir.resolve("toy");
        CliRun r = CliRun.run("train-toy", "--task", "ioi", "--steps", "25", "--layers", "1", "--out", toy.toString());
        assertEquals(0, r.code(), r.err());
        java.util.regex.Matcher last = java.util.regex.Pattern.compile("step 25 +loss [0-9.]+ +\\(moving average ([0-9.]+)\\)")
                .matcher(r.out());
        assertTrue(last.find(), "a progress line for the last step: " + r.out());
        String average = last.group(1);
        assertTrue(r.out().contains("final loss " + average + " (moving average, as on the progress lines)"), r.out());
        com.fasterxml.jackson.databind.JsonNode training = new ObjectMapper().readTree(toy.resolve("training.json").toFile());
        assertEquals(average, String.format(java.util.Locale.ROOT, "%.4f", training.get("final_loss").asDouble()));
        assertTrue(training.get("final_loss_is").asText().startsWith("moving average"), training.toString());
    }

    /**
     * The IOI toy's accuracy comes with its chance level and what that is (a pick between the prompt's two names, and
     * a guess among all names), on the console and in training.json: "chance 0.500" beside a top-1 accuracy said
     * neither.
     */
    @Test
    void theIoiAccuracyComesWithItsChanceLevelAndWhatItIs() throws Exception {
        Path toy = dir.resolve("toy");
        CliRun r = CliRun.run("train-toy", "--task", "ioi", "--steps", "1", "--layers", "1", "--out", toy.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("targets (top-1 over the vocabulary; chance 0.500: 1/2, a pick between the prompt's "
                + "two names; a guess among all 30 names would be 0.033)"), r.out());
        com.fasterxml.jackson.databind.JsonNode training = new ObjectMapper().readTree(toy.resolve("training.json").toFile());
        assertEquals(0.5, training.get("chance_accuracy").asDouble());
        assertTrue(training.get("chance_accuracy_is").asText().startsWith("1/2, a pick between the prompt's two names"),
                training.toString());
    }

    /**
     * A toy that has not learned its task (one step: accuracy below chance) gets a warning on the console and in its
     * output, training.json's warnings and the reference circuit's summary.warnings, instead of a reference circuit
     * shipped as if it were fine.
     */
    @Test
    void aModelBelowChanceIsWarnedAboutAndTheWarningRecorded() throws Exception {
        Path toy = dir.resolve("toy");
        CliRun r = CliRun.run("train-toy", "--task", "ioi", "--steps", "1", "--layers", "1", "--out", toy.toString());
        assertEquals(0, r.code(), r.err());
        // on standard error, as every command's warnings: a script reading the report on standard output sees them apart
        assertTrue(r.err().contains("warning: the task accuracy 0.0"), r.err());
        assertTrue(r.err().contains(" is below chance (0.500: 1/2, a pick between the prompt's two names"), r.err());
        assertTrue(r.err().contains("warning: the reference circuit is that of a model whose behaviour is not the task's"),
                r.err());
        assertFalse(r.out().contains("warning:"), r.out());
        ObjectMapper json = new ObjectMapper();
        com.fasterxml.jackson.databind.JsonNode warnings = json.readTree(toy.resolve("reference_circuit.json").toFile())
                .get("summary").get("warnings");
        assertTrue(warnings.isArray() && warnings.toString().contains("is below chance"), String.valueOf(warnings));
        assertEquals(warnings, json.readTree(toy.resolve("training.json").toFile()).get("warnings"));
    }

    /**
     * The reference circuit says where it came from without training.json beside it: the training settings (task,
     * layers, seed, steps, ...) and the software block with the runtime, as a discover run's circuit.json has; it had
     * the seed and the command line (without the defaults it used) and circuitscope's version and commit only.
     */
    @Test
    void theReferenceCircuitRecordsTheTrainingSettingsAndTheSoftware() throws Exception {
        Path toy = dir.resolve("toy");
        CliRun r = CliRun.run("train-toy", "--task", "ioi", "--seed", "3", "--steps", "2", "--layers", "1", "--out",
                toy.toString());
        assertEquals(0, r.code(), r.err());
        ObjectMapper json = new ObjectMapper();
        com.fasterxml.jackson.databind.JsonNode reference = json.readTree(toy.resolve("reference_circuit.json").toFile());
        com.fasterxml.jackson.databind.JsonNode training = reference.get("training");
        assertTrue(training != null, reference.fieldNames().toString());
        assertEquals("ioi", training.get("task").asText());
        assertEquals(1, training.get("layers").asInt());
        assertEquals(3, training.get("seed").asLong());
        assertEquals(2, training.get("steps").asInt());
        assertEquals(64, training.get("batch_size").asInt(), "a default the command line does not show");
        assertEquals(json.readTree(toy.resolve("training.json").toFile()), training, "the same as training.json");
        com.fasterxml.jackson.databind.JsonNode software = reference.get("software");
        assertEquals("circuitscope", software.get("name").asText());
        assertTrue(software.has("git_commit") && software.get("java").isTextual() && software.get("djl").isTextual()
                && software.has("pytorch"), software.toString());
    }

    /** An earlier train-toy run is replaced whole, and only once the new one is written: no half of either stays. */
    @Test
    void replacesAnEarlierTrainToyRunWhole() throws Exception {
        Path toy = dir.resolve("toy");
        CliRun first = CliRun.run("train-toy", "--task", "ioi", "--steps", "1", "--layers", "1", "--out", toy.toString());
        assertEquals(0, first.code(), first.err());
        assertTrue(first.out().contains("it is moved into " + toy + " when complete"), first.out());
        assertTrue(first.out().contains("moved it to " + toy), first.out());
        // what EAP-IG's Graph.from_json reads, and the model section that rebuilds the graph without the model
        com.fasterxml.jackson.databind.JsonNode reference = new ObjectMapper().readTree(toy.resolve("reference_circuit.json").toFile());
        assertEquals(false, reference.get("cfg").get("parallel_attn_mlp").asBoolean(true));
        assertTrue(reference.get("model").path("parallel_attn_mlp").isBoolean(), reference.get("model").toString());
        // `render toy/reference_circuit.json` draws into the folder: that is the toy's picture, not a discover run
        CliRun drawn = CliRun.run("render", toy.resolve("reference_circuit.json").toString(), "--format", "html");
        assertEquals(0, drawn.code(), drawn.err());
        assertTrue(Files.exists(toy.resolve("report.html")));
        CliRun again = CliRun.run("train-toy", "--task", "ioi", "--steps", "2", "--layers", "1", "--out", toy.toString());
        assertEquals(0, again.code(), again.err());
        assertTrue(again.out().contains(toy + " holds an earlier train-toy run: it stays as it is until this run is "
                + "written"), again.out());
        assertTrue(again.out().contains("moved them into " + toy + ", replacing the earlier train-toy run's "
                + "config.json, model.safetensors, task.jsonl, training.json, reference_circuit.json, report.html"),
                again.out());
        assertFalse(Files.exists(toy.resolve("report.html")), "the earlier reference circuit's picture went with it");
        assertEquals(2, new ObjectMapper().readTree(toy.resolve("training.json").toFile()).get("steps").asInt());
        assertTrue(new ObjectMapper().readTree(toy.resolve("reference_circuit.json").toFile()).get("method")
                .get("command").asText().contains("--steps 2"));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of("toy"), files.map(f -> f.getFileName().toString()).toList(), "no staging folder is left");
        }
    }
}

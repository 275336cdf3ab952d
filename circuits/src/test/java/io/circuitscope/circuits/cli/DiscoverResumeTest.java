package io.circuitscope.circuits.cli;

import static io.circuitscope.circuits.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.circuitscope.circuits.run.ProgressFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A discover run that stops part-way through ACDC (here: an exception right after a progress record, as a kill right
 * after the file was written) leaves progress.json and no circuit.json; the same command again goes on from it,
 * says so, and writes the circuit the uninterrupted run writes, every edge's score and flag the same. A progress file
 * of another run, one edited or damaged, or one that cannot be read, is said to be ignored and the run starts afresh.
 */
class DiscoverResumeTest {
    @TempDir
    Path dir;

    @AfterEach
    void restoreSeams() {
        DiscoverCommand.progressSeconds = ProgressFile.INTERVAL_SECONDS;
        DiscoverCommand.journalSeam = f -> f;
    }

    private static List<String> command(String method, Path out, String... more) {
        List<String> args = new ArrayList<>(List.of("discover", "--model", "planted:ioi", "--method", method,
                "--metric", "logit-diff", "--no-validate", "--no-render", "--quiet", "--out", out.toString()));
        args.addAll(List.of(more));
        return args;
    }

    private static JsonNode circuit(Path out) throws Exception {
        return new ObjectMapper().readTree(out.resolve("circuit.json").toFile());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"acdc", "pipeline"})
    void aStoppedRunGoesOnFromItsProgressAndEndsAsTheUninterruptedOne(String method) throws Exception {
        Path whole = dir.resolve("whole");
        CliRun uninterrupted = run(command(method, whole).toArray(String[]::new));
        assertEquals(0, uninterrupted.code(), uninterrupted.err());
        assertFalse(Files.exists(whole.resolve(DiscoverCommand.PROGRESS)), "removed once circuit.json is written");

        Path out = dir.resolve("stopped");
        DiscoverCommand.progressSeconds = 0;
        DiscoverCommand.journalSeam = f -> new StoppingJournal(f, 7);
        CliRun stopped = run(command(method, out).toArray(String[]::new));
        assertNotEquals(0, stopped.code(), stopped.out());
        assertTrue(stopped.err().contains("stopped on purpose"), stopped.err());
        assertTrue(Files.exists(out.resolve(DiscoverCommand.PROGRESS)), "the progress is kept");
        assertFalse(Files.exists(out.resolve("circuit.json")));

        DiscoverCommand.journalSeam = f -> f;
        CliRun resumed = run(command(method, out).toArray(String[]::new));
        assertEquals(0, resumed.code(), resumed.err());
        assertTrue(resumed.err().contains("note: resuming ACDC from " + out.resolve(DiscoverCommand.PROGRESS)),
                resumed.err());
        JsonNode expected = circuit(whole);
        JsonNode got = circuit(out);
        assertEquals(expected.get("edges"), got.get("edges"), "every edge's score and flag");
        assertEquals(expected.get("nodes"), got.get("nodes"));
        assertEquals(expected.get("summary").get("faithfulness"), got.get("summary").get("faithfulness"));
        assertTrue(got.get("summary").get("resumed").get("edges_decided_before").asLong() > 0, got.get("summary").toString());
        assertTrue(got.get("summary").get("forward_passes").asLong() < expected.get("summary").get("forward_passes").asLong(),
                "the resumed run redid less");
        assertFalse(expected.get("summary").has("resumed"));
        assertFalse(Files.exists(out.resolve(DiscoverCommand.PROGRESS)), "removed once circuit.json is written");
    }

    /**
     * Exhaustive patching records its effects after every destination layer: a run of method exact, or a pipeline
     * scored by it, stopped in its patching or (the pipeline) in its ACDC, goes on from them and ends as the
     * uninterrupted run; the pipeline stopped in ACDC patches nothing again.
     */
    @ParameterizedTest(name = "{0}, stopped after record {1}")
    @org.junit.jupiter.params.provider.CsvSource({"exact, 2", "pipeline, 2", "pipeline, 7"})
    void aStoppedExhaustivePatchingGoesOnFromItsEffects(String method, int stopAfter) throws Exception {
        String[] more = method.equals("pipeline") ? new String[] {"--scorer", "exact", "--candidates", "100"}
                : new String[] {"--edges", "20"};
        Path whole = dir.resolve("whole-" + method + stopAfter);
        CliRun uninterrupted = run(command(method, whole, more).toArray(String[]::new));
        assertEquals(0, uninterrupted.code(), uninterrupted.err());
        assertFalse(Files.exists(whole.resolve(DiscoverCommand.PROGRESS)), "removed once circuit.json is written");

        Path out = dir.resolve("stopped-" + method + stopAfter);
        DiscoverCommand.progressSeconds = 0;
        DiscoverCommand.journalSeam = f -> new StoppingJournal(f, stopAfter);
        CliRun stopped = run(command(method, out, more).toArray(String[]::new));
        assertTrue(stopped.err().contains("stopped on purpose"), stopped.err());
        assertTrue(Files.exists(out.resolve(DiscoverCommand.PROGRESS)), "the progress is kept");

        DiscoverCommand.journalSeam = f -> f;
        CliRun resumed = run(command(method, out, more).toArray(String[]::new));
        assertEquals(0, resumed.code(), resumed.err());
        assertTrue(resumed.err().contains("note: resuming exact patching from " + out.resolve(DiscoverCommand.PROGRESS)),
                resumed.err());
        boolean inAcdc = stopAfter == 7;
        assertEquals(inAcdc, resumed.err().contains("note: resuming ACDC from"), resumed.err());
        JsonNode expected = circuit(whole);
        JsonNode got = circuit(out);
        assertEquals(expected.get("edges"), got.get("edges"), "every edge's score and flag");
        assertEquals(expected.get("nodes"), got.get("nodes"));
        JsonNode summary = got.get("summary");
        long before = summary.get("resumed").get("edges_patched_exactly_before").asLong();
        assertTrue(before > 0, summary.toString());
        if (inAcdc) {
            assertEquals(expected.get("summary").get("edges_total").asLong(), before, "every edge was patched before");
        }
        assertTrue(summary.get("forward_passes").asLong() < expected.get("summary").get("forward_passes").asLong(),
                "the resumed run redid less");
        assertFalse(Files.exists(out.resolve(DiscoverCommand.PROGRESS)), "removed once circuit.json is written");
    }

    @Test
    void theProgressOfAnotherRunOrAnUnreadableOneIsIgnoredAndSaidToBe() throws Exception {
        Path out = dir.resolve("other");
        DiscoverCommand.progressSeconds = 0;
        DiscoverCommand.journalSeam = f -> new StoppingJournal(f, 3);
        assertNotEquals(0, run(command("acdc", out).toArray(String[]::new)).code());
        DiscoverCommand.journalSeam = f -> f;
        CliRun otherTau = run(command("acdc", out, "--tau", "0.02").toArray(String[]::new));
        assertEquals(0, otherTau.code(), otherTau.err());
        assertTrue(otherTau.err().contains("not resuming from") && otherTau.err().contains("fingerprint.settings.tau: "
                + "found 0.01, this run has 0.02"), otherTau.err());
        assertFalse(otherTau.err().contains("note: resuming"), otherTau.err());
        assertFalse(circuit(out).get("summary").has("resumed"));

        // a file edited by hand (or damaged) is no state to go on from: its checksum says so
        Path edited = dir.resolve("edited");
        DiscoverCommand.journalSeam = f -> new StoppingJournal(f, 3);
        assertNotEquals(0, run(command("acdc", edited).toArray(String[]::new)).code());
        DiscoverCommand.journalSeam = f -> f;
        Path file = edited.resolve(DiscoverCommand.PROGRESS);
        com.fasterxml.jackson.databind.node.ObjectNode root =
                (com.fasterxml.jackson.databind.node.ObjectNode) new ObjectMapper().readTree(file.toFile());
        root.put("current", "123.0");
        new ObjectMapper().writeValue(file.toFile(), root);
        CliRun checked = run(command("acdc", edited).toArray(String[]::new));
        assertEquals(0, checked.code(), checked.err());
        assertTrue(checked.err().contains("does not match its checksum (edited or damaged)"), checked.err());
        assertFalse(circuit(edited).get("summary").has("resumed"));

        Path garbled = dir.resolve("garbled");
        Files.createDirectories(garbled);
        Files.writeString(garbled.resolve(DiscoverCommand.PROGRESS), "{\"schema\": \"circuitscope.progress/1\", ");
        CliRun afresh = run(command("acdc", garbled).toArray(String[]::new));
        assertEquals(0, afresh.code(), afresh.err());
        assertTrue(afresh.err().contains("not resuming from") && afresh.err().contains("not readable JSON"), afresh.err());
        assertFalse(Files.exists(garbled.resolve(DiscoverCommand.PROGRESS)));

        // a method that runs no ACDC leaves no progress file, and removes a stale one once its circuit is written
        Path eap = dir.resolve("eap");
        Files.createDirectories(eap);
        Files.writeString(eap.resolve(DiscoverCommand.PROGRESS), "{}");
        CliRun scorer = run(command("eap", eap).toArray(String[]::new));
        assertEquals(0, scorer.code(), scorer.err());
        assertFalse(scorer.err().contains("resuming"), scorer.err());
        assertTrue(scorer.err().contains("note: removed " + eap.resolve(DiscoverCommand.PROGRESS)
                + ", an interrupted run's progress"), scorer.err());
        assertFalse(Files.exists(eap.resolve(DiscoverCommand.PROGRESS)));
    }

    @Test
    void aFolderNamedAsTheProgressFileCostsNoResult() throws Exception {
        // nothing can be resumed from it nor written over it: the run says so, goes on unrecorded and writes its circuit
        Path out = dir.resolve("folder");
        Path folder = Files.createDirectories(out.resolve(DiscoverCommand.PROGRESS));
        Files.writeString(folder.resolve("mine.txt"), "not the run's");
        DiscoverCommand.progressSeconds = 0;
        CliRun r = run(command("acdc", out).toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("note: not resuming from " + out.resolve(DiscoverCommand.PROGRESS)
                + ": it is not a file (a folder)"), r.err());
        assertTrue(Files.exists(out.resolve("circuit.json")));
        assertTrue(Files.exists(folder.resolve("mine.txt")), "the folder is left as it was");
    }

    @Test
    void theTemporaryAKillDuringAWriteLeftIsRemovedWithTheProgress() throws Exception {
        // kill -9 while the progress file was being written leaves its temporary beside it
        Path out = Files.createDirectories(dir.resolve("leftover"));
        Path leftover = Files.writeString(out.resolve("." + DiscoverCommand.PROGRESS + ".123456789.tmp"), "{\"sche");
        Path other = Files.writeString(out.resolve(".notes.txt.1.tmp"), "not the progress file's");
        CliRun r = run(command("acdc", out).toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        assertFalse(Files.exists(leftover), "removed once circuit.json is written");
        assertTrue(Files.exists(other), "another file's temporary is left alone");
    }
}

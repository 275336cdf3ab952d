package io.circuitscope.circuits.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.circuitscope.circuits.cli.CliRun;
import io.circuitscope.circuits.cli.StoppingJournal;
import io.circuitscope.circuits.run.ProgressFile;
import io.circuitscope.core.io.TensorDtype;
import io.circuitscope.circuits.cli.RandomTaskFile;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A batch run that stops part-way through ACDC keeps its progress in its own folder; the batch run again redoes that
 * run from the progress, says so in its log, and writes the circuit an uninterrupted batch writes.
 */
class BatchAcdcResumeTest {
    @TempDir
    Path dir;

    @AfterEach
    void restoreSeams() {
        BatchRunner.progressSeconds = ProgressFile.INTERVAL_SECONDS;
        BatchRunner.journalSeam = f -> f;
    }

    @Test
    void aRunStoppedInAcdcGoesOnFromItsProgressWhenTheBatchRunsAgain() throws Exception {
        TinyCheckpoint.gpt2(51, 2, 2, 4, 23, 8, false).write(dir.resolve("model"), TensorDtype.F32);
        RandomTaskFile.write(dir.resolve("task.jsonl"), "t", 4, 4, 5, 23);
        Path whole = plan("whole");
        CliRun first = CliRun.run("batch", whole.toString(), "--quiet");
        assertEquals(0, first.code(), first.out() + first.err());

        Path cut = plan("cut");
        BatchRunner.progressSeconds = 0;
        BatchRunner.journalSeam = f -> new StoppingJournal(f, 5);
        CliRun stopped = CliRun.run("batch", cut.toString(), "--quiet");
        Path runFolder = onlyRun(dir.resolve("runs/cut"));
        assertTrue(Files.exists(runFolder.resolve(ProgressFile.NAME)), stopped.out() + stopped.err());
        assertFalse(Files.exists(runFolder.resolve("circuit.json")));

        BatchRunner.journalSeam = f -> f;
        CliRun again = CliRun.run("batch", cut.toString(), "--quiet");
        assertEquals(0, again.code(), again.out() + again.err());
        assertTrue((again.out() + again.err()).contains("note: resuming ACDC from"), again.out() + again.err());
        JsonNode expected = new ObjectMapper().readTree(onlyRun(dir.resolve("runs/whole")).resolve("circuit.json").toFile());
        JsonNode got = new ObjectMapper().readTree(runFolder.resolve("circuit.json").toFile());
        assertEquals(expected.get("edges"), got.get("edges"));
        assertTrue(got.get("summary").has("resumed"), got.get("summary").toString());
        assertFalse(Files.exists(runFolder.resolve(ProgressFile.NAME)));
    }

    private Path plan(String out) throws Exception {
        Path plan = dir.resolve(out + ".json");
        Files.writeString(plan, "{\"out\": \"runs/" + out + "\", \"models\": [\"model\"], \"tasks\": [\"task.jsonl\"],"
                + " \"methods\": [\"acdc\"], \"defaults\": {\"metric\": \"logit-diff\", \"tau\": 0.001}}");
        return plan;
    }

    /** The one run's folder in a batch's output. */
    private static Path onlyRun(Path runs) throws Exception {
        try (Stream<Path> files = Files.list(runs)) {
            List<Path> folders = files.filter(Files::isDirectory).filter(p -> !p.getFileName().toString().startsWith("."))
                    .filter(p -> !p.getFileName().toString().equals("superseded")).toList();
            assertEquals(1, folders.size(), folders.toString());
            return folders.get(0);
        }
    }
}

package io.circuitscope.circuits.cli;

import static io.circuitscope.circuits.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A --task (or make-task's --from-csv) that names no file was found only when read, after the model was loaded: on a hub id that is a
 * download, on a local model a load, before 'cannot read task file: no such file'. The model here is a folder without
 * config.json, so whichever is checked first names its error. (validate's --circuit is still read after the task, so
 * that the task's errors come first.)
 */
class TaskFileBeforeModelTest {
    @TempDir
    Path dir;

    @Test
    void aMissingTaskIsNamedBeforeTheModelIsLoaded() throws Exception {
        Path model = Files.createDirectories(dir.resolve("not-a-model"));
        String missing = dir.resolve("typo.jsonl").toString();
        String[][] commands = {
            {"discover", "--quiet", "--out", dir.resolve("run").toString()},
            {"compare-scorers", "--quiet"},
            {"patch"}, {"lens"}, {"dla"}, {"heads", "--score", "induction"},
            {"validate", "--circuit", dir.resolve("circuit.json").toString()},
        };
        for (String[] command : commands) {
            String[] args = new String[command.length + 4];
            System.arraycopy(command, 0, args, 0, command.length);
            System.arraycopy(new String[] {"--model", model.toString(), "--task", missing}, 0, args, command.length, 4);
            CliRun r = run(args);
            assertEquals(1, r.code(), command[0] + ": " + r.out());
            assertTrue(r.err().contains(missing + ": cannot read task file: no such file"), command[0] + ": " + r.err());
        }
        String csv = dir.resolve("typo.csv").toString();
        CliRun r = run("make-task", "--from-csv", csv, "--model", model.toString(), "--out", dir.resolve("t.jsonl").toString());
        assertEquals(1, r.code(), r.out());
        assertTrue(r.err().contains(csv + ": cannot read CSV file: no such file"), r.err());
    }
}

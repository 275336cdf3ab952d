package io.circuitscope.circuits.cli;

import static io.circuitscope.circuits.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Prompts of unequal lengths: only a command that can align them suggests how (dla, validate, ... said --align). */
class AlignHintTest {
    @TempDir
    static Path dir;
    static Path task;
    static String lengths;

    @BeforeAll
    static void writeTask() throws Exception {
        task = dir.resolve("unequal.jsonl");
        Files.writeString(task, "{\"clean_ids\": [1, 2, 3, 4], \"corrupt_ids\": [1, 2, 3], "
                + "\"targets\": [{\"position\": -1, \"correct_id\": 4, \"wrong_id\": 5}]}\n");
        lengths = task + ":1: clean prompt is 4 tokens but corrupt is 3 tokens; make them the same length";
    }

    @Test
    void commandsWithoutAlignDoNotSuggestIt() {
        String[][] commands = {
            {"dla", "--model", "planted:ioi", "--task", task.toString()},
            {"patch", "--model", "planted:ioi", "--task", task.toString()},
            {"lens", "--model", "planted:ioi", "--task", task.toString()},
            {"heads", "--model", "planted:ioi", "--task", task.toString(), "--score", "induction"},
            {"validate", "--model", "planted:ioi", "--task", task.toString(), "--circuit", dir.resolve("c.json").toString()},
        };
        for (String[] command : commands) {
            CliRun r = run(command);
            assertEquals(1, r.code(), command[0] + ": " + r.err());
            assertTrue(r.err().startsWith("error: " + lengths), command[0] + ": " + r.err());
            assertFalse(r.err().contains("pass --align"), command[0] + ": " + r.err());
        }
        assertTrue(run(commands[4]).err().contains("same length; a circuit found with discover --align has the aligned "
                + "task beside it (task.jsonl)"));
    }

    @Test
    void discoverAndCompareScorersSuggestTheirOption() {
        for (String command : new String[] {"discover", "compare-scorers"}) {
            CliRun r = run(command, "--model", "planted:ioi", "--task", task.toString(), "--out", dir.resolve(command).toString());
            assertEquals(1, r.code(), command + ": " + r.err());
            assertTrue(r.err().startsWith("error: " + lengths + " or pass --align (left-pads the shorter)"), r.err());
        }
    }

    @Test
    void aBatchRunSuggestsThePlansSetting() throws Exception {
        Path plan = dir.resolve("plan.yaml");
        Files.writeString(plan, String.join("\n", "out: runs", "models: [planted:ioi]", "tasks: [unequal.jsonl]",
                "methods: [acdc]", ""));
        CliRun r = run("batch", plan.toString(), "--quiet");
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(Files.readString(dir.resolve("runs").resolve("manifest.json")).contains(
                "make them the same length or set align: true in the plan (left-pads the shorter)"), r.out());
    }
}

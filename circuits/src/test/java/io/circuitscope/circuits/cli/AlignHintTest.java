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
        // validate refuses a --circuit that names no file before it reads the task: give it one (the task fails first)
        Files.writeString(dir.resolve("c.json"), "{}");
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

    /** Pairs padded by different amounts put different tokens at one position: --by-position says so. */
    @Test
    void discoverByPositionNotesRowsPaddedByDifferentAmounts() throws Exception {
        String row = "{\"clean_ids\": %s, \"corrupt_ids\": %s, "
                + "\"targets\": [{\"position\": -1, \"correct_id\": 21, \"wrong_id\": 23}]}\n";
        Path mixed = dir.resolve("mixed.jsonl");
        Files.writeString(mixed, String.format(java.util.Locale.ROOT, row, "[0,15,18,21,0,15,18]", "[0,13,20,23,0,15,18]")
                + String.format(java.util.Locale.ROOT, row, "[15,18,21,0,15,18]", "[0,13,20,23,0,15,18]")
                + String.format(java.util.Locale.ROOT, row, "[16,19,21,0,16,19]", "[0,13,20,23,0,16,19]")
                + String.format(java.util.Locale.ROOT, row, "[0,14,17,21,0,14,17]", "[14,17,0,14,17]"));
        CliRun r = run("discover", "--model", "planted:induction", "--task", mixed.toString(), "--align", "--by-position",
                "--out", dir.resolve("mixed").toString(), "--quiet", "--no-render", "--no-validate");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("note: --align padded 3 of 4 rows (clean by 1 position: 2 rows, corrupt by 2 "
                + "positions: 1 row); by position, position p names different tokens in those rows"), r.err());

        // every row padded alike: positions line up, no note
        Path alike = dir.resolve("alike.jsonl");
        Files.writeString(alike, String.format(java.util.Locale.ROOT, row, "[15,18,21,0,15,18]", "[0,13,20,23,0,15,18]")
                + String.format(java.util.Locale.ROOT, row, "[16,19,21,0,16,19]", "[0,13,20,23,0,16,19]"));
        CliRun same = run("discover", "--model", "planted:induction", "--task", alike.toString(), "--align",
                "--by-position", "--out", dir.resolve("alike").toString(), "--quiet", "--no-render", "--no-validate");
        assertEquals(0, same.code(), same.err());
        assertFalse(same.err().contains("--align padded"), same.err());

        // compare-scorers patches the same position-split edges: the same note
        CliRun compared = run("compare-scorers", "--model", "planted:induction", "--task", mixed.toString(), "--align",
                "--by-position", "--scorers", "eap", "--top-edges", "5", "--top-nodes", "2", "--exact-edges", "5", "--quiet");
        assertEquals(0, compared.code(), compared.err());
        assertTrue(compared.err().contains("note: --align padded 3 of 4 rows (clean by 1 position: 2 rows, corrupt by 2 "
                + "positions: 1 row); by position, position p names different tokens in those rows"), compared.err());
        CliRun comparedAlike = run("compare-scorers", "--model", "planted:induction", "--task", alike.toString(), "--align",
                "--by-position", "--scorers", "eap", "--top-edges", "5", "--top-nodes", "2", "--exact-edges", "5", "--quiet");
        assertEquals(0, comparedAlike.code(), comparedAlike.err());
        assertFalse(comparedAlike.err().contains("--align padded"), comparedAlike.err());
    }
}

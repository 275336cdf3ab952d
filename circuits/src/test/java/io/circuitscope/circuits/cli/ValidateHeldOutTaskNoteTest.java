package io.circuitscope.circuits.cli;

import static io.circuitscope.circuits.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * validate notes a task other than the one the circuit was found on. For a held-out task of another size it blamed
 * the tokenization ("its token ids differ; for the same text, check --no-bos"), the wrong cause; the note now says the
 * circuit is judged on other prompts, and keeps the tokenization hint for a task of the same size.
 */
class ValidateHeldOutTaskNoteTest {
    @TempDir
    Path dir;

    @Test
    void aHeldOutTaskIsNotBlamedOnTheTokenization() throws Exception {
        Path out = dir.resolve("run");
        CliRun d = run("discover", "--method", "eap", "--metric", "logit-diff", "--examples", "8", "--out", out.toString(),
                "--no-render", "--quiet", "--no-validate");
        assertEquals(0, d.code(), d.err());
        List<String> lines = Files.readAllLines(out.resolve("task.jsonl"));
        Path half = Files.write(dir.resolve("half.jsonl"), lines.subList(0, 4));
        CliRun v = run("validate", "--model", "planted:ioi", "--task", half.toString(), "--circuit",
                out.resolve("circuit.json").toString(), "--bootstrap", "10", "--completeness-samples", "0", "--quiet");
        assertEquals(0, v.code(), v.err());
        assertTrue(v.err().contains("is not the task the circuit was found on (4 examples where it was found on 8: a "
                + "held-out task judges it on other prompts)"), v.err());
        assertFalse(v.err().contains("--no-bos"), v.err());
    }
}

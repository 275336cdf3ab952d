package io.circuitscope.circuits.cli;

import static io.circuitscope.circuits.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.io.TensorDtype;
import io.circuitscope.core.task.Example;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.task.TaskFile;
import io.circuitscope.core.testing.TinyCheckpoint;
import io.circuitscope.core.testing.TinyTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** make-task --generator ioi --templates acdc: ACDC's IOI setup from the command line, with or without BOS. */
class MakeTaskTemplatesTest {
    static final int BOS = 0;

    @TempDir
    static Path dir;
    static Path model;

    @BeforeAll
    static void writeModel() throws Exception {
        model = Files.createDirectories(dir.resolve("model"));
        int vocab = TinyTokenizer.write(model, " Mary", " John", " Alice", " Bob", " Tom", " James", " park", " ring");
        TinyCheckpoint checkpoint = TinyCheckpoint.gpt2(43, 1, 2, 8, vocab, 160, false);
        checkpoint.config().put("bos_token_id", BOS);
        checkpoint.write(model, TensorDtype.F32);
    }

    /**
     * make-task --out RUN/task.jsonl replaced a discover or train-toy run's task without a word, leaving its circuit
     * beside a task it was not found on; a task.jsonl with no circuit beside it is still written over.
     */
    @Test
    void theTaskOfARunBesideItsCircuitIsNotWrittenOver() throws Exception {
        for (String circuit : new String[] {"circuit.json", "reference_circuit.json"}) {
            Path run = Files.createDirectories(dir.resolve("run-" + circuit));
            Files.writeString(run.resolve(circuit), "{}");
            Path task = Files.writeString(run.resolve("task.jsonl"), "the run's task\n");
            CliRun r = run("make-task", "--generator", "induction", "--model", model.toString(), "--n", "2", "--out",
                    task.toString());
            assertEquals(2, r.code(), r.err());
            assertTrue(r.err().startsWith("error: --out " + task + " is the task the " + circuit + " beside it was found on"),
                    r.err());
            assertEquals("the run's task\n", Files.readString(task));
        }
        Path alone = Files.writeString(Files.createDirectories(dir.resolve("alone")).resolve("task.jsonl"), "old\n");
        CliRun r = run("make-task", "--generator", "induction", "--model", model.toString(), "--n", "2", "--out",
                alone.toString());
        assertEquals(0, r.code(), r.err());
        assertNotEquals("old\n", Files.readString(alone));
    }

    @Test
    void acdcTemplatesWithoutBosGiveOneLengthAndNoBosToken() throws Exception {
        Path out = dir.resolve("acdc.jsonl");
        CliRun r = run("make-task", "--generator", "ioi", "--templates", "acdc", "--no-bos", "--model",
                model.toString(), "--n", "6", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("wrote 6 ioi examples") && r.out().contains("place not one token=9"), r.out());
        assertFalse(r.out().contains("note:"), r.out());
        Task task = TaskFile.read(out, null, false);
        int length = task.examples().get(0).clean().length;
        for (Example e : task.examples()) {
            assertEquals(length, e.clean().length, "ACDC's prompts share one length");
            assertNotEquals(BOS, e.clean()[0], "--no-bos: no BOS token first");
        }

        r = run("make-task", "--generator", "ioi", "--templates", "acdc", "--model", model.toString(), "--n", "6",
                "--out", dir.resolve("acdc-bos.jsonl").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("note: the prompts begin with the BOS token; ACDC's have none (--no-bos)"),
                r.out());
        assertEquals(BOS, TaskFile.read(dir.resolve("acdc-bos.jsonl"), null, false).examples().get(0).clean()[0]);
    }

    @Test
    void templatesIsRefusedWhereItDoesNotApplyAndWhenMisspelled() throws Exception {
        String out = dir.resolve("x.jsonl").toString();
        CliRun r = run("make-task", "--generator", "induction", "--templates", "acdc", "--model", model.toString(),
                "--out", out);
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--templates applies to --generator ioi only, not induction"), r.err());
        r = run("make-task", "--generator", "ioi", "--templates", "paper", "--model", model.toString(), "--out", out);
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--templates: unknown IOI templates 'paper' (known: wang, acdc)"), r.err());
        Path csv = Files.writeString(dir.resolve("t.csv"), "clean,corrupted,correct_idx\nMary,John,1\n");
        r = run("make-task", "--from-csv", csv.toString(), "--templates", "acdc", "--model", model.toString(),
                "--out", out);
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--templates does not apply to --from-csv"), r.err());
        assertFalse(Files.exists(Path.of(out)));
    }
}

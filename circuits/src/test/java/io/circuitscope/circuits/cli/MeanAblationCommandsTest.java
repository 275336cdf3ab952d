package io.circuitscope.circuits.cli;

import static io.circuitscope.circuits.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.io.TensorDtype;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mean ablation averages over the examples of one prompt length: an example alone at its length was "ablated"
 * with its own activations (every effect 0.0000). The commands refuse that as a usage error and note small groups.
 */
class MeanAblationCommandsTest {
    @TempDir
    static Path dir;
    static Path model;
    static Path mixed;
    static Path three;

    @BeforeAll
    static void write() throws Exception {
        model = TinyCheckpoint.gpt2(31, 2, 2, 4, 23, 8, false).write(dir.resolve("model"), TensorDtype.F32);
        three = RandomTaskFile.write(dir.resolve("three.jsonl"), "three", 2, 3, 5, 23);
        Path one = RandomTaskFile.write(dir.resolve("one.jsonl"), "one", 3, 1, 6, 23);
        mixed = dir.resolve("mixed.jsonl");
        Files.writeString(mixed, Files.readString(three) + Files.readString(one));
    }

    @Test
    void patchRefusesAnExampleAloneAtItsLengthBeforeAnyPass() {
        for (String[] how : new String[][] {{"--nodes", "resid"}, {"--receivers", "logits"}, {"--edges"}}) {
            String[] args = new String[] {"patch", "--model", model.toString(), "--task", mixed.toString(),
                    "--corruption", "mean", "--direction", "noise"};
            args = java.util.stream.Stream.concat(java.util.Arrays.stream(args), java.util.Arrays.stream(how))
                    .toArray(String[]::new);
            CliRun r = run(args);
            assertEquals(2, r.code(), String.join(" ", how) + ": " + r.err());
            assertTrue(r.err().contains("example 4 is alone at its length") && r.err().contains(
                    "5 tokens: 3 (examples 1, 2, 3); 6 tokens: 1 (example 4)")
                    && r.err().contains("--corruption resample"), r.err());
            assertTrue(r.out().isEmpty(), r.out());
        }
    }

    @Test
    void patchNotesAMeanOverOnlyAFewExamples() {
        CliRun r = run("patch", "--model", model.toString(), "--task", three.toString(), "--corruption", "mean",
                "--direction", "noise", "--nodes", "resid");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("note: --corruption mean: the mean at prompt length 5 is over only 3 examples"),
                r.err());
        r = run("patch", "--model", model.toString(), "--task", three.toString(), "--nodes", "resid");
        assertFalse(r.err().contains("note:"), "resampling takes no mean: " + r.err());
    }

    @Test
    void discoverRefusesAnExampleAloneAtItsLength() {
        CliRun r = run("discover", "--model", model.toString(), "--task", mixed.toString(), "--ablation", "mean",
                "--method", "eap", "--metric", "logit-diff", "--no-render", "--out", dir.resolve("run").toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--ablation mean averages") && r.err().contains("example 4 is alone"), r.err());
        assertFalse(Files.exists(dir.resolve("run")));
    }
}

package io.circuitscope.circuits.cli;

import static io.circuitscope.circuits.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.io.TensorDtype;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code patch --corruption noise} perturbs each example's noise_positions only: an example without them would run
 * uncorrupted and dilute every effect, so the command refuses it, naming the file and the example.
 */
class NoiseCorruptionCommandTest {
    @TempDir
    static Path dir;
    static Path model;
    static Path plain;

    @BeforeAll
    static void write() throws Exception {
        model = TinyCheckpoint.gpt2(31, 2, 2, 4, 23, 8, false).write(dir.resolve("model"), TensorDtype.F32);
        plain = RandomTaskFile.write(dir.resolve("plain.jsonl"), "plain", 2, 3, 5, 23);
    }

    /** The task's lines, noise positions 1 and 2 added to the examples (0-based) listed. */
    private static Path withNoisePositions(String name, List<Integer> examples) throws Exception {
        List<String> lines = Files.readAllLines(plain);
        for (int i : examples) {
            String line = lines.get(i);
            lines.set(i, line.substring(0, line.lastIndexOf('}')) + ",\"noise_positions\":[1,2]}");
        }
        Path file = dir.resolve(name);
        Files.writeString(file, lines.stream().collect(Collectors.joining("\n", "", "\n")));
        return file;
    }

    private static CliRun patch(Path task) {
        return run("patch", "--model", model.toString(), "--task", task.toString(), "--corruption", "noise",
                "--direction", "noise", "--nodes", "resid");
    }

    @Test
    void anExampleWithoutNoisePositionsIsRefusedNamingFileAndExample() throws Exception {
        Path partial = withNoisePositions("partial.jsonl", List.of(0, 2));
        CliRun r = patch(partial);
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains(partial + ": example 2 has no noise_positions; --corruption noise"), r.err());
        assertTrue(r.out().isEmpty(), r.out());
        CliRun none = patch(plain);
        assertEquals(2, none.code(), none.err());
        assertTrue(none.err().contains(plain + ": example 1 has no noise_positions"), none.err());
    }

    @Test
    void everyExampleWithNoisePositionsRuns() throws Exception {
        CliRun r = patch(withNoisePositions("all.jsonl", List.of(0, 1, 2)));
        assertEquals(0, r.code(), r.err());
    }
}

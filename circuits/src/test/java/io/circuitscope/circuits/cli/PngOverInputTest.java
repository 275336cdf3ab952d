package io.circuitscope.circuits.cli;

import static io.circuitscope.circuits.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code patch}, {@code heads} and {@code dla} write {@code --png} after their analysis: a --png naming the task file
 * they read replaced it with the heatmap (exit 0, the task lost). Each refuses it before any work, the task untouched.
 */
class PngOverInputTest {
    @TempDir
    static Path dir;
    static Path task;
    static byte[] original;

    @BeforeAll
    static void write() throws Exception {
        task = dir.resolve("task.jsonl");
        io.circuitscope.core.task.TaskFile.write(task,
                io.circuitscope.core.planted.PlantedModels.byArgument("planted:ioi").task(0, 8));
        original = Files.readAllBytes(task);
    }

    @Test
    void aPngNamingTheTaskIsRefusedAndTheTaskKept() throws Exception {
        Path link = dir.resolve("link.png");
        Files.createSymbolicLink(link, task);
        for (Path png : new Path[] {task, link}) {
            for (String[] command : new String[][] {
                    {"patch", "--model", "planted:ioi", "--task", task.toString(), "--png", png.toString()},
                    {"heads", "--model", "planted:ioi", "--task", task.toString(), "--score", "induction", "--png",
                            png.toString()},
                    {"dla", "--model", "planted:ioi", "--task", task.toString(), "--png", png.toString()}}) {
                CliRun r = run(command);
                assertEquals(2, r.code(), command[0] + " " + png + ": " + r.err());
                assertTrue(r.err().contains("name the same file: the output would replace the task; give --png another "
                        + "file"), r.err());
                assertArrayEquals(original, Files.readAllBytes(task), command[0] + " left the task as it was");
            }
        }
    }

    @Test
    void aPngNamingTheModelFileIsRefusedAndTheModelKept() throws Exception {
        Path bin = io.circuitscope.core.testing.TinyCheckpoint.llamaFamily("llama", 4, 2, 4, 2, 4, 16, 24, 33, 32, true,
                false).writeLlama2c(dir.resolve("m.bin"));
        byte[] weights = Files.readAllBytes(bin);
        CliRun r = run("patch", "--model", bin.toString(), "--task", task.toString(), "--png", bin.toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("name the same file: the output would replace the model; give --png another file"),
                r.err());
        assertArrayEquals(weights, Files.readAllBytes(bin));
    }
}

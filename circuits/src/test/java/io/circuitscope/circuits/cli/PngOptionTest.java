package io.circuitscope.circuits.cli;

import static io.circuitscope.circuits.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.circuits.render.HeatmapPng;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * --png of patch, heads and dla: a path that cannot be written was found after the work, with a Java stack trace
 * and "Can't create an ImageOutputStream!" that named no file; a missing folder was not created.
 */
class PngOptionTest {
    @TempDir
    Path dir;

    private static final String[][] COMMANDS = {
        {"patch", "--model", "planted:ioi", "--nodes", "heads"},
        {"heads", "--model", "planted:induction", "--score", "induction"},
        {"dla", "--model", "planted:ioi"},
    };

    @Test
    void aPngUnderAFileIsRefusedBeforeTheWorkNamingTheFile() throws Exception {
        Path notAFolder = Files.writeString(dir.resolve("plain-file"), "x");
        Path png = notAFolder.resolve("x.png");
        for (String[] command : COMMANDS) {
            CliRun r = run(with(command, "--png", png.toString()));
            assertEquals(2, r.code(), command[0] + ": " + r.err());
            assertEquals("", r.out(), command[0] + " stops before the work");
            assertTrue(r.err().startsWith("error: --png " + png + ": cannot be created: " + notAFolder
                    + " is a file, not a folder"), r.err());
            assertFalse(r.err().contains("\tat ") || r.err().contains("ImageOutputStream"), r.err());
        }
    }

    @Test
    void aPngThatIsAFolderIsRefused() {
        for (String[] command : COMMANDS) {
            CliRun r = run(with(command, "--png", dir.toString()));
            assertEquals(2, r.code(), command[0] + ": " + r.err());
            assertTrue(r.err().startsWith("error: --png " + dir + ": is a folder; give a file name"), r.err());
        }
    }

    @Test
    void missingFoldersAreCreatedAsRenderCreatesThem() throws Exception {
        for (String[] command : COMMANDS) {
            Path png = dir.resolve(command[0]).resolve("deeper").resolve("map.png");
            CliRun r = run(with(command, "--png", png.toString()));
            assertEquals(0, r.code(), command[0] + ": " + r.err());
            assertTrue(Files.size(png) > 0, png.toString());
        }
    }

    @Test
    void patchRefusesAPngWithEdgesInsteadOfIgnoringIt() {
        CliRun r = run("patch", "--model", "planted:ioi", "--edges", "--png", dir.resolve("e.png").toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--png draws the effects of nodes by layer; it does not apply to --edges"), r.err());
    }

    @Test
    void aWriteErrorNamesTheFile() throws Exception {
        Path notAFolder = Files.writeString(dir.resolve("plain"), "x");
        Path png = notAFolder.resolve("x.png");
        IOException e = assertThrows(IOException.class,
                () -> HeatmapPng.write(png, new double[][] {{1}}, 16, "t", "columns"));
        assertTrue(e.getMessage().startsWith("cannot write " + png + ": "), e.getMessage());
    }

    private static String[] with(String[] command, String... more) {
        String[] all = java.util.Arrays.copyOf(command, command.length + more.length);
        System.arraycopy(more, 0, all, command.length, more.length);
        return all;
    }
}

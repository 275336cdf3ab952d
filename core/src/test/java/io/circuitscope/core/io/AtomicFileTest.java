package io.circuitscope.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A result file is written whole or not at all, and never into a folder's place. */
class AtomicFileTest {
    @TempDir
    Path dir;

    @Test
    void aFailedWriteLeavesTheOldFileAndNoTemporary() throws Exception {
        Path target = dir.resolve("result.json");
        AtomicFile.write(target, tmp -> Files.writeString(tmp, "old"));
        assertThrows(IOException.class, () -> AtomicFile.write(target, tmp -> {
            Files.writeString(tmp, "half");
            throw new IOException("disk full");
        }));
        assertEquals("old", Files.readString(target));
        assertEquals(1, countFiles(), "no .tmp left behind");
    }

    @Test
    void aFolderIsNotOverwrittenAndNothingIsLeftBehind() throws Exception {
        Path folder = Files.createDirectory(dir.resolve("d1"));
        IOException e = assertThrows(IOException.class, () -> AtomicFile.write(folder, tmp -> Files.writeString(tmp, "x")));
        assertTrue(e.getMessage().endsWith("d1: is a folder; give a file name to write to"), e.getMessage());
        assertEquals(1, countFiles());
        assertTrue(Files.isDirectory(folder));
    }

    private long countFiles() throws IOException {
        try (var files = Files.list(dir)) {
            return files.count();
        }
    }
}

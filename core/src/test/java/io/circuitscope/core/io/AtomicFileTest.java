package io.circuitscope.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
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

    /** Two writers of one file (two batches in one folder; here one inside the other) each have a temporary of its own. */
    @Test
    void twoWritersOfOneFileDoNotShareATemporary() throws Exception {
        Path target = dir.resolve("manifest.json");
        AtomicFile.write(target, outer -> {
            AtomicFile.write(target, inner -> {
                assertNotEquals(outer, inner);
                Files.writeString(inner, "inner");
            });
            Files.writeString(outer, "outer");
        });
        assertEquals("outer", Files.readString(target));
        assertEquals(1, countFiles());
    }

    /** The result gets the permissions of any new file, not those of a temporary only its owner may read. */
    @Test
    void theFileHasTheSamePermissionsAsAnyNewFile() throws Exception {
        Assumptions.assumeTrue(dir.getFileSystem().supportedFileAttributeViews().contains("posix"));
        Path plain = Files.writeString(dir.resolve("plain.txt"), "x");
        Path atomic = dir.resolve("atomic.txt");
        AtomicFile.write(atomic, tmp -> Files.writeString(tmp, "x"));
        assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(atomic));
    }

    @Test
    void leftoversOfAKilledWriterAreRemovedOnRequest() throws Exception {
        Path leftover = Files.writeString(dir.resolve(".manifest.json.123.tmp"), "half");
        Path kept = Files.writeString(dir.resolve("notes.tmp"), "the user's");
        AtomicFile.deleteLeftovers(dir);
        assertFalse(Files.exists(leftover));
        assertTrue(Files.exists(kept));
    }

    private long countFiles() throws IOException {
        try (var files = Files.list(dir)) {
            return files.count();
        }
    }
}

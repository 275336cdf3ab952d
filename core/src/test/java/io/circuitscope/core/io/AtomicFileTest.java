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

    /**
     * A failure on the temporary file named the temporary ("no such file or directory: /proc/.x.svg.1665...tmp" for
     * render --out /proc/x.svg), a file the user never gave. It names the target now, keeping the kind and reason.
     */
    @Test
    void aFailureOnTheTemporaryNamesTheTarget() throws Exception {
        Path target = dir.resolve("full.svg");
        java.nio.file.FileSystemException e = assertThrows(java.nio.file.FileSystemException.class,
                () -> AtomicFile.write(target, tmp -> {
                    throw new java.nio.file.FileSystemException(tmp.toString(), null, "No space left on device");
                }));
        assertEquals(target.toString(), e.getFile());
        assertEquals("No space left on device", e.getReason());
        assertEquals(0, countFiles(), "no .tmp left behind");
        // a failure about another file is passed on as it is
        Path other = dir.resolve("input.json");
        e = assertThrows(java.nio.file.NoSuchFileException.class, () -> AtomicFile.write(target, tmp -> {
            throw new java.nio.file.NoSuchFileException(other.toString());
        }));
        assertEquals(other.toString(), e.getFile());
        // where no file can be made at all (as root, permissions stop nothing; /proc takes no new files)
        Path proc = Path.of("/proc");
        Assumptions.assumeTrue(Files.isDirectory(proc) && Files.exists(proc.resolve("self")), "no /proc here");
        Path inProc = proc.resolve("circuitscope-test.svg");
        e = assertThrows(java.nio.file.FileSystemException.class, () -> AtomicFile.write(inProc,
                tmp -> Files.writeString(tmp, "x")));
        assertEquals(inProc.toString(), e.getFile());
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

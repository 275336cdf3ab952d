package io.circuitscope.core.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;

/**
 * Writes a file whole or not at all: into a temporary sibling, forced to disk, then moved over the target in one step, so
 * that an interrupted run never leaves half a result where a whole one was. The temporary is removed when
 * writing fails, and a target that is a folder is refused before anything is written. Each write has a
 * temporary of its own ({@code .NAME.RANDOM.tmp}): two processes writing one file never write into the same one.
 */
public final class AtomicFile {
    /** Writes the content to the file it is given. */
    @FunctionalInterface
    public interface Writer {
        void write(Path file) throws IOException;
    }

    private static final String SUFFIX = ".tmp";

    private AtomicFile() {
    }

    public static void write(Path target, Writer writer) throws IOException {
        Path absolute = target.toAbsolutePath();
        if (Files.isDirectory(absolute)) {
            throw new IOException(target + ": is a folder; give a file name to write to");
        }
        Files.createDirectories(absolute.getParent());
        Path tmp;
        try {
            tmp = temporary(absolute);
        } catch (FileSystemException e) {
            throw naming(target, e); // "no such file or directory: /proc/.x.svg.1665...tmp" named no file the user gave
        }
        try {
            writer.write(tmp);
            // on disk before the rename: else a crash soon after can leave the new name on an empty file, where
            // the old whole one was
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            Files.move(tmp, absolute, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            forceFolder(absolute.getParent());
        } catch (FileSystemException e) {
            throw tmp.toString().equals(e.getFile()) ? naming(target, e) : e;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * The rename itself on disk: a rename is an entry of the folder, and until the folder is forced a crash can bring
     * back the old file (or none) even though the new one's content was forced. Linux lets a folder be opened to
     * force it; where a platform does not, the rename still happened and only this guarantee is lost, so that is not
     * an error.
     */
    private static void forceFolder(Path folder) {
        try (FileChannel channel = FileChannel.open(folder, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // not supported here (Windows refuses to open a folder); the file is in place
        }
    }

    /**
     * A failure on the temporary file as one on the target the caller named, of the same kind (so "no such file",
     * "permission denied" and a reason such as "No space left on device" read as before), the temporary's own
     * exception as its cause.
     */
    private static FileSystemException naming(Path target, FileSystemException e) {
        String file = target.toString();
        FileSystemException named;
        if (e instanceof NoSuchFileException) {
            named = new NoSuchFileException(file, null, e.getReason());
        } else if (e instanceof AccessDeniedException) {
            named = new AccessDeniedException(file, null, e.getReason());
        } else {
            named = new FileSystemException(file, null, e.getReason() != null ? e.getReason() : e.getClass().getSimpleName());
        }
        named.initCause(e);
        return named;
    }

    /**
     * Removes the temporaries a killed writer left in {@code folder}. Only for a caller that knows no one else writes
     * there now (a batch holding its folder's lock): another writer's temporary looks just the same.
     */
    public static void deleteLeftovers(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            return;
        }
        try (Stream<Path> files = Files.list(folder)) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                if (name.startsWith(".") && name.endsWith(SUFFIX) && Files.isRegularFile(f)) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }

    /** A new empty file beside the target, with the permissions a file created there gets (not createTempFile's 0600). */
    private static Path temporary(Path target) throws IOException {
        String prefix = "." + target.getFileName() + ".";
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            FileAttribute<?> asNewFile = PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-rw-rw-"));
            return Files.createTempFile(target.getParent(), prefix, SUFFIX, asNewFile); // less the umask, as any file
        }
        return Files.createTempFile(target.getParent(), prefix, SUFFIX);
    }
}

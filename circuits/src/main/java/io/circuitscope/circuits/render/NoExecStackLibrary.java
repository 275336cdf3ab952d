package io.circuitscope.circuits.render;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Optional;

/**
 * A copy of J2V8's native library (the bundled Graphviz engine's JavaScript runtime) whose ELF header
 * no longer asks for an executable stack. The library as shipped marks its stack executable, which
 * nothing in it needs: the JVM prints a "might have disabled stack guard" warning when it loads it,
 * and glibc 2.41 and later refuse to load it at all. J2V8 looks on {@code java.library.path} before
 * it unpacks its own copy, so {@code ./circuitscope} puts a folder ending in {@link #FOLDER_TAIL} there and this class writes
 * the corrected copy into it before the engine starts.
 */
final class NoExecStackLibrary {
    static final String FILE_NAME = "libj2v8_linux_x86_64.so";
    /** Where the launcher's folder for the corrected copy ends: below the native cache folder. */
    static final Path FOLDER_TAIL = GraphvizRenderer.NATIVE_CACHE.resolve("noexecstack");
    private static final int PT_GNU_STACK = 0x6474e551;
    private static final int PF_X = 1;

    private NoExecStackLibrary() {
    }

    /**
     * The launcher's folder for the corrected copy: the first {@code java.library.path} entry ending in
     * {@code circuitscope/native/noexecstack}, wherever the launcher found the cache ($XDG_CACHE_HOME or
     * $HOME, which may differ from the JVM's user.home). Empty when no entry is such a folder.
     */
    static Optional<Path> folderOnLibraryPath(String libraryPath) {
        for (String entry : libraryPath.split(java.io.File.pathSeparator)) {
            if (!entry.isBlank()) {
                Path folder = Path.of(entry).toAbsolutePath().normalize();
                if (folder.endsWith(FOLDER_TAIL)) {
                    return Optional.of(folder);
                }
            }
        }
        return Optional.empty();
    }

    /**
     * Writes the corrected copy of the library on the class path into {@code folder}, unless the same
     * bytes are there already. Empty when this platform's library is not on the class path.
     */
    static Optional<Path> install(Path folder) throws IOException {
        byte[] shipped;
        try (InputStream in = NoExecStackLibrary.class.getClassLoader().getResourceAsStream(FILE_NAME)) {
            if (in == null) {
                return Optional.empty();
            }
            shipped = in.readAllBytes();
        }
        byte[] corrected = clearExecutableStack(shipped, FILE_NAME);
        Path target = folder.resolve(FILE_NAME);
        if (Files.isRegularFile(target) && Files.size(target) == corrected.length
                && Arrays.equals(Files.readAllBytes(target), corrected)) {
            return Optional.of(target);
        }
        Files.createDirectories(folder);
        // Another process may be loading the old copy: write beside it and rename over it.
        Path temporary = Files.createTempFile(folder, FILE_NAME, ".part");
        try {
            Files.write(temporary, corrected);
            Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temporary);
        }
        return Optional.of(target);
    }

    /**
     * The same bytes with the execute flag of the PT_GNU_STACK program header cleared (what
     * {@code execstack -c} does). A library without that header is returned unchanged.
     *
     * @param name names the library in the error when the bytes are not a 64-bit little-endian ELF file
     */
    static byte[] clearExecutableStack(byte[] elf, String name) {
        if (elf.length < 64 || elf[0] != 0x7f || elf[1] != 'E' || elf[2] != 'L' || elf[3] != 'F') {
            throw new IllegalArgumentException(name + " is not an ELF file");
        }
        if (elf[4] != 2 || elf[5] != 1) {
            throw new IllegalArgumentException(name + " is not a 64-bit little-endian ELF file (class " + elf[4]
                    + ", data " + elf[5] + ")");
        }
        byte[] out = elf.clone();
        ByteBuffer header = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        long tableOffset = header.getLong(0x20);
        int entrySize = Short.toUnsignedInt(header.getShort(0x36));
        int entries = Short.toUnsignedInt(header.getShort(0x38));
        if (entrySize < 8 || tableOffset < 0 || tableOffset + (long) entrySize * entries > out.length) {
            throw new IllegalArgumentException(name + ": its program header table (offset " + tableOffset + ", "
                    + entries + " entries of " + entrySize + " bytes) lies outside the file's " + out.length + " bytes");
        }
        for (int i = 0; i < entries; i++) {
            int at = (int) (tableOffset + (long) i * entrySize);
            if (header.getInt(at) == PT_GNU_STACK) {
                header.putInt(at + 4, header.getInt(at + 4) & ~PF_X);
            }
        }
        return out;
    }
}

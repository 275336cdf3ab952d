package io.circuitscope.circuits.render;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NoExecStackLibraryTest {
    @TempDir
    Path dir;

    /** The corrected copy differs from J2V8's library in the stack header's execute bit and nowhere else. */
    @Test
    void onlyTheStackHeadersExecuteBitChanges() throws IOException {
        byte[] shipped = shippedLibrary();
        assertTrue(stackFlags(shipped).stream().anyMatch(flags -> (flags & 1) != 0),
                "J2V8's library as shipped asks for an executable stack (else this class is not needed)");

        byte[] corrected = NoExecStackLibrary.clearExecutableStack(shipped, "j2v8");

        assertEquals(shipped.length, corrected.length);
        List<Integer> changed = new ArrayList<>();
        for (int i = 0; i < shipped.length; i++) {
            if (shipped[i] != corrected[i]) {
                changed.add(i);
                assertEquals(1, (shipped[i] ^ corrected[i]) & 0xff, "only bit 0 (PF_X) may change, at byte " + i);
            }
        }
        assertEquals(1, changed.size(), "one flag byte changes: " + changed);
        assertFalse(stackFlags(corrected).stream().anyMatch(flags -> (flags & 1) != 0));
        assertArrayEquals(corrected, NoExecStackLibrary.clearExecutableStack(corrected, "j2v8"), "a second pass changes nothing");
    }

    @Test
    void bytesThatAreNotA64BitElfFileAreRefusedByName() {
        IllegalArgumentException notElf = assertThrows(IllegalArgumentException.class,
                () -> NoExecStackLibrary.clearExecutableStack(new byte[100], "libfoo.so"));
        assertEquals("libfoo.so is not an ELF file", notElf.getMessage());

        byte[] elf32 = new byte[100];
        elf32[0] = 0x7f;
        elf32[1] = 'E';
        elf32[2] = 'L';
        elf32[3] = 'F';
        elf32[4] = 1;
        elf32[5] = 1;
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> NoExecStackLibrary.clearExecutableStack(elf32, "libfoo.so")).getMessage()
                .startsWith("libfoo.so is not a 64-bit little-endian ELF file"));

        byte[] truncated = elf32.clone();
        truncated[4] = 2;
        ByteBuffer.wrap(truncated).order(ByteOrder.LITTLE_ENDIAN).putLong(0x20, 64).putShort(0x36, (short) 56)
                .putShort(0x38, (short) 3);
        String message = assertThrows(IllegalArgumentException.class,
                () -> NoExecStackLibrary.clearExecutableStack(truncated, "libfoo.so")).getMessage();
        assertTrue(message.startsWith("libfoo.so: its program header table"), message);
    }

    @Test
    void installWritesTheCorrectedCopyOnceAndRepairsAChangedOne() throws IOException {
        Path folder = dir.resolve("noexecstack");
        Path written = NoExecStackLibrary.install(folder).orElseThrow();
        byte[] expected = NoExecStackLibrary.clearExecutableStack(shippedLibrary(), "j2v8");
        assertArrayEquals(expected, Files.readAllBytes(written));

        FileTime old = FileTime.fromMillis(0);
        Files.setLastModifiedTime(written, old);
        NoExecStackLibrary.install(folder);
        assertEquals(old, Files.getLastModifiedTime(written), "the same bytes are not written again");

        Files.write(written, new byte[] {1, 2, 3});
        NoExecStackLibrary.install(folder);
        assertArrayEquals(expected, Files.readAllBytes(written));
        try (var files = Files.list(folder)) {
            assertEquals(List.of(written), files.toList(), "no temporary file is left behind");
        }
    }

    @Test
    void theLaunchersFolderIsFoundOnTheLibraryPathWhereverTheCacheIs() {
        assertEquals(java.util.Optional.of(Path.of("/home/x/.cache/circuitscope/native/noexecstack")),
                NoExecStackLibrary.folderOnLibraryPath("/opt/lib:/home/x/.cache/circuitscope/native/noexecstack:/usr/lib"));
        assertEquals(java.util.Optional.of(Path.of("/xdg/circuitscope/native/noexecstack")),
                NoExecStackLibrary.folderOnLibraryPath("/xdg/circuitscope/native/noexecstack/"));
        assertEquals(java.util.Optional.empty(), NoExecStackLibrary.folderOnLibraryPath("/usr/lib:/home/x/noexecstack"));
        assertEquals(java.util.Optional.empty(), NoExecStackLibrary.folderOnLibraryPath(""));
    }

    /**
     * As {@code ./circuitscope} starts it: with the folder on the library path, a fresh JVM renders with
     * the corrected copy and prints no stack-guard warning.
     */
    @Test
    void aJvmWithTheFolderOnItsLibraryPathRendersWithoutTheStackGuardWarning() throws Exception {
        rendersWithTheCorrectedCopy(dir.resolve("js"), List.of("-Dcircuitscope.graphviz=js"), null);
    }

    /** The same when a dot that does not run comes first on the PATH: it is passed over, not fallen back from. */
    @Test
    void aBrokenDotOnThePathLeavesTheBundledEngineItsCorrectedCopy() throws Exception {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path dot = bin.resolve("dot");
        Files.writeString(dot, "#!/bin/sh\necho 'dot: cannot open shared object file' >&2\nexit 127\n");
        assertTrue(dot.toFile().setExecutable(true));
        rendersWithTheCorrectedCopy(dir.resolve("broken-dot"), List.of(),
                bin + java.io.File.pathSeparator + System.getenv().getOrDefault("PATH", ""));
    }

    private static void rendersWithTheCorrectedCopy(Path dir, List<String> options, String path) throws Exception {
        Path cache = dir.resolve("cache");
        Path folder = cache.resolve(NoExecStackLibrary.FOLDER_TAIL);
        List<String> command = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Djava.library.path=" + folder));
        command.addAll(options);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), RenderOnce.class.getName()));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("XDG_CACHE_HOME", cache.toString());
        if (path != null) {
            builder.environment().put("PATH", path);
        }
        Files.createDirectories(dir);
        builder.redirectOutput(dir.resolve("out.txt").toFile()).redirectError(dir.resolve("err.txt").toFile());
        Process child = builder.start();
        assertTrue(child.waitFor(120, TimeUnit.SECONDS), "the render finished within 2 minutes");
        String out = Files.readString(dir.resolve("out.txt"));
        String err = Files.readString(dir.resolve("err.txt"));
        assertEquals(0, child.exitValue(), err);
        assertTrue(out.contains("<svg"), out);
        assertFalse(err.contains("stack guard"), err);
        assertTrue(Files.isRegularFile(folder.resolve(NoExecStackLibrary.FILE_NAME)));
        assertFalse(Files.exists(cache.resolve(GraphvizRenderer.NATIVE_CACHE).resolve(NoExecStackLibrary.FILE_NAME)),
                "J2V8 did not unpack its own copy");
    }

    /** The child process of the tests above. */
    public static final class RenderOnce {
        public static void main(String[] args) {
            System.out.println(GraphvizRenderer.svg("digraph { a -> b }"));
        }
    }

    private static byte[] shippedLibrary() throws IOException {
        try (InputStream in = NoExecStackLibrary.class.getClassLoader().getResourceAsStream(NoExecStackLibrary.FILE_NAME)) {
            assertNotNull(in, NoExecStackLibrary.FILE_NAME + " on the class path (from graphviz-java's J2V8 jar)");
            return in.readAllBytes();
        }
    }

    private static List<Integer> stackFlags(byte[] elf) {
        ByteBuffer b = ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN);
        long offset = b.getLong(0x20);
        int size = Short.toUnsignedInt(b.getShort(0x36));
        int count = Short.toUnsignedInt(b.getShort(0x38));
        List<Integer> flags = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int at = (int) (offset + (long) i * size);
            if (b.getInt(at) == 0x6474e551) {
                flags.add(b.getInt(at + 4));
            }
        }
        return flags;
    }
}

package io.circuitscope.circuits.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Checks of the files and folders options name, made before a command loads a model or computes anything: a typo
 * in a path is then reported at once, naming the option and the path, not after a long run whose result has
 * nowhere to go. Each check does nothing for an option that was not given (null).
 */
final class PathChecks {
    private PathChecks() {
    }

    /** A file the command reads: it exists, is a file and can be read. */
    static void readable(CommandSpec spec, String option, Path file) {
        if (file == null) {
            return;
        }
        refuse(spec, option, file, io.circuitscope.core.io.ReadErrors.whyUnreadable(file));
    }

    /** A folder the command writes into: an existing folder it may write in, or one it can create. */
    static void folderForWriting(CommandSpec spec, String option, Path dir) {
        if (dir == null) {
            return;
        }
        refuse(spec, option, dir, dir.toString().isBlank() ? "names no folder"
                : Files.isDirectory(dir) ? (Files.isWritable(dir) ? null : "cannot be written in (permission denied)")
                : Files.exists(dir) ? "is a file, not a folder" : whyNotCreatable(dir));
        if (!Files.exists(dir)) {
            // access(2) can say yes where mkdir then fails (root under /proc, NFS with root_squash): discover --out
            // /proc/x ran the whole discovery and then lost it to "no such file or directory: /proc/x"
            refuse(spec, option, dir, whyMkdirFails(dir));
        }
    }

    /** A file the command writes: not a folder, and in a folder that exists (writable) or can be created. */
    static void fileForWriting(CommandSpec spec, String option, Path file) {
        if (file == null) {
            return;
        }
        if (file.toString().isBlank() || Files.isDirectory(file)) {
            refuse(spec, option, file, file.toString().isBlank() ? "names no file" : "is a folder; give a file name");
        }
        if (Files.exists(file) && !Files.isWritable(file)) {
            refuse(spec, option, file, "cannot be written (permission denied)");
        }
        Path folder = file.getParent() != null ? file.getParent() : file.toAbsolutePath().getParent();
        refuse(spec, option, file, Files.isDirectory(folder)
                ? (Files.isWritable(folder) ? null : "cannot be written: " + folder + " is not writable (permission denied)")
                : whyNotCreatable(folder));
        if (!Files.exists(folder)) {
            refuse(spec, option, file, whyMkdirFails(folder)); // as folderForWriting's (/proc/x/r.json)
        }
    }

    /**
     * Refuses an output {@code file} that is the {@code --task} file or a model file ({@code --model} naming a file,
     * such as a llama2.c checkpoint) the command reads: writing it would replace the input.
     */
    static void notAnInput(CommandSpec spec, String option, Path file, Path task, String model) {
        distinctFiles(spec, option, file, "--task", task, "the output would replace the task; give " + option
                + " another file");
        Path modelFile;
        try {
            modelFile = model == null ? null : Path.of(model); // a hub id or planted:NAME names no file
        } catch (java.nio.file.InvalidPathException e) {
            modelFile = null;
        }
        if (modelFile != null && Files.isRegularFile(modelFile)) {
            distinctFiles(spec, option, file, "--model", modelFile, "the output would replace the model; give "
                    + option + " another file");
        }
    }

    /**
     * Refuses two file options that name one file: the same path once made absolute and normalised, the same file
     * when both exist (through a symbolic or hard link too), or the same name in the same real folder. {@code why}
     * says what writing one would do to the other.
     */
    static void distinctFiles(CommandSpec spec, String option, Path file, String otherOption, Path other, String why) {
        if (file != null && other != null && sameFile(file, other)) {
            throw new CommandLine.ParameterException(spec.commandLine(), option + " " + file + " and " + otherOption + " "
                    + other + " name the same file: " + why);
        }
    }

    /**
     * Whether two paths name one file: the same path once made absolute and normalised, the same file when both exist
     * (through a symbolic or hard link too), or the same name in the same real folder.
     */
    static boolean sameFile(Path a, Path b) {
        if (a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize())) {
            return true;
        }
        try {
            return Files.exists(a) && Files.exists(b) ? Files.isSameFile(a, b) : throughRealFolder(a).equals(throughRealFolder(b));
        } catch (java.io.IOException e) {
            return false; // a path that cannot be resolved is checked, and named, when it is written
        }
    }

    /** A file's path under its folder's real path (links resolved), for a file that may not exist yet. */
    private static Path throughRealFolder(Path file) throws java.io.IOException {
        Path absolute = file.toAbsolutePath().normalize();
        Path folder = absolute.getParent();
        return folder != null && Files.isDirectory(folder) ? folder.toRealPath().resolve(absolute.getFileName()) : absolute;
    }

    /** Why a folder cannot be created (it or an ancestor is a file, or read-only), or null when it can. */
    private static String whyNotCreatable(Path dir) {
        Path ancestor = dir;
        while (ancestor != null && !Files.exists(ancestor)) {
            ancestor = ancestor.getParent();
        }
        if (ancestor == null) {
            ancestor = dir.isAbsolute() ? dir.getRoot() : Path.of("").toAbsolutePath();
        }
        if (!Files.isDirectory(ancestor)) {
            return "cannot be created: " + ancestor + " is a file, not a folder";
        }
        return Files.isWritable(ancestor) ? null : "cannot be created: " + ancestor + " is not writable (permission denied)";
    }

    /**
     * Why a folder that does not exist cannot be made, found by making and removing a scratch folder in the nearest
     * folder that exists; null when that works.
     */
    private static String whyMkdirFails(Path dir) {
        Path ancestor = dir.toAbsolutePath().normalize().getParent();
        while (ancestor != null && !Files.isDirectory(ancestor)) {
            ancestor = ancestor.getParent();
        }
        if (ancestor == null) {
            return null; // whyNotCreatable has named the problem
        }
        try {
            Files.delete(Files.createTempDirectory(ancestor, ".circuitscope-write-check"));
            return null;
        } catch (java.io.IOException | RuntimeException e) {
            String reason = e instanceof java.nio.file.AccessDeniedException ? "permission denied"
                    : e instanceof java.nio.file.FileSystemException f && f.getReason() != null ? f.getReason()
                    : "the file system refuses it";
            return "cannot be created: a folder cannot be made in " + ancestor + " (" + reason + ")";
        }
    }

    private static void refuse(CommandSpec spec, String option, Path path, String problem) {
        if (problem != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), option + " " + path + ": " + problem);
        }
    }
}

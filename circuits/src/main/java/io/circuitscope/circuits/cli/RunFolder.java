package io.circuitscope.circuits.cli;

import io.circuitscope.circuits.render.Renderings;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The output folder of discover or train-toy, as the command finds it. An earlier run of the same command there is
 * replaced whole once the new results are ready, so no picture, report or task of the earlier run stays beside the
 * new one; a folder holding another command's files (a discover run, a train-toy model or other checkpoint, a
 * batch) is refused before any work, since writing into it would overwrite or contradict them.
 */
final class RunFolder {
    /** The pictures and report discover draws from its circuit: circuit.svg, circuit.png, circuit.dot, report.html. */
    static final List<String> DRAWINGS = Renderings.FORMATS.stream()
            .map(f -> Renderings.defaultTarget(Path.of("circuit.json"), f).getFileName().toString()).toList();
    /** What discover writes: the circuit and its task, then the drawings. */
    static final List<String> DISCOVER_FILES = Stream.concat(Stream.of("circuit.json", "task.jsonl"), DRAWINGS.stream())
            .toList();
    /** What train-toy writes. */
    static final List<String> TRAIN_TOY_FILES = List.of("config.json", "model.safetensors", "task.jsonl", "training.json",
            "reference_circuit.json");
    /**
     * Files that only a discover run, a model (train-toy's or another checkpoint) or a batch leaves. Drawings are no
     * mark of a discover run: `render` draws a toy's reference_circuit.json into the toy's folder too.
     */
    private static final List<String> DISCOVER_MARKS = List.of("circuit.json");
    private static final List<String> MODEL_MARKS = List.of("config.json", "model.safetensors", "training.json",
            "reference_circuit.json");
    private static final List<String> BATCH_MARKS = List.of("manifest.json", "summary.md", "summary.csv");
    /** Only train-toy writes it: its presence says the folder's model is an earlier train-toy run's. */
    private static final String TRAINING = "training.json";

    private final Path dir;
    private final List<String> earlier; // files of an earlier run of the same command

    private RunFolder(Path dir, List<String> earlier) {
        this.dir = dir;
        this.earlier = earlier;
    }

    /** discover's --out: refused when it holds a model or a batch; an earlier discover run there is replaced. */
    static RunFolder forDiscover(CommandSpec spec, String option, Path dir) {
        PathChecks.folderForWriting(spec, option, dir);
        refuseHolding(spec, option, dir, "a model (train-toy's or another checkpoint)", present(dir, MODEL_MARKS),
                "discover would write its circuit and task.jsonl among the model's files");
        refuseHolding(spec, option, dir, "a batch's results", present(dir, BATCH_MARKS),
                "discover would mix its run with the batch's");
        // without a circuit.json there is no earlier run: a task.jsonl alone is the user's, read or not by this run
        return new RunFolder(dir, present(dir, DISCOVER_MARKS).isEmpty() ? List.of() : present(dir, DISCOVER_FILES));
    }

    /**
     * train-toy's --out: refused when it holds a discover run, a batch, or files train-toy would overwrite that no
     * earlier train-toy run wrote (another model's checkpoint, a task file); an earlier train-toy run is replaced.
     */
    static RunFolder forTrainToy(CommandSpec spec, String option, Path dir) {
        PathChecks.folderForWriting(spec, option, dir);
        refuseHolding(spec, option, dir, "a discover run", present(dir, DISCOVER_MARKS),
                "train-toy would overwrite its task.jsonl");
        refuseHolding(spec, option, dir, "a batch's results", present(dir, BATCH_MARKS),
                "train-toy would mix its model with the batch's runs");
        List<String> own = present(dir, TRAIN_TOY_FILES);
        if (!own.isEmpty() && !own.contains(TRAINING)) {
            refuseHolding(spec, option, dir, "files no earlier train-toy run wrote (no " + TRAINING + ")", own,
                    "train-toy would overwrite them");
        }
        if (own.contains(TRAINING)) { // drawings of the earlier reference circuit (render) go with it
            own = Stream.concat(own.stream(), present(dir, DRAWINGS).stream()).toList();
        }
        return new RunFolder(dir, own);
    }

    boolean holdsEarlierRun() {
        return !earlier.isEmpty();
    }

    /**
     * Before the new run's files are written: removes the earlier run's files other than {@code rewritten} (those are
     * replaced one by one, atomically, as they are written), so that a picture of the earlier circuit never stays
     * beside the new one, not even when drawing the new one fails; and says on {@code err} what was replaced and
     * what removed for good ({@code redrawn}: the files the new run will draw afresh).
     */
    void clearEarlierRun(List<String> rewritten, List<String> redrawn, PrintWriter err) throws IOException {
        if (earlier.isEmpty()) {
            return;
        }
        List<String> replaced = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        for (String name : earlier) {
            if (!rewritten.contains(name)) {
                Files.deleteIfExists(dir.resolve(name));
            }
            (rewritten.contains(name) || redrawn.contains(name) ? replaced : removed).add(name);
        }
        err.printf(Locale.ROOT, "note: %s held an earlier run; replaced %s%s%n", dir, String.join(", ", replaced), removed.isEmpty()
                ? "" : "; removed " + String.join(", ", removed) + " (they showed the earlier circuit; "
                        + "`circuitscope render` draws the new one)");
        err.flush();
    }

    /**
     * Where train-toy writes: a fresh sibling of the folder, moved into it once the run is complete, so that a failed
     * or killed run never leaves a folder that looks like a finished one, nor a mix of an earlier run and this one.
     */
    Path staging(PrintWriter out) throws IOException {
        Path absolute = dir.toAbsolutePath().normalize();
        Path staging = absolute.resolveSibling("." + absolute.getFileName() + ".train-toy-partial");
        deleteStaging(staging); // left by a train-toy that was killed
        if (holdsEarlierRun()) {
            out.printf(Locale.ROOT, "%s holds an earlier train-toy run: it stays as it is until this run is written, in %s, "
                    + "and moved over it%n", dir, staging);
        } else {
            out.printf(Locale.ROOT, "writing the run in %s; it is moved into %s when complete%n", staging, dir);
        }
        return Files.createDirectories(staging);
    }

    /**
     * Moves the staged run into the folder (the staging folder itself when there is no folder yet, in one step), over
     * the earlier run's files, removes those of the earlier run it has not, and says so.
     */
    void replaceWith(Path staging, PrintWriter out) throws IOException {
        if (!Files.exists(dir)) {
            Files.createDirectories(dir.toAbsolutePath().normalize().getParent());
            try {
                Files.move(staging, dir, StandardCopyOption.ATOMIC_MOVE);
                out.printf(Locale.ROOT, "moved it to %s%n", dir);
                out.flush();
                return;
            } catch (IOException e) { // e.g. another file system: the files one by one, below
                Files.createDirectories(dir);
            }
        }
        List<String> written = new ArrayList<>();
        try (Stream<Path> files = Files.list(staging)) {
            for (Path f : files.toList()) {
                Files.move(f, dir.resolve(f.getFileName().toString()), StandardCopyOption.REPLACE_EXISTING,
                        StandardCopyOption.ATOMIC_MOVE);
                written.add(f.getFileName().toString());
            }
        }
        for (String name : earlier) {
            if (!written.contains(name)) {
                Files.deleteIfExists(dir.resolve(name));
            }
        }
        Files.delete(staging);
        out.printf(Locale.ROOT, "moved them into %s%s%n", dir, earlier.isEmpty() ? ""
                : ", replacing the earlier train-toy run's " + String.join(", ", earlier));
        out.flush();
    }

    /** Removes a staging folder and the flat files in it (train-toy writes no subfolders). */
    static void deleteStaging(Path staging) throws IOException {
        if (!Files.isDirectory(staging)) {
            return;
        }
        try (Stream<Path> files = Files.list(staging)) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }
        Files.delete(staging);
    }

    private static List<String> present(Path dir, List<String> names) {
        return names.stream().filter(n -> Files.exists(dir.resolve(n))).toList();
    }

    private static void refuseHolding(CommandSpec spec, String option, Path dir, String what, List<String> files,
            String why) {
        if (!files.isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(), option + " " + dir + " holds " + what + ": "
                    + String.join(", ", files) + "; " + why + "; give another folder");
        }
    }
}

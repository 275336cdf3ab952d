package io.circuitscope.circuits.render;

import guru.nidi.graphviz.engine.Format;
import guru.nidi.graphviz.engine.Graphviz;
import guru.nidi.graphviz.engine.GraphvizCmdLineEngine;
import guru.nidi.graphviz.engine.GraphvizEngine;
import guru.nidi.graphviz.engine.GraphvizV8Engine;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Renders DOT to SVG or PNG with graphviz-java, without a system install: the {@code dot}
 * command is used when it is on the PATH and answers {@code dot -V} (faster, native fonts), otherwise
 * graphviz-java's bundled engine (Graphviz compiled to JavaScript, run in the J2V8 runtime that ships
 * as a jar).
 * PNGs are rasterised from the SVG in Java. Set {@code -Dcircuitscope.graphviz=js} to skip the
 * command even when it exists.
 */
public final class GraphvizRenderer {
    /** The native cache folder below the user's cache folder ($XDG_CACHE_HOME or ~/.cache). */
    static final Path NATIVE_CACHE = Path.of("circuitscope", "native");
    private static String engine;

    private GraphvizRenderer() {
    }

    /** Which engine renders: "dot" (the command) or "js" (bundled). */
    public static synchronized String engine() {
        if (engine == null) {
            System.setProperty("java.awt.headless", System.getProperty("java.awt.headless", "true"));
            List<GraphvizEngine> engines = new ArrayList<>();
            // a dot that is on the PATH but does not run (a broken install) is passed over here, so that the
            // bundled engine gets the corrected library below instead of falling back to the one shipped
            boolean useDot = !"js".equals(System.getProperty("circuitscope.graphviz"))
                    && workingDot(System.getenv("PATH")).isPresent();
            if (useDot) {
                engines.add(new GraphvizCmdLineEngine().timeout(120, TimeUnit.SECONDS));
            } else {
                NoExecStackLibrary.folderOnLibraryPath(System.getProperty("java.library.path", ""))
                        .ifPresent(GraphvizRenderer::offerCorrectedLibrary);
            }
            engines.add(new GraphvizV8Engine(nativeCache()));
            Graphviz.useEngine(engines);
            engine = useDot ? "dot" : "js";
        }
        return engine;
    }

    /**
     * Where J2V8 unpacks its 19 MB native library (it rewrites it on every start): a cache folder
     * rather than its default, the top of the user's home; null (that default) if the folder cannot be made.
     */
    static String nativeCache() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        Path dir = base.resolve(NATIVE_CACHE);
        try {
            Files.createDirectories(dir);
            return Files.isWritable(dir) ? dir.toString() : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Writes J2V8's library without its executable-stack flag into {@code folder}, which
     * {@code ./circuitscope} has put on the library path, so J2V8 loads that copy instead of unpacking its own.
     */
    private static void offerCorrectedLibrary(Path folder) {
        try {
            NoExecStackLibrary.install(folder);
        } catch (IOException | RuntimeException e) {
            // J2V8 then unpacks and loads the library as shipped: it still works (up to glibc 2.40), with the JVM's warning.
            System.err.println("circuitscope: could not write a corrected Graphviz engine library to " + folder + ": "
                    + e.getMessage());
        }
    }

    /**
     * The first {@code dot} on {@code path} (a PATH value; null: none), if it runs: {@code dot -V} exits 0
     * within 10 s. Only the first counts, since that is the one graphviz-java's command engine starts.
     */
    static Optional<Path> workingDot(String path) {
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(File.pathSeparator)) {
            Path dot = dir.isEmpty() ? null : Path.of(dir, "dot");
            if (dot != null && Files.isExecutable(dot)) {
                return answersVersion(dot) ? Optional.of(dot) : Optional.empty();
            }
        }
        return Optional.empty();
    }

    private static boolean answersVersion(Path dot) {
        try {
            Process p = new ProcessBuilder(dot.toString(), "-V").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return false;
            }
            return p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    public static String svg(String dot) {
        engine();
        try {
            return Graphviz.fromString(dot).render(Format.SVG).toString();
        } catch (RuntimeException e) {
            throw failure("the diagram", e);
        }
    }

    public static void png(String dot, Path file) throws IOException {
        engine();
        try {
            Graphviz.fromString(dot).scale(1.5).render(Format.PNG).toFile(file.toFile());
        } catch (RuntimeException e) {
            throw failure("the diagram", e); // not the file's name: it is a temporary one
        }
    }

    /**
     * The engine's failure in plain words. The bundled engine has a fixed 16 MB heap; a diagram too large for it
     * ends in Emscripten's abort("Cannot enlarge memory arrays...") or, for larger ones still, in no message at all.
     */
    static DrawingException failure(String what, RuntimeException e) {
        String reason = message(e);
        if ("js".equals(engine()) && tooLargeForTheBundledEngine(reason)) {
            return new DrawingException("Graphviz could not render " + what + ": the bundled Graphviz engine ran out of its "
                    + "16 MB of memory", true, e);
        }
        return new DrawingException("Graphviz could not render " + what + ": " + reason, false, e);
    }

    static boolean tooLargeForTheBundledEngine(String reason) {
        return reason.isBlank() || reason.equals("null") || reason.contains("Cannot enlarge memory")
                || reason.contains("Maximum call stack size exceeded");
    }

    private static String message(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getMessage() == null) {
            t = t.getCause();
        }
        return String.valueOf(t.getMessage()).split("\n")[0];
    }
}

package io.circuitscope.circuits.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class GraphvizRendererTest {

    /** The bundled engine's native library goes to a cache folder of ours, not loose into the home folder. */
    @Test
    void theBundledEnginesNativeLibraryIsUnpackedIntoACacheFolder() {
        String dir = GraphvizRenderer.nativeCache();
        assertNotNull(dir, "a writable cache folder (XDG_CACHE_HOME or ~/.cache) is expected on a build machine");
        Path path = Path.of(dir);
        assertTrue(path.endsWith(Path.of("circuitscope", "native")), dir);
        assertTrue(Files.isDirectory(path) && Files.isWritable(path), dir);
    }

    /**
     * A dot that is on the PATH but does not run is passed over, so the bundled engine renders (with the
     * corrected library) instead of graphviz-java falling back to it later with the library as shipped.
     * Only the first dot on the PATH counts: that is the one the command engine would start.
     */
    @Test
    void onlyAFirstDotThatAnswersItsVersionIsUsed(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path broken = script(dir.resolve("broken"), "echo 'dot: error while loading shared libraries' >&2; exit 127");
        Path good = script(dir.resolve("good"), "echo 'dot - graphviz version 2.43.0' >&2; exit 0");
        Path notExecutable = Files.createDirectories(dir.resolve("plain")).resolve("dot");
        Files.writeString(notExecutable, "#!/bin/sh\nexit 0\n");
        String sep = java.io.File.pathSeparator;
        assertEquals(java.util.Optional.of(good.resolve("dot")), GraphvizRenderer.workingDot(good + sep + broken));
        assertEquals(java.util.Optional.empty(), GraphvizRenderer.workingDot(broken + sep + good));
        assertEquals(java.util.Optional.of(good.resolve("dot")),
                GraphvizRenderer.workingDot(notExecutable.getParent() + sep + sep + good), "not executable, not a dot");
        assertEquals(java.util.Optional.empty(), GraphvizRenderer.workingDot(dir.toString()));
        assertEquals(java.util.Optional.empty(), GraphvizRenderer.workingDot(null));
    }

    /**
     * A diagram too large for the bundled engine failed with its Emscripten abort text (or, larger, an empty
     * message); now the error says the engine ran out of memory, and Renderings adds what draws it instead.
     */
    @Test
    void aDiagramTooLargeForTheBundledEngineSaysSoAndWhatDrawsIt() {
        org.junit.jupiter.api.Assumptions.assumeTrue(GraphvizRenderer.engine().equals("js"), "the bundled engine renders");
        String dot = "digraph g { a [label=\"" + "x".repeat(20_000_000) + "\"]; }"; // more than its 16 MB hold
        DrawingException e = org.junit.jupiter.api.Assertions.assertThrows(DrawingException.class,
                () -> GraphvizRenderer.svg(dot));
        assertTrue(e.tooLarge());
        assertEquals("Graphviz could not render the diagram: the bundled Graphviz engine ran out of its 16 MB of memory",
                e.getMessage());
        assertTrue(GraphvizRenderer.tooLargeForTheBundledEngine(""), "the engine's empty message for larger ones still");
        assertTrue(!GraphvizRenderer.tooLargeForTheBundledEngine("syntax error in line 1 near 'x'"));
        // still a working engine afterwards
        assertTrue(GraphvizRenderer.svg("digraph g { a -> b; }").contains("<svg"));
    }

    @Test
    void theAdviceFitsTheDiagram() {
        CircuitDiagram.Diagram whole = new CircuitDiagram.Diagram("", 80, 2764, 80, false, null);
        assertEquals(" drawing 80 nodes and 2764 edges; draw the heads of each layer as one node (render "
                + "--collapse-layers, or --collapse-above below 80), or install Graphviz: its dot command, when on the "
                + "PATH, draws instead of the bundled engine", Renderings.tooLargeAdvice(whole));
        CircuitDiagram.Diagram collapsed = new CircuitDiagram.Diagram("", 50, 1225, 5000, true, "collapsed");
        assertEquals(" drawing 50 nodes and 1225 edges (collapsed by layer); install Graphviz: its dot command, when on "
                + "the PATH, draws instead of the bundled engine", Renderings.tooLargeAdvice(collapsed));
    }

    private static Path script(Path folder, String body) throws Exception {
        Files.createDirectories(folder);
        Path dot = folder.resolve("dot");
        Files.writeString(dot, "#!/bin/sh\n" + body + "\n");
        assertTrue(dot.toFile().setExecutable(true));
        return folder;
    }
}

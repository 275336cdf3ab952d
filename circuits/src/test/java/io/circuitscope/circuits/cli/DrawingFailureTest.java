package io.circuitscope.circuits.cli;

import static io.circuitscope.circuits.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.circuits.render.DrawingException;
import io.circuitscope.circuits.render.GraphvizRenderer;
import io.circuitscope.core.io.TensorDtype;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A circuit too large for the bundled Graphviz engine even collapsed by layer (every edge of a 24-layer model: 50
 * nodes, 1,225 edges to draw). discover failed with exit 1 when drawing its SVG, before circuit.dot and report.html,
 * without saying circuit.json was kept; render's error was the engine's Emscripten abort text.
 */
class DrawingFailureTest {
    @TempDir
    Path dir;

    @Test
    void discoverKeepsItsResultsAndWarnsAndRenderSaysWhatDrawsIt() throws Exception {
        Assumptions.assumeTrue(GraphvizRenderer.engine().equals("js"), "the bundled engine renders");
        Path model = TinyCheckpoint.gpt2(5, 24, 1, 4, 23, 8, false).write(dir.resolve("deep"), TensorDtype.F32);
        Path task = RandomTaskFile.write(dir.resolve("task.jsonl"), "random", 3, 2, 4, 23);
        Path out = dir.resolve("run");
        CliRun found = run("discover", "--model", model.toString(), "--task", task.toString(), "--method", "eap",
                "--metric", "logit-diff", "--edges", "100000", "--no-validate", "--quiet", "--out", out.toString());
        assertEquals(0, found.code(), "the discovery succeeded: " + found.err());
        assertTrue(found.err().contains("warning: Graphviz could not render the diagram: the bundled Graphviz engine ran "
                + "out of its 16 MB of memory drawing 50 nodes and 1225 edges (collapsed by layer); install Graphviz"),
                found.err());
        assertTrue(found.err().contains("the run's results are kept: circuit.json, task.jsonl, circuit.dot in " + out),
                found.err());
        for (String kept : List.of("circuit.json", "task.jsonl", "circuit.dot")) {
            assertTrue(Files.isRegularFile(out.resolve(kept)), kept);
        }
        for (String missing : List.of("circuit.svg", "circuit.png", "report.html")) {
            assertFalse(Files.exists(out.resolve(missing)), missing);
        }
        // AtomicFile names each temporary .NAME.RANDOM.tmp; a failed drawing must leave none behind.
        try (var files = Files.list(out)) {
            List<String> temporaries = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".tmp")).toList();
            assertEquals(List.of(), temporaries, "temporary files left in " + out);
        }

        CliRun render = run("render", out.toString(), "--format", "svg");
        assertEquals(1, render.code());
        assertTrue(render.err().startsWith("error: Graphviz could not render the diagram: the bundled Graphviz engine ran "
                + "out of its 16 MB of memory drawing 50 nodes and 1225 edges (collapsed by layer); install Graphviz: its "
                + "dot command, when on the PATH, draws instead of the bundled engine"), render.err());
    }

    @Test
    void drawingsStopAtTheFirstFailureAfterTheDot() throws Exception {
        Path circuit = dir.resolve("circuit.json");
        List<String> tried = new ArrayList<>();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        boolean all = RunDrawings.write(circuit, new PrintWriter(out), new PrintWriter(err), (format, target) -> {
            tried.add(format);
            if (format.equals("svg")) {
                throw new DrawingException("Graphviz could not render the diagram: no", false, null);
            }
        });
        assertFalse(all);
        assertEquals(List.of("dot", "svg"), tried);
        assertEquals("warning: Graphviz could not render the diagram: no; the run's results are kept: circuit.json, "
                + "task.jsonl, circuit.dot in " + dir + " (./circuitscope render draws them again)", err.toString().trim());
        assertEquals("", out.toString());
    }
}

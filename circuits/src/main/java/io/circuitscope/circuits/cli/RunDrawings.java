package io.circuitscope.circuits.cli;

import io.circuitscope.circuits.io.CircuitDocument;
import io.circuitscope.circuits.render.CircuitDiagram;
import io.circuitscope.circuits.render.DrawingException;
import io.circuitscope.circuits.render.Renderings;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * discover's diagrams and report beside its circuit.json. A drawing Graphviz cannot make costs the drawings, not
 * the run: the found circuit is already written, so that is a warning naming what was kept, not a failed run.
 */
final class RunDrawings {
    /** Writes one format's file. */
    interface Drawer {
        void draw(String format, Path target) throws IOException;
    }

    /** DOT first: it needs no Graphviz, so the diagram's source is kept even when drawing it fails. */
    static final List<String> ORDER = List.of("dot", "svg", "png", "html");

    private RunDrawings() {
    }

    static void write(Path circuitFile, CircuitDocument doc, PrintWriter out, PrintWriter err) throws IOException {
        write(circuitFile, out, err, (format, target) -> Renderings.write(circuitFile, doc, format, target,
                CircuitDiagram.Options.defaults(), 30));
    }

    /** Draws every format in {@link #ORDER}, stopping at the first Graphviz failure (the others would fail alike). */
    static boolean write(Path circuitFile, PrintWriter out, PrintWriter err, Drawer drawer) throws IOException {
        Path dir = circuitFile.getParent() != null ? circuitFile.getParent() : circuitFile.toAbsolutePath().getParent();
        List<String> kept = new ArrayList<>(List.of("circuit.json", "task.jsonl"));
        for (String format : ORDER) {
            Path target = Renderings.defaultTarget(circuitFile, format);
            try {
                drawer.draw(format, target);
            } catch (DrawingException e) {
                err.println("warning: " + e.getMessage() + "; the run's results are kept: " + String.join(", ", kept)
                        + " in " + dir + " (./circuitscope render draws them again)");
                err.flush();
                return false;
            }
            kept.add(target.getFileName().toString());
        }
        out.println("  wrote report.html, circuit.svg, circuit.png, circuit.dot and task.jsonl in " + dir);
        return true;
    }
}

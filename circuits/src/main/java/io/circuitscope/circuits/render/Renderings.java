package io.circuitscope.circuits.render;

import com.fasterxml.jackson.databind.JsonNode;
import io.circuitscope.circuits.io.CircuitDocument;
import io.circuitscope.circuits.io.CircuitJson;
import io.circuitscope.core.io.AtomicFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Writes a circuit's picture or report in one format, atomically (temporary file, then rename). */
public final class Renderings {
    public static final List<String> FORMATS = List.of("svg", "png", "dot", "html");

    private Renderings() {
    }

    /** The default file for a format next to the circuit: circuit.svg/png/dot or report.html. */
    public static Path defaultTarget(Path circuitFile, String format) {
        Path dir = circuitFile.toAbsolutePath().getParent();
        return dir.resolve(format.equals("html") ? "report.html" : "circuit." + format);
    }

    public static CircuitDiagram.Diagram write(Path circuitFile, CircuitDocument doc, String format, Path target,
            CircuitDiagram.Options diagram, int topEdges) throws IOException {
        if (!FORMATS.contains(format)) {
            throw new IllegalArgumentException("unknown format '" + format + "' (" + String.join(", ", FORMATS) + ")");
        }
        CircuitDiagram.Diagram d = CircuitDiagram.of(doc, diagram);
        try {
            AtomicFile.write(target, tmp -> {
                switch (format) {
                    case "dot" -> Files.writeString(tmp, d.dot(), StandardCharsets.UTF_8);
                    case "svg" -> Files.writeString(tmp, GraphvizRenderer.svg(d.dot()), StandardCharsets.UTF_8);
                    case "png" -> GraphvizRenderer.png(d.dot(), tmp);
                    default -> {
                        JsonNode software = CircuitJson.readRaw(circuitFile).path("software");
                        Files.writeString(tmp, HtmlReport.render(doc, new HtmlReport.Options(diagram, topEdges,
                                HtmlReport.software(software), circuitFile.toString())),
                                StandardCharsets.UTF_8);
                    }
                }
            });
        } catch (DrawingException e) {
            throw e.tooLarge() ? new DrawingException(e.getMessage() + tooLargeAdvice(d), true, e) : e;
        }
        return d;
    }

    /** What draws a diagram too large for the bundled engine: fewer nodes, or Graphviz's own dot command. */
    static String tooLargeAdvice(CircuitDiagram.Diagram d) {
        String size = " drawing " + d.nodeCount() + " nodes and " + d.edgeCount() + " edges";
        String systemDot = "install Graphviz: its dot command, when on the PATH, draws instead of the bundled engine";
        return d.collapsed() ? size + " (collapsed by layer); " + systemDot
                : size + "; draw the heads of each layer as one node (render --collapse-layers, or --collapse-above below "
                        + d.circuitNodes() + "), or " + systemDot;
    }
}

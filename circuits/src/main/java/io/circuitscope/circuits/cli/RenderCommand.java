package io.circuitscope.circuits.cli;

import io.circuitscope.circuits.io.CircuitDocument;
import io.circuitscope.circuits.io.CircuitFileException;
import io.circuitscope.circuits.io.CircuitJson;
import io.circuitscope.circuits.render.CircuitDiagram;
import io.circuitscope.circuits.render.HtmlReport;
import io.circuitscope.circuits.render.Renderings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Draws a circuit.json as a diagram (DOT, SVG, PNG) or a self-contained HTML report, without the model. */
@Command(name = "render", mixinStandardHelpOptions = true,
        description = {"Draw DIR/circuit.json as a diagram or a self-contained HTML report; the model is not needed.",
            "Writes next to the circuit by default: circuit.svg, circuit.png, circuit.dot or report.html."})
final class RenderCommand implements Callable<Integer> {
    static final List<String> FORMATS = List.of("svg", "png", "dot", "html");

    @Parameters(index = "0", paramLabel = "CIRCUIT", description = "A circuit.json, or the folder that holds it.")
    Path circuit;

    @Option(names = "--format", description = "svg, png, dot or html (default: the extension of --out, else html).")
    String format;

    @Option(names = "--out", paramLabel = "FILE", description = "Output file (default: next to the circuit).")
    Path out;

    @Option(names = "--collapse-layers", description = "Draw all heads of a layer as one node (edges merged, |score| summed).")
    boolean collapseLayers;

    @Option(names = "--collapse-above", defaultValue = "" + CircuitDiagram.Options.DEFAULT_COLLAPSE_ABOVE, paramLabel = "N",
            description = "Collapse by layer automatically above N nodes (default: ${DEFAULT-VALUE}), and always above "
                    + CircuitDiagram.Options.DEFAULT_COLLAPSE_ABOVE_EDGES + " edges to draw, more than the bundled Graphviz "
                    + "engine can lay out in its memory.")
    int collapseAbove;

    @Option(names = "--top-edges", defaultValue = "30", paramLabel = "N",
            description = "Rows of the report's top-edges table (default: ${DEFAULT-VALUE}).")
    int topEdges;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        String fmt = format();
        if (collapseAbove < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--collapse-above must be >= 1, got " + collapseAbove);
        }
        if (topEdges < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--top-edges must be >= 0, got " + topEdges);
        }
        // a folder was refused only when written, "DIR: is a folder; give a file name to write to" (exit 1, no option)
        PathChecks.fileForWriting(spec, "--out", out);
        Path file = Files.isDirectory(circuit) ? circuit.resolve("circuit.json") : circuit;
        Path target = out != null ? out : Renderings.defaultTarget(file, fmt);
        // render circuit.json --out circuit.json --format html replaced the circuit with its own report
        if (PathChecks.sameFile(target, file)) {
            throw new CommandLine.ParameterException(spec.commandLine(), (out != null ? "--out " + out
                    : "the default output " + target) + " is the circuit file " + file + " itself: writing the "
                    + fmt + " there would replace the circuit; give --out another file");
        }
        CircuitDocument doc = CircuitJson.read(file);
        if (CircuitJson.isEapIgGraphFile(file)) { // drawn as EAP-IG's evaluate_graph runs it
            ValidationNotes.eapIgImport(spec.commandLine().getErr(), "note: ", file, doc, "drawing");
        }
        try {
            HtmlReport.check(doc);
        } catch (IllegalArgumentException e) {
            throw new CircuitFileException(file + ": " + e.getMessage());
        }
        CircuitDiagram.Options diagram = new CircuitDiagram.Options(collapseLayers, collapseAbove, null);
        CircuitDiagram.Diagram d = Renderings.write(file, doc, fmt, target, diagram, topEdges);
        var stdout = spec.commandLine().getOut();
        if (d.note() != null) {
            spec.commandLine().getErr().println("note: " + d.note());
        }
        if (d.collapsed()) { // the drawing merges edges, so its counts are not the circuit's
            stdout.printf(Locale.ROOT, "wrote %s (a circuit of %d nodes and %d edges, drawn collapsed by layer as %d nodes)%n", target,
                    d.circuitNodes(), doc.circuit().edgeCount(), d.nodeCount());
        } else {
            stdout.printf(Locale.ROOT, "wrote %s (%d nodes, %d edges)%n", target, d.nodeCount(), doc.circuit().edgeCount());
        }
        stdout.flush();
        return 0;
    }

    /**
     * --format, else the extension of --out (x.png without --format was written as HTML), else html. An extension
     * that names another format than --format, or that names none when --format is absent, is a usage error.
     */
    private String format() {
        String given = format == null ? null : format.toLowerCase(Locale.ROOT);
        if (given != null && !FORMATS.contains(given)) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--format must be one of " + String.join(", ", FORMATS) + ", got '" + format + "'");
        }
        String name = out == null || out.getFileName() == null ? "" : out.getFileName().toString();
        int dot = name.lastIndexOf('.');
        if (dot <= 0) { // no extension (or a dot file): nothing to go by
            return given != null ? given : "html";
        }
        String extension = name.substring(dot + 1).toLowerCase(Locale.ROOT);
        String named = extension.equals("htm") ? "html" : extension.equals("gv") ? "dot" : extension;
        if (given == null && !FORMATS.contains(named)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--out " + out + ": the extension '." + extension
                    + "' names no format; use .svg, .png, .dot or .html, or give --format");
        }
        if (given != null && FORMATS.contains(named) && !named.equals(given)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--out " + out + " is a ." + extension
                    + " file but --format is " + given + "; make them agree");
        }
        return given != null ? given : named;
    }
}

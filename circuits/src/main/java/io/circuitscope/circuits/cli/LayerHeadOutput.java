package io.circuitscope.circuits.cli;

import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Output options of the per-head analyses (dla, heads): JSON instead of a table, and a heatmap PNG. */
final class LayerHeadOutput {
    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Option(names = "--png", description = "Also write a layer x head heatmap.")
    Path png;

    /** Writes the [layer][head] values as a heatmap when --png was given. */
    void writeHeatmap(double[][] values) throws IOException {
        if (png != null) {
            AnalysisSupport.heatmap(png, values, 16);
        }
    }
}

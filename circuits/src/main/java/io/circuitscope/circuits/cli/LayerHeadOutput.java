package io.circuitscope.circuits.cli;

import io.circuitscope.circuits.render.HeatmapPng;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** Output options of the per-head analyses (dla, heads): JSON instead of a table, and a heatmap PNG. */
final class LayerHeadOutput {
    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Option(names = "--png", description = "Also write a layer x head heatmap.")
    Path png;

    /**
     * Refuses a --png that cannot be written, or that names the task or model file the command reads (the heatmap
     * would replace it), before the analysis runs.
     */
    void checkPng(CommandLine.Model.CommandSpec spec, Path task, String model) {
        PathChecks.fileForWriting(spec, "--png", png);
        PathChecks.notAnInput(spec, "--png", png, task, model);
    }

    /** Writes the [layer][head] values as a heatmap titled {@code title} when --png was given. */
    void writeHeatmap(double[][] values, String title) throws IOException {
        if (png != null) {
            HeatmapPng.write(png, values, 16, title, "columns: heads");
        }
    }
}

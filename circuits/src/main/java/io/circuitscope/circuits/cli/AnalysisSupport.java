package io.circuitscope.circuits.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.planted.PlantedModels;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.task.TaskFile;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import picocli.CommandLine;

/** Shared pieces of the analysis commands. */
final class AnalysisSupport {
    static final ObjectMapper JSON = new ObjectMapper();

    private AnalysisSupport() {
    }

    /** Examples of a planted model's own task when an analysis is given no task file (discover's default, seed 0). */
    static final int PLANTED_EXAMPLES = 32;

    /** A usage error, before any model is loaded, when there is no task file and the model brings no task. */
    static void requireTask(Path file, String model, CommandLine.Model.CommandSpec spec, String needer) {
        if (file == null && !PlantedModels.isPlanted(model)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--task is required for " + needer
                    + " with model " + model + " (only planted:NAME models bring their own task)");
        }
    }

    /** The task file read for the loaded model, or, without a file, the planted model's own task. */
    static Task task(Path file, String model, LoadedModel loaded) {
        if (file == null) {
            return PlantedModels.byArgument(model).task(0, PLANTED_EXAMPLES);
        }
        return TaskFile.read(file, loaded.tokenizer(), false, loaded.model().config().vocabSize(),
                loaded.model().config().contextLength());
    }

    /**
     * A heatmap PNG of {@code values[row][col]}: blue negative, white zero, red positive, scaled to the largest
     * magnitude; each cell {@code cell} pixels.
     */
    static void heatmap(Path file, double[][] values, int cell) throws IOException {
        int rows = values.length;
        int cols = values[0].length;
        double max = 1e-12;
        for (double[] r : values) {
            for (double v : r) {
                max = Math.max(max, Double.isFinite(v) ? Math.abs(v) : 0);
            }
        }
        BufferedImage img = new BufferedImage(cols * cell, rows * cell, BufferedImage.TYPE_INT_RGB);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                double x = Double.isFinite(values[r][c]) ? values[r][c] / max : 0;
                int fade = (int) Math.round(255 * (1 - Math.min(1, Math.abs(x))));
                Color color = x >= 0 ? new Color(255, fade, fade) : new Color(fade, fade, 255);
                for (int i = 0; i < cell; i++) {
                    for (int j = 0; j < cell; j++) {
                        img.setRGB(c * cell + j, r * cell + i, color.getRGB());
                    }
                }
            }
        }
        ImageIO.write(img, "png", file.toFile());
    }
}

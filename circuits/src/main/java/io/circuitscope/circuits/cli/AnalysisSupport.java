package io.circuitscope.circuits.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.task.TaskFile;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/** Shared pieces of the analysis commands. */
final class AnalysisSupport {
    static final ObjectMapper JSON = new ObjectMapper();

    private AnalysisSupport() {
    }

    static Task readTask(Path file, LoadedModel loaded) {
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

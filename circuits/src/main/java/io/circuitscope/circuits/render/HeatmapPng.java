package io.circuitscope.circuits.render;

import io.circuitscope.core.io.AtomicFile;
import io.circuitscope.core.io.ReadErrors;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * A heatmap of values[row][column] as a PNG a reader can interpret on its own: a title, the layer of each row,
 * column numbers, and a colour scale with its range (red negative, white zero, blue positive, scaled to the
 * largest magnitude: {@link DivergingScale}, as the report's heatmaps and the diagram colour a score). Non-finite
 * values have no value and are drawn grey, as the report's heatmaps draw a missing one ({@link DivergingScale#NO_VALUE}).
 * The file is written whole or not at all, its missing folders created.
 */
public final class HeatmapPng {
    private static final int LEFT = 44;
    private static final int TOP = 40;
    private static final int BOTTOM = 44;
    private static final int MIN_WIDTH = 260; // room for the title and the scale's labels

    private HeatmapPng() {
    }

    public static void write(Path file, double[][] values, int cell, String title, String columns) throws IOException {
        int rows = values.length;
        int cols = values[0].length;
        double max = 1e-12;
        for (double[] r : values) {
            for (double v : r) {
                max = Math.max(max, Double.isFinite(v) ? Math.abs(v) : 0);
            }
        }
        int width = Math.max(MIN_WIDTH, LEFT + cols * cell + 8);
        int height = TOP + rows * cell + BOTTOM;
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        g.setColor(Color.BLACK);
        g.drawString(title, 4, 14);
        g.drawString(columns, LEFT, 30);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                double v = values[r][c];
                g.setColor(new Color(Double.isFinite(v) ? DivergingScale.rgb(v, max) : DivergingScale.NO_VALUE));
                g.fillRect(LEFT + c * cell, TOP + r * cell, cell, cell);
            }
            g.setColor(Color.BLACK);
            g.drawString("L" + r, 4, TOP + r * cell + Math.min(cell, 12));
        }
        int every = Math.max(1, (int) Math.ceil(18.0 / cell)); // column numbers that fit side by side
        for (int c = 0; c < cols; c += every) {
            g.drawString(String.valueOf(c), LEFT + c * cell + 1, TOP - 2);
        }
        drawScale(g, TOP + rows * cell + 12, max);
        g.dispose();
        // ImageIO.write(img, "png", File) prints a stack trace and hides the path when it cannot open the file
        try {
            AtomicFile.write(file, tmp -> {
                try (OutputStream out = Files.newOutputStream(tmp)) {
                    ImageIO.write(img, "png", out);
                }
            });
        } catch (IOException e) {
            throw new IOException("cannot write " + file + ": " + ReadErrors.describe(e), e);
        }
    }

    /** A bar from -max (red) through 0 (white) to +max (blue), labelled at both ends and the middle. */
    private static void drawScale(Graphics2D g, int y, double max) {
        int length = 160;
        for (int i = 0; i < length; i++) {
            g.setColor(new Color(DivergingScale.rgb(2.0 * i / (length - 1) - 1, 1)));
            g.fillRect(LEFT + i, y, 1, 10);
        }
        g.setColor(Color.BLACK);
        String range = io.circuitscope.core.Decimals.fixed(max, 3);
        g.drawString("-" + range, LEFT - 4, y + 24);
        g.drawString("0", LEFT + length / 2 - 3, y + 24);
        g.drawString("+" + range, LEFT + length - 24, y + 24);
    }
}

package io.circuitscope.circuits.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The heatmap PNG carries its own legend: layer labels, column numbers and a colour scale. */
class HeatmapPngTest {
    @TempDir
    Path dir;

    @Test
    void cellsAreColouredBySignAndTheMarginsCarryLabelsAndAScale() throws Exception {
        double[][] values = {{2, 0, -2}, {Double.NaN, 1, -1}};
        Path file = dir.resolve("h.png");
        HeatmapPng.write(file, values, 16, "test map", "columns: heads");
        BufferedImage img = ImageIO.read(file.toFile());
        int left = 44;
        int top = 40;
        assertEquals(top + 2 * 16 + 44, img.getHeight());
        assertEquals(0x2166AC, rgb(img, left + 8, top + 8), "+max is the diagram's blue");
        assertEquals(0xB2182B, rgb(img, left + 2 * 16 + 8, top + 8), "-max is the diagram's red");
        assertEquals(0xFFFFFF, rgb(img, left + 16 + 8, top + 8), "zero is white");
        assertEquals(DivergingScale.NO_VALUE, rgb(img, left + 8, top + 16 + 8), "NaN has no value: the report's grey");
        int scale = top + 2 * 16 + 12 + 5;
        assertEquals(0xB2182B, rgb(img, left, scale), "the scale starts at -max");
        assertEquals(0x2166AC, rgb(img, left + 159, scale), "and ends at +max");
        assertTrue(darkPixels(img, 0, top, left - 4, top + 32) > 10, "layer labels in the left margin");
        assertTrue(darkPixels(img, 0, 0, img.getWidth(), 16) > 20, "a title");
    }

    /**
     * The PNG coloured a positive score red while the report's heatmaps and the diagram colour it blue: a cell's colour
     * is now the one the report's SVG heatmap gives the same value.
     */
    @Test
    void aCellHasTheColourTheReportsHeatmapGivesTheSameValue() throws Exception {
        double[][] values = {{2, 0.5, -0.7, -2}};
        Path file = dir.resolve("same.png");
        HeatmapPng.write(file, values, 16, "test map", "columns: heads");
        BufferedImage img = ImageIO.read(file.toFile());
        String svg = SvgCharts.heatmap(new SvgCharts.Heatmap("test map", List.of("L0"), List.of("h0", "h1", "h2", "h3"),
                new Double[][] {{2.0, 0.5, -0.7, -2.0}}), 0);
        Matcher fill = Pattern.compile("<rect x=\"\\d+\" y=\"\\d+\" width=\"\\d+\" height=\"\\d+\" fill=\"#([0-9a-f]{6})\"")
                .matcher(svg);
        for (int c = 0; c < values[0].length; c++) {
            assertTrue(fill.find(), "the SVG's cell " + c + ": " + svg);
            assertEquals(Integer.parseInt(fill.group(1), 16), rgb(img, 44 + c * 16 + 8, 40 + 8),
                    "value " + values[0][c] + ": PNG " + Integer.toHexString(rgb(img, 44 + c * 16 + 8, 40 + 8))
                            + ", SVG " + fill.group(1));
        }
        assertEquals(CircuitDiagram.POSITIVE, "#" + Integer.toHexString(rgb(img, 44 + 8, 40 + 8)),
                "the largest positive value has the diagram's colour of a positive score");
    }

    /**
     * The PNG drew a cell without a value white, as a 0, while the report's heatmap draws it grey: both now draw it
     * {@link DivergingScale#NO_VALUE} (the PNG an infinite value too), and a 0 stays white.
     */
    @Test
    void aMissingCellHasTheColourTheReportsHeatmapGivesIt() throws Exception {
        double[][] values = {{1, Double.NaN, 0, Double.POSITIVE_INFINITY, -1}};
        Path file = dir.resolve("missing.png");
        HeatmapPng.write(file, values, 16, "test map", "columns: heads");
        BufferedImage img = ImageIO.read(file.toFile());
        String svg = SvgCharts.heatmap(new SvgCharts.Heatmap("test map", List.of("L0"), List.of("h0", "h1", "h2"),
                new Double[][] {{1.0, null, 0.0}}), 0);
        Matcher fill = Pattern.compile("<rect x=\"\\d+\" y=\"\\d+\" width=\"\\d+\" height=\"\\d+\" fill=\"#([0-9a-f]{6})\"")
                .matcher(svg);
        List<Integer> svgCells = new java.util.ArrayList<>();
        while (fill.find()) {
            svgCells.add(Integer.parseInt(fill.group(1), 16));
        }
        assertEquals(3, svgCells.size(), svg);
        assertEquals(DivergingScale.NO_VALUE, svgCells.get(1), "the SVG's missing cell");
        assertEquals(svgCells.get(1), rgb(img, 44 + 16 + 8, 40 + 8), "the PNG's NaN cell as the SVG's missing one");
        assertEquals(DivergingScale.NO_VALUE, rgb(img, 44 + 3 * 16 + 8, 40 + 8), "an infinite value has none either");
        assertEquals(0xFFFFFF, rgb(img, 44 + 2 * 16 + 8, 40 + 8), "a 0 is white, unlike a missing value");
        assertEquals(svgCells.get(2), rgb(img, 44 + 2 * 16 + 8, 40 + 8), "in both");
    }

    private static int rgb(BufferedImage img, int x, int y) {
        return img.getRGB(x, y) & 0xFFFFFF;
    }

    private static int darkPixels(BufferedImage img, int x0, int y0, int x1, int y1) {
        int dark = 0;
        for (int x = x0; x < x1; x++) {
            for (int y = y0; y < y1; y++) {
                int v = rgb(img, x, y);
                dark += ((v >> 16) & 0xFF) < 100 && ((v >> 8) & 0xFF) < 100 && (v & 0xFF) < 100 ? 1 : 0;
            }
        }
        return dark;
    }
}

package io.circuitscope.circuits.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
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
        assertEquals(0xFF0000, rgb(img, left + 8, top + 8), "+max is red");
        assertEquals(0x0000FF, rgb(img, left + 2 * 16 + 8, top + 8), "-max is blue");
        assertEquals(0xFFFFFF, rgb(img, left + 16 + 8, top + 8), "zero is white");
        assertEquals(0xFFFFFF, rgb(img, left + 8, top + 16 + 8), "NaN is white");
        int scale = top + 2 * 16 + 12 + 5;
        assertEquals(0x0000FF, rgb(img, left, scale), "the scale starts at -max");
        assertEquals(0xFF0000, rgb(img, left + 159, scale), "and ends at +max");
        assertTrue(darkPixels(img, 0, top, left - 4, top + 32) > 10, "layer labels in the left margin");
        assertTrue(darkPixels(img, 0, 0, img.getWidth(), 16) > 20, "a title");
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

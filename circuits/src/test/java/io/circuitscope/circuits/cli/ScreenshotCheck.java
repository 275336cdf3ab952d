package io.circuitscope.circuits.cli;

import java.awt.image.BufferedImage;
import java.util.HashSet;
import java.util.Set;

/** Pixel statistics used to tell a drawn image from a blank one. */
final class ScreenshotCheck {
    private ScreenshotCheck() {
    }

    /** Distinct RGB colours in rows [y0, y1). */
    static int distinctColours(BufferedImage image, int y0, int y1) {
        Set<Integer> colours = new HashSet<>();
        for (int y = Math.max(0, y0); y < Math.min(image.getHeight(), y1); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                colours.add(image.getRGB(x, y) & 0xffffff);
            }
        }
        return colours.size();
    }

    /** Pixels in rows [y0, y1) that are clearly blue (positive edges) or red (negative edges). */
    static int[] blueAndRed(BufferedImage image, int y0, int y1) {
        int blue = 0;
        int red = 0;
        for (int y = Math.max(0, y0); y < Math.min(image.getHeight(), y1); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int rgb = image.getRGB(x, y);
                int r = (rgb >> 16) & 0xff;
                int g = (rgb >> 8) & 0xff;
                int b = rgb & 0xff;
                if (b > r + 60 && b > g + 20 && r < 120) {
                    blue++;
                } else if (r > b + 60 && r > g + 60 && b < 120) {
                    red++;
                }
            }
        }
        return new int[] {blue, red};
    }
}

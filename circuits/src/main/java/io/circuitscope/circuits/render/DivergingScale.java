package io.circuitscope.circuits.render;

import java.util.Locale;

/**
 * The one colour scale for signed values, so that a score has one colour wherever it is drawn: the report's SVG
 * heatmaps, the --png heatmaps and the diagram's edges. White at 0, the diagram's blue ({@link CircuitDiagram#POSITIVE})
 * for positive and red ({@link CircuitDiagram#NEGATIVE}) for negative, reached at |value| = max; a cell without a
 * value is {@link #NO_VALUE} in both heatmaps.
 */
final class DivergingScale {
    private static final int POSITIVE = Integer.parseInt(CircuitDiagram.POSITIVE.substring(1), 16);
    private static final int NEGATIVE = Integer.parseInt(CircuitDiagram.NEGATIVE.substring(1), 16);

    /** A heatmap cell with no value (null, NaN, an infinity): grey, so it never reads as a 0. */
    static final int NO_VALUE = 0xCCCCCC;

    private DivergingScale() {
    }

    /** The colour of {@code v} on a scale symmetric around 0 with {@code max} = |largest value|, as 0xRRGGBB. */
    static int rgb(double v, double max) {
        double t = max <= 0 ? 0 : Math.max(-1, Math.min(1, v / max));
        int end = t >= 0 ? POSITIVE : NEGATIVE;
        double a = Math.abs(t);
        int r = (int) Math.round(255 + (((end >> 16) & 0xFF) - 255) * a);
        int g = (int) Math.round(255 + (((end >> 8) & 0xFF) - 255) * a);
        int b = (int) Math.round(255 + ((end & 0xFF) - 255) * a);
        return (r << 16) | (g << 8) | b;
    }

    /** {@link #rgb} as an SVG colour, "#rrggbb"; {@link #NO_VALUE} for NaN and infinities, as the PNG draws them. */
    static String hex(double v, double max) {
        return String.format(Locale.ROOT, "#%06x", Double.isFinite(v) ? rgb(v, max) : NO_VALUE);
    }
}

package io.circuitscope.circuits.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The report's SVG heatmap scales its colours to the largest finite |value|: an infinite cell set the scale's end to
 * Infinity, so every finite cell was drawn white (as a 0) and the scale read "Infinity". A non-finite cell is grey,
 * as in the --png heatmap, and its title still gives its value.
 */
class SvgHeatmapTest {
    private static final Pattern FILL = Pattern.compile("<rect x=\"\\d+\" y=\"\\d+\" width=\"\\d+\" height=\"\\d+\" "
            + "fill=\"(#[0-9a-f]{6})\"><title>([^<]*)</title>");

    @Test
    void anInfiniteCellIsGreyAndLeavesTheScaleToTheFiniteCells() {
        SvgCharts.Heatmap h = new SvgCharts.Heatmap("t", List.of("r0"), List.of("c0", "c1", "c2", "c3"),
                new Double[][] {{2.0, -1.0, Double.POSITIVE_INFINITY, null}});
        String svg = SvgCharts.heatmap(h, 0);
        Matcher m = FILL.matcher(svg);
        List<String> fills = new java.util.ArrayList<>();
        List<String> titles = new java.util.ArrayList<>();
        while (m.find()) {
            fills.add(m.group(1));
            titles.add(m.group(2));
        }
        assertEquals(4, fills.size(), svg);
        assertEquals(DivergingScale.hex(1, 1), fills.get(0), "the largest finite value is the scale's end");
        assertEquals(DivergingScale.hex(-0.5, 1), fills.get(1));
        String grey = String.format(Locale.ROOT, "#%06x", DivergingScale.NO_VALUE);
        assertEquals(grey, fills.get(2), "infinity is drawn as no value");
        assertEquals(grey, fills.get(3), "null is drawn as no value");
        assertTrue(titles.get(2).endsWith(Text.fmt(Double.POSITIVE_INFINITY)), titles.get(2));
        assertFalse(svg.contains(">" + Text.fmt(Double.POSITIVE_INFINITY) + "</text>"), "the scale's labels are finite");
        assertTrue(svg.contains(">" + Text.fmt(2.0) + "</text>"), svg);
    }
}

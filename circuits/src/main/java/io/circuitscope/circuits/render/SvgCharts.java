package io.circuitscope.circuits.render;

import static io.circuitscope.circuits.render.Text.fmt;
import static io.circuitscope.circuits.render.Text.html;

import java.util.List;
import java.util.Locale;

/** Small inline SVG charts for the HTML report: heatmaps and line curves. No scripts, no external references. */
final class SvgCharts {
    private SvgCharts() {
    }

    /** A patching heatmap (rows x columns; null and non-finite values are grey, their value in the cell's title). */
    record Heatmap(String title, List<String> rowLabels, List<String> colLabels, Double[][] values) {
    }

    static String heatmap(Heatmap h, int id) {
        int rows = h.rowLabels().size();
        int cols = h.colLabels().size();
        double max = 0;
        for (Double[] row : h.values()) {
            for (Double v : row) {
                if (v != null && Double.isFinite(v)) { // an infinite cell made every other cell white
                    max = Math.max(max, Math.abs(v));
                }
            }
        }
        int cw = Math.max(10, Math.min(44, 640 / Math.max(1, cols)));
        int ch = Math.max(10, Math.min(26, 480 / Math.max(1, rows)));
        int left = 12 + 7 * Math.min(24, h.rowLabels().stream().mapToInt(String::length).max().orElse(1));
        int top = 14 + (int) (5.5 * Math.min(20, h.colLabels().stream().mapToInt(String::length).max().orElse(1)));
        int width = left + cols * cw + 90;
        int height = Math.max(top + rows * ch + 10, top + 150);
        boolean showValues = cw >= 38 && ch >= 18;
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT,
                "<svg class=\"heatmap\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"%s\">",
                width, height, width, height, html(h.title())));
        s.append("<defs><linearGradient id=\"hm-scale-").append(id).append("\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">")
                .append("<stop offset=\"0\" stop-color=\"").append(DivergingScale.hex(-1, 1)).append("\"/>")
                .append("<stop offset=\"0.5\" stop-color=\"#ffffff\"/>")
                .append("<stop offset=\"1\" stop-color=\"").append(DivergingScale.hex(1, 1)).append("\"/>")
                .append("</linearGradient></defs>");
        for (int c = 0; c < cols; c++) {
            double x = left + c * cw + cw / 2.0;
            s.append(String.format(Locale.ROOT,
                    "<text x=\"%.1f\" y=\"%d\" transform=\"rotate(-55 %.1f %d)\" class=\"lab\">%s</text>",
                    x, top - 4, x, top - 4, html(h.colLabels().get(c))));
        }
        for (int r = 0; r < rows; r++) {
            int y = top + r * ch;
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" class=\"lab\">%s</text>",
                    left - 4, y + ch / 2.0 + 4, html(h.rowLabels().get(r))));
            for (int c = 0; c < cols; c++) {
                Double v = h.values()[r][c];
                double d = v == null ? Double.NaN : v;
                int x = left + c * cw;
                s.append(String.format(Locale.ROOT,
                        "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"><title>%s, %s: %s</title></rect>",
                        x, y, cw, ch, DivergingScale.hex(d, max), html(h.rowLabels().get(r)), html(h.colLabels().get(c)),
                        v == null ? "no value" : fmt(d)));
                if (showValues && v != null && Double.isFinite(d)) {
                    s.append(String.format(Locale.ROOT,
                            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"val\" fill=\"%s\">%s</text>",
                            x + cw / 2.0, y + ch / 2.0 + 3.5, max > 0 && Math.abs(d) / max > 0.6 ? "#ffffff" : "#222222",
                            String.format(Locale.ROOT, "%.2f", d)));
                }
            }
        }
        int bx = left + cols * cw + 16;
        s.append(String.format(Locale.ROOT,
                "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"120\" fill=\"url(#hm-scale-%d)\" stroke=\"#888\"/>", bx, top,
                id));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" class=\"lab\">%s</text>", bx + 18, top + 8, fmt(max)));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" class=\"lab\">0</text>", bx + 18, top + 64));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" class=\"lab\">%s</text>", bx + 18, top + 120,
                fmt(-max)));
        s.append("</svg>");
        return s.toString();
    }

    /**
     * A line chart of points (x, y) in [0, 1] x [yMin, yMax]; {@code diagonal} draws the chance line
     * of a ROC curve.
     */
    static String curve(String title, String xLabel, String yLabel, List<double[]> points, boolean diagonal) {
        double yMin = 0;
        double yMax = 1;
        for (double[] p : points) {
            yMin = Math.min(yMin, p[1]);
            yMax = Math.max(yMax, p[1]);
        }
        int w = 300;
        int hgt = 260;
        int l = 46;
        int t = 24;
        int pw = 230;
        int ph = 190;
        double span = yMax - yMin;
        double finalYMin = yMin;
        java.util.function.DoubleUnaryOperator px = x -> l + x * pw;
        java.util.function.DoubleUnaryOperator py = y -> t + ph - (y - finalYMin) / span * ph;
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg class=\"curve\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\""
                + " aria-label=\"%s\">", w, hgt, w, hgt, html(title)));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"14\" class=\"lab\" font-weight=\"bold\">%s</text>", l,
                html(title)));
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fafafa\" stroke=\"#888\"/>",
                l, t, pw, ph));
        if (diagonal) {
            s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#aaa\""
                    + " stroke-dasharray=\"4 3\"/>", px.applyAsDouble(0), py.applyAsDouble(0), px.applyAsDouble(1),
                    py.applyAsDouble(1)));
        }
        StringBuilder pts = new StringBuilder();
        for (double[] p : points) {
            pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", px.applyAsDouble(p[0]), py.applyAsDouble(p[1])));
        }
        s.append("<polyline fill=\"none\" stroke=\"").append(CircuitDiagram.POSITIVE)
                .append("\" stroke-width=\"2\" points=\"").append(pts.toString().trim()).append("\"/>");
        for (double[] p : points.size() <= 60 ? points : List.<double[]>of()) {
            s.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"><title>%s %s, %s %s</title>"
                    + "</circle>", px.applyAsDouble(p[0]), py.applyAsDouble(p[1]), CircuitDiagram.POSITIVE, html(xLabel),
                    fmt(p[0]), html(yLabel), fmt(p[1])));
        }
        s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" class=\"lab\">%s</text>",
                l + pw / 2.0, t + ph + 32, html(xLabel)));
        s.append(String.format(Locale.ROOT, "<text x=\"12\" y=\"%.1f\" text-anchor=\"middle\" class=\"lab\""
                + " transform=\"rotate(-90 12 %.1f)\">%s</text>", t + ph / 2.0, t + ph / 2.0, html(yLabel)));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" class=\"lab\" text-anchor=\"middle\">0</text>", l, t + ph + 14));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" class=\"lab\" text-anchor=\"middle\">1</text>", l + pw,
                t + ph + 14));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" class=\"lab\" text-anchor=\"end\">%s</text>", l - 4,
                t + ph + 4, fmtShort(yMin)));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" class=\"lab\" text-anchor=\"end\">%s</text>", l - 4, t + 4,
                fmtShort(yMax)));
        s.append("</svg>");
        return s.toString();
    }

    private static String fmtShort(double v) {
        return io.circuitscope.core.Decimals.fixed(v, 2); // never "-0.00"
    }
}

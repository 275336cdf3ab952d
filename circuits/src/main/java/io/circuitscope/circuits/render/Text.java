package io.circuitscope.circuits.render;

import java.util.Locale;

/** How every drawing and the report print a number and escape text for HTML, SVG and Graphviz's HTML labels. */
final class Text {
    private Text() {
    }

    /** A score or metric value to 4 decimals, in scientific notation when tiny or huge; "n/a" for NaN. */
    static String fmt(double v) {
        if (Double.isNaN(v)) {
            return "n/a";
        }
        double a = Math.abs(v);
        // + 0.0 turns -0.0 into 0.0, which would print as "-0.0000"
        return a != 0 && (a < 1e-3 || a >= 1e5) ? String.format(Locale.ROOT, "%.3e", v)
                : String.format(Locale.ROOT, "%.4f", v + 0.0);
    }

    /** {@code s} escaped for HTML text and attribute values. */
    static String html(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}

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

    /** {@code s} escaped for HTML text and attribute values, with the characters XML cannot hold replaced ({@link #clean}). */
    static String html(String s) {
        return clean(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /**
     * {@code s} with every character XML 1.0 cannot hold (controls other than tab, newline and carriage return;
     * U+FFFE and U+FFFF; a surrogate not in a pair) replaced by U+FFFD, the replacement character. A hand-edited
     * name holding U+FFFF made circuit.svg XML that no parser reads, a lone surrogate (JSON "\\ud800") failed
     * report.html with "Input length = 1" (it has no UTF-8 form), and a NUL ended Graphviz's string early.
     */
    static String clean(String s) {
        StringBuilder out = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean pair = Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
            boolean bad = !pair && (Character.isSurrogate(c) || (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
                    || c == '\uFFFE' || c == '\uFFFF');
            if (bad && out == null) {
                out = new StringBuilder(s.length()).append(s, 0, i);
            }
            if (out != null) {
                out.append(bad ? '\uFFFD' : c);
                if (pair) {
                    out.append(s.charAt(i + 1));
                }
            }
            if (pair) {
                i++;
            }
        }
        return out == null ? s : out.toString();
    }
}

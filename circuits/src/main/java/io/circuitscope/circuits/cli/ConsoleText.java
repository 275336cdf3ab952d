package io.circuitscope.circuits.cli;

/**
 * Text from files and arguments made safe to print on a terminal: an error message quotes what it read (a token, a
 * field, a file name), and a control character in it (a NUL, an ESC beginning a terminal escape sequence, a carriage
 * return that moves back over the line) would be acted on by the terminal instead of shown.
 */
final class ConsoleText {
    private ConsoleText() {
    }

    /** {@code s} with every control character but the tab written as its escape ({@code \u001B}); a newline too. */
    static String escapeControls(String s) {
        StringBuilder out = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean control = Character.getType(c) == Character.CONTROL && c != '\t';
            if (control && out == null) {
                out = new StringBuilder(s.length() + 8).append(s, 0, i);
            }
            if (out != null) {
                if (control) {
                    out.append(String.format(java.util.Locale.ROOT, "\\u%04X", (int) c));
                } else {
                    out.append(c);
                }
            }
        }
        return out == null ? s : out.toString();
    }
}

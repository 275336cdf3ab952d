package io.circuitscope.circuits.render;

/**
 * Graphviz could not draw a diagram (the circuit and the diagram's DOT source are fine); {@code tooLarge} when
 * the bundled engine ran out of its memory, which a smaller drawing or a system Graphviz avoids.
 */
public final class DrawingException extends RuntimeException {
    private final boolean tooLarge;

    public DrawingException(String message, boolean tooLarge, Throwable cause) {
        super(message, cause);
        this.tooLarge = tooLarge;
    }

    public boolean tooLarge() {
        return tooLarge;
    }
}

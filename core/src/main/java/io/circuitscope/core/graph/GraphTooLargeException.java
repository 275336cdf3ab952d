package io.circuitscope.core.graph;

/** A model shape whose graph cannot be built in this JVM's memory, refused before any of it is allocated. */
public final class GraphTooLargeException extends IllegalArgumentException {
    public GraphTooLargeException(String message) {
        super(message);
    }
}

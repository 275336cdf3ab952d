package io.circuitscope.circuits.io;

/** A circuit.json that cannot be read, or a circuit it cannot hold; the message names the file and the field. */
public class CircuitFileException extends RuntimeException {
    public CircuitFileException(String message) {
        super(message);
    }
}

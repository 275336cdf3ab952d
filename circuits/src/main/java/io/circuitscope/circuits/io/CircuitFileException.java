package io.circuitscope.circuits.io;

/** A circuit.json that cannot be read; the message names the file and the field. */
public class CircuitFileException extends RuntimeException {
    public CircuitFileException(String message) {
        super(message);
    }
}

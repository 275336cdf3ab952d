package io.circuitscope.circuits.io;

/** An exact-effects file that cannot be read or belongs to another comparison; the message names the file and field. */
public class ExactEffectsFileException extends RuntimeException {
    public ExactEffectsFileException(String message) {
        super(message);
    }
}

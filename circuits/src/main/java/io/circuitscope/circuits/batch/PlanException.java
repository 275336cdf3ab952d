package io.circuitscope.circuits.batch;

/** A batch plan that cannot be used; the message names the file, line when known, and field. */
public class PlanException extends RuntimeException {
    public PlanException(String message) {
        super(message);
    }
}

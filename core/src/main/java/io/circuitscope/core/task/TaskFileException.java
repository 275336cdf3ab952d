package io.circuitscope.core.task;

/** A task file line that cannot be used; the message names the file, line and field. */
public class TaskFileException extends RuntimeException {
    public TaskFileException(String message) {
        super(message);
    }
}

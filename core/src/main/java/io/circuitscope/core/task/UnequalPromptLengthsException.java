package io.circuitscope.core.task;

/**
 * A task line whose clean and corrupted prompts differ in token length while no alignment was asked for. The
 * message says to make them the same length; the caller that offers alignment adds how to ask for it
 * ({@link #orAlign}), since only it knows its option (a command without one must not suggest it).
 */
public final class UnequalPromptLengthsException extends TaskFileException {
    public UnequalPromptLengthsException(String message) {
        super(message);
    }

    /** This error with the caller's way of asking for alignment, e.g. {@code "pass --align"}. */
    public TaskFileException orAlign(String howToAlign) {
        return new TaskFileException(getMessage() + " or " + howToAlign + " (left-pads the shorter)");
    }
}

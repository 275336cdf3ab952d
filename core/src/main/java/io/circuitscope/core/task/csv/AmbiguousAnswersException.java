package io.circuitscope.core.task.csv;

import io.circuitscope.core.task.TaskFileException;

/**
 * A {@code correct_idx} column that could hold token ids or Greater-Than's start years. The message asks for an
 * {@link EapAnswerColumns.Reading} in words; a caller with its own way of choosing one adds it ({@link #sayWhich}),
 * since only it knows its option.
 */
public final class AmbiguousAnswersException extends TaskFileException {
    private final String question;

    AmbiguousAnswersException(String question) {
        super(question + " Say which way to read them (as years or as token ids)");
        this.question = question;
    }

    /** This error with the caller's way of choosing, e.g. {@code "--answers years"} and {@code "--answers ids"}. */
    public TaskFileException sayWhich(String asYears, String asIds) {
        return new TaskFileException(question + " Say which: " + asYears + " or " + asIds);
    }
}

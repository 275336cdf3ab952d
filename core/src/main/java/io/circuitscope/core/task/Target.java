package io.circuitscope.core.task;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.OptionalInt;

/**
 * What a prompt should predict at one position: the correct answer and, for contrastive metrics such as
 * logit difference, the wrong one (or none). Negative positions count from the end.
 *
 * <p>An answer is usually one token, but may be a set of tokens whose probabilities add up: Greater-Than's
 * metric is p(any year after YY) - p(any year up to YY), and EAP-IG's task files list several ids per answer
 * for the same reason. {@link #correctIds()} is never empty; {@link #wrongIds()} is empty when there is no
 * wrong answer. No token may be on both sides.
 */
public record Target(int position, List<Integer> correctIds, List<Integer> wrongIds) {
    /** One correct token and one wrong token, or none ({@code wrongId} null). */
    public Target(int position, int correctId, Integer wrongId) {
        this(position, List.of(correctId), wrongId == null ? List.of() : List.of(wrongId));
    }

    public Target {
        correctIds = List.copyOf(correctIds);
        wrongIds = List.copyOf(wrongIds);
        if (correctIds.isEmpty()) {
            throw new IllegalArgumentException("a target needs at least one correct answer token");
        }
        if (new LinkedHashSet<>(correctIds).size() != correctIds.size()
                || new LinkedHashSet<>(wrongIds).size() != wrongIds.size()) {
            throw new IllegalArgumentException("an answer set lists a token twice: correct " + correctIds + ", wrong "
                    + wrongIds);
        }
        OptionalInt shared = sharedToken(correctIds, wrongIds);
        if (shared.isPresent()) {
            throw new IllegalArgumentException("token " + shared.getAsInt() + " is both a correct and a wrong answer");
        }
    }

    /**
     * The first wrong token that is also correct, if any: readers check with it before building a target, so
     * that their error can name the file's field (a contrastive metric could not tell the two answers apart).
     */
    public static OptionalInt sharedToken(List<Integer> correct, List<Integer> wrong) {
        return wrong.stream().filter(correct::contains).mapToInt(Integer::intValue).findFirst();
    }

    /** Whether either answer is a set of more than one token (the metrics then add up probabilities). */
    public boolean hasAnswerSets() {
        return correctIds.size() > 1 || wrongIds.size() > 1;
    }

    /** The correct token; for an answer set, refused (say so rather than silently read one member). */
    public int correctId() {
        if (correctIds.size() != 1) {
            throw new IllegalStateException("this target's correct answer is a set of " + correctIds.size()
                    + " tokens, not one token");
        }
        return correctIds.get(0);
    }

    /** The wrong token, or null when there is none; for an answer set, refused. */
    public Integer wrongId() {
        if (wrongIds.size() > 1) {
            throw new IllegalStateException("this target's wrong answer is a set of " + wrongIds.size()
                    + " tokens, not one token");
        }
        return wrongIds.isEmpty() ? null : wrongIds.get(0);
    }

    /** The same answers at another position. */
    public Target at(int newPosition) {
        return new Target(newPosition, correctIds, wrongIds);
    }

    public int resolvedPosition(int length) {
        int p = position < 0 ? length + position : position;
        if (p < 0 || p >= length) {
            throw new IllegalArgumentException("target position " + position + " is outside a prompt of " + length
                    + " tokens");
        }
        return p;
    }
}

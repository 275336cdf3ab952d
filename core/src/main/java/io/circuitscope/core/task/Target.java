package io.circuitscope.core.task;

/**
 * What a prompt should predict at one position: the correct token and, for contrastive metrics
 * such as logit difference, the wrong one (or null). Negative positions count from the end.
 */
public record Target(int position, int correctId, Integer wrongId) {
    public int resolvedPosition(int length) {
        int p = position < 0 ? length + position : position;
        if (p < 0 || p >= length) {
            throw new IllegalArgumentException("target position " + position + " is outside a prompt of " + length
                    + " tokens");
        }
        return p;
    }
}

package io.circuitscope.core.graph;

/** What a patched edge carries instead of its own value. */
public enum Ablation {
    /** The source's output on the corrupted prompt (resample ablation; the default). */
    RESAMPLE,
    /** The source's output on the corrupted prompts, averaged over every example of the task with the same prompt length. */
    MEAN,
    /** Zero. */
    ZERO;

    /** The name as options, plans and files spell it ({@code resample}), whatever case {@link #parse} was given. */
    public String key() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    public static Ablation parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown ablation '" + s + "' (resample, mean, zero)");
        }
    }
}

package io.circuitscope.core.task;

/**
 * Whether a task's corruption moves its metric measurably: every normalised number (faithfulness, a
 * normalised patching effect) is a ratio over that difference, so below round-off it means nothing.
 */
public final class TaskEffect {
    /**
     * Below this share of the metric's scale, max(1, |clean|, |corrupted|), the corruption's effect is too
     * small to measure: float32 keeps about 7 significant digits, so logits of size 10 carry round-off of
     * about 1e-6, and a patched pass that should reproduce a run can differ from it by that much (1.2e-7 in
     * KL on stories260K).
     */
    public static final double NO_EFFECT_SHARE = 1e-5;

    private TaskEffect() {
    }

    /** Whether {@code clean} and {@code corrupted} differ by more than round-off (see {@link #NO_EFFECT_SHARE}). */
    public static boolean measurable(double clean, double corrupted) {
        double scale = Math.max(1, Math.max(Math.abs(clean), Math.abs(corrupted)));
        return Math.abs(clean - corrupted) > NO_EFFECT_SHARE * scale;
    }
}

package io.circuitscope.validation;

import java.util.List;

/**
 * The verdict on a circuit. Faithfulness is normalised: 1 = the full model's behaviour, 0 = the
 * fully corrupted model's.
 *
 * @param gapShare              the clean-corrupted gap of a resample as a share of the task's (1 on the task
 *                              itself): every faithfulness divides by that gap
 * @param faithfulness          f(circuit) with everything outside the circuit patched
 * @param complementFaithfulness f(model minus circuit): what remains when the circuit itself is patched
 * @param sufficient            faithfulness >= the sufficiency threshold (the estimate; see
 *                              {@link #sufficientOverInterval})
 * @param necessary             complement faithfulness <= the necessity threshold (the estimate; see
 *                              {@link #necessaryOverInterval})
 * @param components            minimality score of every edge and node of the circuit
 * @param incompleteness        mean |F(C \ K) - F(M \ K)| over sampled node subsets K, normalised by the gap;
 *                              NaN (as is {@code maxIncompleteness}) when no subset was sampled
 */
public record ValidationReport(
        double clean,
        double corrupted,
        Estimate gapShare,
        Estimate faithfulness,
        Estimate complementFaithfulness,
        boolean sufficient,
        boolean necessary,
        List<ComponentScore> components,
        Estimate incompleteness,
        double maxIncompleteness,
        ValidationSettings settings,
        long forwardPasses) {

    /**
     * Drop in faithfulness when one component is removed from the circuit, signed (negative when the
     * component worked against the behaviour); {@code minimal} when its magnitude reaches the threshold.
     */
    public record ComponentScore(String name, boolean node, double score, boolean minimal) {
    }

    public List<ComponentScore> nonMinimal() {
        return components.stream().filter(c -> !c.minimal()).toList();
    }

    /** Every component matters; vacuously true for an empty circuit, so read it with {@link #minimalityApplies}. */
    public boolean minimal() {
        return nonMinimal().isEmpty();
    }

    /** Whether the circuit has components to judge: minimality of an empty circuit is no verdict, not a pass. */
    public boolean minimalityApplies() {
        return !components.isEmpty();
    }

    /**
     * Whether the intervals of the ratios can be trusted: not when, on some resamples within the interval, the
     * clean-corrupted gap shrinks below a quarter of the task's (or flips), for then a faithfulness divides by
     * almost nothing and its interval runs to extremes that say more about the task than about the circuit
     * (prompts on which the corruption barely matters, or matters the other way).
     */
    public boolean intervalsStable() {
        return Double.isNaN(gapShare.low()) || gapShare.low() >= 0.25;
    }

    /**
     * Sufficiency over the whole confidence interval: its lower end, not only the estimate, reaches the
     * threshold (the estimate's verdict when no interval was computed). Differs from {@link #sufficient}
     * when the verdict rests on which prompts the task happens to hold.
     */
    public boolean sufficientOverInterval() {
        return Double.isNaN(faithfulness.low()) ? sufficient : faithfulness.low() >= settings.sufficiencyThreshold();
    }

    /** Necessity over the whole confidence interval: its upper end stays at or below the threshold. */
    public boolean necessaryOverInterval() {
        return Double.isNaN(complementFaithfulness.high()) ? necessary
                : complementFaithfulness.high() <= settings.necessityThreshold();
    }

    /**
     * Faithfulness as far above 1 as sufficiency allows below it (above 1.2 by default): the circuit alone
     * does more than the model, usually because components that work against the behaviour (negative
     * name movers) were left out. Sufficiency still passes; this says the circuit is not the model's mechanism.
     * The margin is never below {@link #MIN_OVERSHOOT}: with {@code --sufficiency 1} a circuit that keeps the
     * whole model reads 1 plus float rounding, which is not "well above 1".
     */
    public boolean overshoots() {
        return faithfulness.value() > 1 + Math.max(1 - settings.sufficiencyThreshold(), MIN_OVERSHOOT);
    }

    /** The smallest excess over 1 flagged as an overshoot: 1% of the clean-corrupted gap. */
    public static final double MIN_OVERSHOOT = 0.01;
}

package io.circuitscope.validation;

import java.util.List;

/**
 * The verdict on a circuit. Faithfulness is normalised: 1 = the full model's behaviour, 0 = the
 * fully corrupted model's.
 *
 * @param faithfulness          f(circuit) with everything outside the circuit patched
 * @param complementFaithfulness f(model minus circuit): what remains when the circuit itself is patched
 * @param sufficient            faithfulness >= the sufficiency threshold
 * @param necessary             complement faithfulness <= the necessity threshold
 * @param components            minimality score of every edge and node of the circuit
 * @param incompleteness        mean |F(C \ K) - F(M \ K)| over sampled node subsets K, normalised by the gap
 */
public record ValidationReport(
        double clean,
        double corrupted,
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

    public boolean minimal() {
        return nonMinimal().isEmpty();
    }

    /**
     * Faithfulness as far above 1 as sufficiency allows below it (above 1.2 by default): the circuit alone
     * does more than the model, usually because components that work against the behaviour (negative
     * name movers) were left out. Sufficiency still passes; this says the circuit is not the model's mechanism.
     */
    public boolean overshoots() {
        return faithfulness.value() > 2 - settings.sufficiencyThreshold();
    }
}

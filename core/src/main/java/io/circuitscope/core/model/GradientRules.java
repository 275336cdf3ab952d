package io.circuitscope.core.model;

import java.util.ArrayList;
import java.util.List;

/**
 * How the backward pass treats the non-linear parts of the model. The forward values never change;
 * only gradients do. {@link #EXACT} is ordinary autograd. The LRP rules (Ali et al. 2022; Jafari et al.
 * 2024) used by relevance patching replace local gradients with propagation coefficients:
 *
 * @param constantNormScale LN-rule: the 1/sigma (or 1/rms) factor of every normalisation is a constant
 * @param identityActivation Identity-rule: an activation f passes gradient f(x)/x, as if it were linear
 * @param halfGates Half-rule: a product of two activations (gated MLP) splits relevance 50/50
 * @param constantAttention AH-rule: attention patterns are constants, relevance flows through values only
 */
public record GradientRules(boolean constantNormScale, boolean identityActivation, boolean halfGates,
        boolean constantAttention) {
    public static final GradientRules EXACT = new GradientRules(false, false, false, false);

    /** The rules' short names, in the order {@link #names()} writes them. */
    public static final List<String> RULE_NAMES = List.of("ln", "identity", "half", "ah");

    /** RelP's default rules (LN, Identity, Half), optionally with the AH-rule. */
    public static GradientRules relevance(boolean constantAttention) {
        return new GradientRules(true, true, true, constantAttention);
    }

    /**
     * Rules from their short names joined by '+' ({@code "ln+identity"}), or {@code "none"} for exact
     * gradients: how a researcher switches single LRP rules on and off, as the RelP authors' config list does.
     */
    public static GradientRules parse(String spec) {
        if (spec.equals("none")) {
            return EXACT;
        }
        boolean[] on = new boolean[RULE_NAMES.size()];
        for (String name : spec.split("\\+", -1)) {
            int i = RULE_NAMES.indexOf(name);
            if (i < 0) {
                throw new IllegalArgumentException("unknown LRP rule '" + name + "' in '" + spec + "' (known: "
                        + String.join(", ", RULE_NAMES) + ", joined by '+', or 'none')");
            }
            if (on[i]) {
                throw new IllegalArgumentException("LRP rule '" + name + "' is named twice in '" + spec + "'");
            }
            on[i] = true;
        }
        return new GradientRules(on[0], on[1], on[2], on[3]);
    }

    /** The inverse of {@link #parse}: the rules that are on, joined by '+', or "none". */
    public String names() {
        boolean[] on = {constantNormScale, identityActivation, halfGates, constantAttention};
        List<String> names = new ArrayList<>();
        for (int i = 0; i < on.length; i++) {
            if (on[i]) {
                names.add(RULE_NAMES.get(i));
            }
        }
        return names.isEmpty() ? "none" : String.join("+", names);
    }
}

package io.circuitscope.core.model;

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

    /** RelP's default rules (LN, Identity, Half), optionally with the AH-rule. */
    public static GradientRules relevance(boolean constantAttention) {
        return new GradientRules(true, true, true, constantAttention);
    }
}

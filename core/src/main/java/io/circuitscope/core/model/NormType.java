package io.circuitscope.core.model;

/** How a block normalises its residual-stream input. */
public enum NormType {
    /** LayerNorm with learned scale and bias (GPT-2, NeoX). */
    LAYER_NORM,
    /** RMSNorm with a learned scale (Llama, Qwen; Gemma's (1 + w) scale is folded in at load time). */
    RMS_NORM,
    /** No normalisation at all, as in TransformerLens' normalization_type=None toy models. */
    NONE
}

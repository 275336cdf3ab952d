package io.circuitscope.core.model;

/** Which dimensions of a head rotary embeddings rotate together. */
public enum RotaryStyle {
    /** Hugging Face Llama/Qwen/Gemma/NeoX: dimension i pairs with i + rotaryDim/2 ("rotate_half"). */
    HALVES,
    /** llama2.c and Meta's original code: consecutive pairs (2i, 2i+1). */
    CONSECUTIVE_PAIRS
}

package io.circuitscope.core.testing;

import java.util.stream.Stream;

/**
 * One tiny random checkpoint per model family the forward pass treats differently, for identities that must
 * hold on every one of them: vocabulary 41, context 16, two layers.
 */
public final class TinyFamilies {
    private TinyFamilies() {
    }

    /** GPT-2, the same weights as {@code TestModels.tinyGpt2(42)}. */
    public static final TinyCheckpoint GPT2 = TinyCheckpoint.gpt2(42, 2, 3, 4, 41, 16, false);

    /** Sandwich norms: each layer's head sum is normalised before it joins the residual stream. */
    public static final TinyCheckpoint GEMMA2 =
            TinyCheckpoint.llamaFamily("gemma2", 10, 2, 4, 2, 4, 12, 20, 41, 16, true, false);

    /**
     * GPT-2; Llama with grouped keys (4 query heads on 2); Qwen 2 (q/k/v biases, one key head); NeoX rotating a
     * quarter of each head, parallel attention and MLP; Gemma 2; Gemma 3 (q/k norms, sliding window).
     */
    public static Stream<TinyCheckpoint> all() {
        return Stream.of(
                GPT2,
                TinyCheckpoint.llamaFamily("llama", 7, 2, 4, 2, 4, 12, 20, 41, 16, false, false),
                TinyCheckpoint.llamaFamily("qwen2", 8, 2, 4, 1, 4, 16, 24, 41, 16, true, false),
                TinyCheckpoint.gptNeox(9, 2, 2, 8, 41, 16, 0.25, true),
                GEMMA2,
                TinyCheckpoint.gemma3(11, 2, 4, 2, 4, 12, 20, 41, 16, 3, 2));
    }
}

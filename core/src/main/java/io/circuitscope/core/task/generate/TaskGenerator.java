package io.circuitscope.core.task.generate;

import io.circuitscope.core.tokenize.TextTokenizer;

/** Builds a task deterministically from a seed; text generators need the model's tokenizer. */
public interface TaskGenerator {
    String name();

    /**
     * Up to {@code n} examples (fewer only when the tokenizer leaves too few usable prompts).
     *
     * @param tokenizer the model's tokenizer, or null (only generators over token ids accept null)
     * @param vocabSize the model's vocabulary size (token-id generators draw from it)
     */
    Generated generate(TextTokenizer tokenizer, int vocabSize, int n, long seed);

    static TextTokenizer require(TextTokenizer tokenizer, String generator) {
        if (tokenizer == null) {
            throw new IllegalArgumentException("generator '" + generator + "' builds text prompts and needs the "
                    + "model's tokenizer.json");
        }
        return tokenizer;
    }
}

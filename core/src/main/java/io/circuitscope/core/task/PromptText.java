package io.circuitscope.core.task;

import io.circuitscope.core.tokenize.TextTokenizer;
import java.util.OptionalInt;

/**
 * A text prompt as the model reads it: the tokenizer's ids, after the model's BOS token when it has one. Every
 * reader of text tasks (task files, EAP-IG CSVs) checks it the same way.
 */
public final class PromptText {
    private PromptText() {
    }

    /**
     * The prompt's ids.
     *
     * @throws IllegalArgumentException saying what is wrong (to be prefixed with where the text was written):
     *         no tokens, text the tokenizer does not know, or an id outside the model's vocabulary
     */
    public static int[] encode(TextTokenizer tokenizer, String text, int vocabSize) {
        if (tokenizer.encode(text).length == 0) {
            throw new IllegalArgumentException("tokenizes to no tokens");
        }
        int[] ids = tokenizer.encodePrompt(text);
        OptionalInt unknown = tokenizer.unknownId();
        for (int i = 0; i < ids.length; i++) {
            if (unknown.isPresent() && ids[i] == unknown.getAsInt()) {
                throw new IllegalArgumentException("has text the tokenizer does not know (token " + i + " is [UNK])");
            }
            if (ids[i] >= vocabSize) {
                throw new IllegalArgumentException("tokenizes (token " + i + ") to token id " + ids[i]
                        + ", outside the model's vocabulary [0, " + vocabSize + ")");
            }
        }
        return ids;
    }
}

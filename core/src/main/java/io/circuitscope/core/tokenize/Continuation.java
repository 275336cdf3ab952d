package io.circuitscope.core.tokenize;

import java.util.Arrays;
import java.util.List;

/**
 * The tokens of text that continues earlier text, as an answer continues its prompt. SentencePiece tokenizers
 * that prepend '▁' to every input (Llama 2, Mistral v0.1, TinyLlama: a {@code Prepend} normaliser) read
 * " Mary" on its own as [▁, ▁Mary] but after a word as [▁Mary], the token the model predicts. Encoding the
 * text after an anchor word and dropping the anchor's tokens gives the latter for every tokenizer; byte-level
 * BPE (GPT-2, Llama 3, Qwen) and Gemma's tokenizer give the same ids as encoding the text alone.
 */
final class Continuation {
    /** A one-letter word every vocabulary spells; it ends before the text's leading space, so nothing merges across. */
    private static final String ANCHOR = "a";

    private Continuation() {
    }

    /** Only text that begins with a space reads differently alone; other text is encoded alone, as HF does. */
    static boolean applies(String text) {
        return !text.isEmpty() && text.charAt(0) == ' ';
    }

    static int[] ids(TextTokenizer tokenizer, String text) {
        if (!applies(text)) {
            return tokenizer.encode(text);
        }
        int[] anchor = tokenizer.encode(ANCHOR);
        int[] joined = tokenizer.encode(ANCHOR + text);
        if (joined.length > anchor.length && Arrays.equals(joined, 0, anchor.length, anchor, 0, anchor.length)) {
            return Arrays.copyOfRange(joined, anchor.length, joined.length);
        }
        return tokenizer.encode(text); // the anchor merged with the text: no cleaner reading than the text alone
    }

    /** The vocabulary's spelling of each of {@link #ids}' tokens, for messages. */
    static List<String> pieces(TextTokenizer tokenizer, String text) {
        if (!applies(text)) {
            return tokenizer.pieces(text);
        }
        int anchor = tokenizer.encode(ANCHOR).length;
        List<String> joined = tokenizer.pieces(ANCHOR + text);
        int[] ids = ids(tokenizer, text);
        return joined.size() == anchor + ids.length ? joined.subList(anchor, joined.size()) : tokenizer.pieces(text);
    }
}

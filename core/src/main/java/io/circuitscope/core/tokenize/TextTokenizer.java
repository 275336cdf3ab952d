package io.circuitscope.core.tokenize;

import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;

/** Text to token ids and back. */
public interface TextTokenizer extends AutoCloseable {
    int[] encode(String text);

    String decode(int[] ids);

    /** The string of one token, as the vocabulary spells it. */
    String token(int id);

    /**
     * The id that stands for text the vocabulary lacks ({@code [UNK]}), when the tokenizer has one; byte-level
     * tokenizers spell everything and have none.
     */
    default OptionalInt unknownId() {
        return OptionalInt.empty();
    }

    /**
     * The token every prompt begins with (BOS), when the model has one: GPT-2's {@code <|endoftext|>}, Llama's
     * {@code <s>}, Gemma's {@code <bos>}. TransformerLens and EAP-IG prepend it to every prompt (and the
     * known circuits were found that way); a model never run without it (Gemma) behaves differently without it.
     */
    default OptionalInt bos() {
        return OptionalInt.empty();
    }

    /** The ids of a prompt: {@link #bos()} when there is one, then the tokens of {@code text}. Answers use {@link #encode}. */
    default int[] encodePrompt(String text) {
        int[] tokens = encode(text);
        if (bos().isEmpty()) {
            return tokens;
        }
        int[] out = new int[tokens.length + 1];
        out[0] = bos().getAsInt();
        System.arraycopy(tokens, 0, out, 1, tokens.length);
        return out;
    }

    /**
     * The vocabulary's spelling of each token of {@code encode(text)} ("▁Mary", "ĠMary"), for messages that
     * must show what the tokenizer did; by default each token decoded on its own.
     */
    default List<String> pieces(String text) {
        return Arrays.stream(encode(text)).mapToObj(this::token).toList();
    }

    /**
     * The ids of {@code text} as it continues earlier text, the way an answer follows its prompt. Differs from
     * {@link #encode} only for text that begins with a space, read by a tokenizer that prepends '▁' to its
     * input (Llama 2): " Mary" is then [▁Mary], the token after "to" in "gave a drink to Mary", not [▁, ▁Mary].
     */
    default int[] encodeContinuation(String text) {
        return Continuation.ids(this, text);
    }

    /**
     * The id of {@code text} when it is exactly one token as a continuation ({@link #encodeContinuation}).
     *
     * @throws IllegalArgumentException naming the text and its pieces when it is not one token
     */
    default int singleToken(String text) {
        int[] ids = encodeContinuation(text);
        if (ids.length != 1) {
            StringBuilder pieces = new StringBuilder();
            for (String piece : Continuation.pieces(this, text)) {
                pieces.append(pieces.length() == 0 ? "" : ", ").append('\'').append(piece).append('\'');
            }
            throw new IllegalArgumentException("'" + text + "' is " + ids.length + " tokens [" + pieces
                    + "], not one");
        }
        return ids[0];
    }

    @Override
    void close();
}

package io.circuitscope.core.tokenize;

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
     * The id of {@code text} when it is exactly one token.
     *
     * @throws IllegalArgumentException naming the text and its pieces when it is not one token
     */
    default int singleToken(String text) {
        int[] ids = encode(text);
        if (ids.length != 1) {
            StringBuilder pieces = new StringBuilder();
            for (int id : ids) {
                pieces.append(pieces.length() == 0 ? "" : ", ").append('\'').append(token(id)).append('\'');
            }
            throw new IllegalArgumentException("'" + text + "' is " + ids.length + " tokens [" + pieces
                    + "], not one");
        }
        return ids[0];
    }

    @Override
    void close();
}

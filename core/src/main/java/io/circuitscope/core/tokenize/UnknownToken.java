package io.circuitscope.core.tokenize;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.OptionalInt;

/**
 * The unknown-token id a {@code tokenizer.json} declares: {@code model.unk_token} looked up in the vocabulary or
 * the added tokens (WordLevel, WordPiece, BPE), or {@code model.unk_id} (Unigram). The tokenizers bindings do not
 * expose it, and without it text the vocabulary lacks passes unnoticed as a run of {@code [UNK]} ids.
 */
final class UnknownToken {
    private UnknownToken() {
    }

    static OptionalInt id(JsonNode root) {
        JsonNode model = root.path("model");
        if (model.path("unk_id").isInt()) {
            return OptionalInt.of(model.get("unk_id").asInt());
        }
        String unk = model.path("unk_token").textValue();
        if (unk == null) {
            return OptionalInt.empty();
        }
        if (model.path("vocab").path(unk).isInt()) {
            return OptionalInt.of(model.get("vocab").get(unk).asInt());
        }
        for (JsonNode added : root.path("added_tokens")) {
            if (unk.equals(added.path("content").textValue()) && added.path("id").isInt()) {
                return OptionalInt.of(added.get("id").asInt());
            }
        }
        return OptionalInt.empty();
    }
}

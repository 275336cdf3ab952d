package io.circuitscope.core.tokenize;

import com.fasterxml.jackson.databind.JsonNode;
import io.circuitscope.core.io.CheckpointException;
import io.circuitscope.core.io.ConfigReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;

/**
 * The token a model's prompts begin with, chosen as TransformerLens chooses it (EAP-IG tokenizes through
 * TransformerLens): {@code tokenizer_config.json}'s {@code bos_token} (a string or an added-token object); when
 * that is null, its {@code eos_token}, which TransformerLens puts in its place (Qwen: {@code <|endoftext|>}, or
 * {@code <|im_end|>} for the instruct models); without a {@code bos_token} field, {@code config.json}'s
 * {@code bos_token_id} (GPT-2's 50256, whose tokenizer_config.json names none).
 */
public final class BosToken {
    private BosToken() {
    }

    public static OptionalInt find(Path modelDir, ConfigReader config, TextTokenizer tokenizer, int vocabSize) {
        Path tokenizerConfig = modelDir.resolve("tokenizer_config.json");
        if (Files.isRegularFile(tokenizerConfig)) {
            ConfigReader t = ConfigReader.read(tokenizerConfig);
            if (t.root().has("bos_token")) {
                String field = t.has("bos_token") || !t.has("eos_token") ? "bos_token" : "eos_token";
                return fromToken(t, field, tokenizer, vocabSize);
            }
        }
        JsonNode id = config.node("bos_token_id");
        if (id == null || id.isNull()) {
            return OptionalInt.empty();
        }
        if (!id.isIntegralNumber() || !id.canConvertToInt() || id.asInt() < 0 || id.asInt() >= vocabSize) {
            throw config.error("bos_token_id", "must be a token id in [0, " + vocabSize + "), got " + id);
        }
        return OptionalInt.of(id.asInt());
    }

    private static OptionalInt fromToken(ConfigReader t, String field, TextTokenizer tokenizer, int vocabSize) {
        JsonNode token = t.node(field);
        if (token == null || token.isNull()) {
            return OptionalInt.empty();
        }
        JsonNode content = token.isObject() ? token.get("content") : token;
        if (content == null || !content.isTextual() || content.asText().isEmpty()) {
            throw t.error(field, "must be a token's text or an object with its 'content', got " + token);
        }
        int id;
        try {
            id = tokenizer.singleToken(content.asText());
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(t.file() + ": field '" + field + "': the tokenizer does not know it as one "
                    + "token: " + e.getMessage());
        }
        if (tokenizer.unknownId().isPresent() && id == tokenizer.unknownId().getAsInt()) {
            throw new CheckpointException(t.file() + ": field '" + field + "': the tokenizer does not know '"
                    + content.asText() + "' (it reads as the unknown token)");
        }
        if (id >= vocabSize) {
            throw new CheckpointException(t.file() + ": field '" + field + "': '" + content.asText() + "' is token id "
                    + id + ", outside the model's vocabulary [0, " + vocabSize + ")");
        }
        return OptionalInt.of(id);
    }
}

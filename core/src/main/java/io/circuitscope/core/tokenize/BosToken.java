package io.circuitscope.core.tokenize;

import com.fasterxml.jackson.databind.JsonNode;
import io.circuitscope.core.io.CheckpointException;
import io.circuitscope.core.io.ConfigReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;

/**
 * The token a model's prompts begin with, as Hugging Face records it: {@code tokenizer_config.json}'s
 * {@code bos_token} (a string or an added-token object; null there means the model has none, as for Qwen),
 * else {@code config.json}'s {@code bos_token_id} (GPT-2's 50256, whose tokenizer_config.json names none).
 */
public final class BosToken {
    private BosToken() {
    }

    public static OptionalInt find(Path modelDir, ConfigReader config, TextTokenizer tokenizer, int vocabSize) {
        Path tokenizerConfig = modelDir.resolve("tokenizer_config.json");
        if (Files.isRegularFile(tokenizerConfig)) {
            ConfigReader t = ConfigReader.read(tokenizerConfig);
            if (t.root().has("bos_token")) {
                return fromToken(t, tokenizer);
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

    private static OptionalInt fromToken(ConfigReader t, TextTokenizer tokenizer) {
        JsonNode token = t.node("bos_token");
        if (token.isNull()) {
            return OptionalInt.empty();
        }
        JsonNode content = token.isObject() ? token.get("content") : token;
        if (content == null || !content.isTextual() || content.asText().isEmpty()) {
            throw t.error("bos_token", "must be a token's text or an object with its 'content', got " + token);
        }
        try {
            return OptionalInt.of(tokenizer.singleToken(content.asText()));
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(t.file() + ": field 'bos_token': the tokenizer does not know it as one "
                    + "token: " + e.getMessage());
        }
    }
}

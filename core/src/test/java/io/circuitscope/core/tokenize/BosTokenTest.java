package io.circuitscope.core.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.io.CheckpointException;
import io.circuitscope.core.io.ConfigReader;
import io.circuitscope.core.testing.TinyTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which token begins a model's prompts, read the way Hugging Face records it, and how prompts then begin. */
class BosTokenTest {
    @TempDir
    Path dir;
    int vocab;
    int endOfText;

    @BeforeEach
    void tokenizer() throws Exception {
        vocab = TinyTokenizer.write(dir);
        endOfText = TinyTokenizer.addSpecialToken(dir, "<|endoftext|>");
        vocab = endOfText + 1;
    }

    private OptionalInt find(String config, String tokenizerConfig) throws Exception {
        Files.writeString(dir.resolve("config.json"), config);
        Path tc = dir.resolve("tokenizer_config.json");
        Files.deleteIfExists(tc);
        if (tokenizerConfig != null) {
            Files.writeString(tc, tokenizerConfig);
        }
        try (HfTokenizer t = HfTokenizer.load(dir.resolve("tokenizer.json"), false)) {
            return BosToken.find(dir, ConfigReader.read(dir.resolve("config.json")), t, vocab);
        }
    }

    @Test
    void tokenizerConfigNamesItElseConfigGivesItsId() throws Exception {
        // GPT-2: tokenizer_config.json names no BOS, config.json's bos_token_id does
        assertEquals(OptionalInt.of(endOfText), find("{\"bos_token_id\": " + endOfText + "}", "{\"model_max_length\": 1024}"));
        assertEquals(OptionalInt.of(7), find("{\"bos_token_id\": 7}", null));
        // Llama/Gemma: the token's text, as a string or an added-token object
        assertEquals(OptionalInt.of(endOfText), find("{}", "{\"bos_token\": \"<|endoftext|>\"}"));
        assertEquals(OptionalInt.of(endOfText), find("{\"bos_token_id\": 3}",
                "{\"bos_token\": {\"__type\": \"AddedToken\", \"content\": \"<|endoftext|>\", \"special\": true}}"));
        // Qwen: bos_token null, and TransformerLens (so EAP-IG) begins prompts with the eos_token instead
        assertEquals(OptionalInt.of(endOfText), find("{\"bos_token_id\": 3}",
                "{\"bos_token\": null, \"eos_token\": \"<|endoftext|>\"}"));
        // neither named: none, whatever config.json says
        assertEquals(OptionalInt.empty(), find("{\"bos_token_id\": " + endOfText + "}", "{\"bos_token\": null}"));
        assertEquals(OptionalInt.empty(), find("{}", null));
    }

    @Test
    void badSettingsNameTheirFileAndField() throws Exception {
        CheckpointException id = assertThrows(CheckpointException.class, () -> find("{\"bos_token_id\": " + vocab + "}", null));
        assertTrue(id.getMessage().contains("config.json: field 'bos_token_id' must be a token id in [0, " + vocab + ")"),
                id.getMessage());
        CheckpointException unknown = assertThrows(CheckpointException.class, () -> find("{}", "{\"bos_token\": \"<s>\"}"));
        assertTrue(unknown.getMessage().contains("tokenizer_config.json: field 'bos_token': the tokenizer does not know it "
                + "as one token"), unknown.getMessage());
        vocab = endOfText; // a checkpoint whose vocabulary ends before the tokenizer's special token
        CheckpointException outside = assertThrows(CheckpointException.class,
                () -> find("{}", "{\"bos_token\": \"<|endoftext|>\"}"));
        assertTrue(outside.getMessage().contains("'<|endoftext|>' is token id " + endOfText + ", outside the model's "
                + "vocabulary"), outside.getMessage());
        vocab = endOfText + 1;
        CheckpointException shape = assertThrows(CheckpointException.class, () -> find("{}", "{\"bos_token\": 5}"));
        assertTrue(shape.getMessage().contains("field 'bos_token' must be a token's text"), shape.getMessage());
    }

    @Test
    void promptsBeginWithItAndAnswersDoNot() throws Exception {
        try (HfTokenizer plain = HfTokenizer.load(dir.resolve("tokenizer.json"), false)) {
            HfTokenizer t = plain.withBos(OptionalInt.of(endOfText));
            int[] text = t.encode("Hi Mary went");
            int[] prompt = t.encodePrompt("Hi Mary went");
            assertEquals(text.length + 1, prompt.length);
            assertEquals(endOfText, prompt[0]);
            assertArrayEquals(text, java.util.Arrays.copyOfRange(prompt, 1, prompt.length));
            assertEquals(t.singleToken(" Mary"), plain.singleToken(" Mary"), "answers stay one token");
            assertArrayEquals(text, plain.encodePrompt("Hi Mary went"), "no BOS, no change");
        }
    }
}

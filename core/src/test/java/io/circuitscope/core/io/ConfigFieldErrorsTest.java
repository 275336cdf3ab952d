package io.circuitscope.core.io;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.testing.TinyCheckpoint;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A bad config.json value fails with a message that starts with the config.json path and names the
 * field as the file spells it and the value: no Java exception text, no internal field names.
 */
class ConfigFieldErrorsTest {
    @TempDir
    Path dir;

    private String loadFails(TinyCheckpoint ck) throws Exception {
        ck.write(dir, TensorDtype.F32);
        String m = assertThrows(CheckpointException.class, () -> ModelLoader.load(dir).close()).getMessage();
        assertTrue(m.startsWith(dir.resolve("config.json") + ": "), "message should start with the config path: " + m);
        for (String internal : new String[] {"by zero", "Exception", "dModel", "nLayers", "nHeads", "vocabSize",
                "contextLength", "normEps", "dMlp", "config field"}) {
            assertFalse(m.contains(internal), "message should not mention '" + internal + "': " + m);
        }
        return m;
    }

    private static void assertContains(String message, String... parts) {
        for (String part : parts) {
            assertTrue(message.contains(part), "message should mention '" + part + "': " + message);
        }
    }

    /** The CSV value as JSON would hold it: an integer, a number or a string. */
    private static Object json(String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException notInt) {
            try {
                return Double.parseDouble(value);
            } catch (NumberFormatException notNumber) {
                return value;
            }
        }
    }

    private static TinyCheckpoint gpt2() {
        return TinyCheckpoint.gpt2(3, 1, 2, 4, 19, 8, false);
    }

    private static TinyCheckpoint neox() {
        return TinyCheckpoint.gptNeox(1, 1, 2, 8, 11, 8, 0.25, true);
    }

    private static TinyCheckpoint llama() {
        return TinyCheckpoint.llamaFamily("llama", 1, 1, 4, 2, 4, 16, 20, 23, 16, false, false);
    }

    @ParameterizedTest
    @CsvSource({
        "n_head, 0, must be positive, got 0",
        "n_head, -2, must be positive, got -2",
        "n_layer, -1, must be positive, got -1",
        "n_embd, -8, must be positive, got -8",
        "vocab_size, 0, must be positive, got 0",
        "n_positions, 0, must be positive, got 0",
        "n_inner, 0, must be positive, got 0",
        "layer_norm_epsilon, -1, must be a positive number, got -1",
        "layer_norm_epsilon, 0.0, must be a positive number, got 0.0",
        "activation_function, swishy, is 'swishy'",
    })
    void gpt2Field(String field, String value, String problem) throws Exception {
        assertContains(loadFails(gpt2().withConfig(field, json(value))), "field '" + field + "' " + problem);
    }

    @Test
    void gpt2HeadsThatDoNotDivideTheWidth() throws Exception {
        assertContains(loadFails(gpt2().withConfig("n_head", 3)), "'n_embd'", "(8) is not divisible by n_head (3)");
    }

    @Test
    void gpt2ContextUnderItsOtherName() throws Exception {
        TinyCheckpoint ck = gpt2().withoutConfig("n_positions").withConfig("n_ctx", 0);
        assertContains(loadFails(ck), "field 'n_ctx' must be positive, got 0");
    }

    @ParameterizedTest
    @CsvSource({
        "num_attention_heads, 0, must be positive, got 0",
        "hidden_size, -16, must be positive, got -16",
        "num_hidden_layers, 0, must be positive, got 0",
        "intermediate_size, -1, must be positive, got -1",
        "max_position_embeddings, 0, must be positive, got 0",
        "layer_norm_eps, -0.5, must be a positive number, got -0.5",
        "hidden_act, tanh, is 'tanh'",
    })
    void neoxField(String field, String value, String problem) throws Exception {
        assertContains(loadFails(neox().withConfig(field, json(value))), "field '" + field + "' " + problem);
    }

    @Test
    void neoxHeadsThatDoNotDivideTheWidth() throws Exception {
        assertContains(loadFails(neox().withConfig("num_attention_heads", 3)), "'hidden_size'",
                "(16) is not divisible by num_attention_heads (3)");
    }

    @ParameterizedTest
    @CsvSource({
        "num_attention_heads, 0, must be positive, got 0",
        "num_key_value_heads, 0, must be positive, got 0",
        "num_hidden_layers, -1, must be positive, got -1",
        "vocab_size, 0, must be positive, got 0",
        "head_dim, 0, must be positive, got 0",
        "rms_norm_eps, -1, must be a positive number, got -1",
        "hidden_act, mish, is 'mish'",
    })
    void llamaField(String field, String value, String problem) throws Exception {
        assertContains(loadFails(llama().withConfig(field, json(value))), "field '" + field + "' " + problem);
    }

    @Test
    void kvHeadsThatDoNotDivideTheHeads() throws Exception {
        assertContains(loadFails(llama().withConfig("num_key_value_heads", 3)), "'num_key_value_heads'",
                "(3) does not divide num_attention_heads (4)");
    }

    @Test
    void gemma3NestedFieldIsNamedWithItsSection() throws Exception {
        TinyCheckpoint text = TinyCheckpoint.gemma3(1, 2, 2, 1, 4, 8, 12, 17, 16, 4, 2);
        TinyCheckpoint multimodal = text.withConfig("num_hidden_layers", 0).asGemma3Multimodal(false);
        assertContains(loadFails(multimodal), "field 'text_config.num_hidden_layers' must be positive, got 0");
    }

    /**
     * Found by CheckpointFuzzTest: Gemma's per-layer attention pattern was built from num_hidden_layers before any
     * weight was looked at, so 2147483647 was an OutOfMemoryError ("Requested array size exceeds VM limit").
     */
    @Test
    void aGemmaLayerCountNoModelHasIsNamedNotAnOutOfMemoryError() throws Exception {
        TinyCheckpoint gemma2 = TinyCheckpoint.llamaFamily("gemma2", 10, 2, 4, 2, 4, 12, 20, 41, 16, true, false);
        assertContains(loadFails(gemma2.withConfig("num_hidden_layers", Integer.MAX_VALUE)),
                "field 'num_hidden_layers' is 2147483647, more than the 1000000 layers");
        TinyCheckpoint gemma3 = TinyCheckpoint.gemma3(11, 2, 4, 2, 4, 12, 20, 41, 16, 3, 2);
        assertContains(loadFails(gemma3.withConfig("num_hidden_layers", Integer.MAX_VALUE)),
                "field 'num_hidden_layers' is 2147483647");
    }
}

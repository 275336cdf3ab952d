package io.circuitscope.core.arch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.io.CheckpointException;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.io.ModelLoader;
import io.circuitscope.core.io.TensorDtype;
import io.circuitscope.core.model.Activation;
import io.circuitscope.core.model.ModelConfig;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Config fields read as Hugging Face's configuration classes read them, where a field left out or written in
 * another place would otherwise change the numbers without a word.
 */
class HfConfigDefaultsTest {
    @TempDir
    Path dir;

    private ModelConfig load(TinyCheckpoint ck) throws Exception {
        Path d = Files.createTempDirectory(dir, "ck");
        ck.write(d, TensorDtype.F32);
        try (LoadedModel loaded = ModelLoader.load(d)) {
            return loaded.model().config();
        }
    }

    @Test
    void mistralWithoutSlidingWindowTakesMistralConfigsDefault() throws Exception {
        TinyCheckpoint mistral = TinyCheckpoint.llamaFamily("mistral", 1, 1, 4, 2, 4, 16, 20, 23, 16, false, false);
        assertEquals(4096, load(mistral.withoutConfig("sliding_window")).slidingWindow());
        assertEquals(0, load(mistral.withConfig("sliding_window", null)).slidingWindow(), "null turns it off");
        assertEquals(8, load(mistral.withConfig("sliding_window", 8)).slidingWindow());
        String m = assertThrows(CheckpointException.class, () -> load(mistral.withConfig("sliding_window", 4096.5)))
                .getMessage();
        assertTrue(m.contains("'sliding_window' must be a whole number >= 0, got 4096.5"), m);
    }

    @Test
    void gemmaRefusesASlidingWindowThatIsNoWholeNumberAsMistralDoes() throws Exception {
        TinyCheckpoint gemma = TinyCheckpoint.llamaFamily("gemma2", 1, 2, 4, 2, 4, 16, 20, 23, 16, true, false);
        assertEquals(8, load(gemma.withConfig("sliding_window", 8)).slidingWindow());
        for (Object bad : new Object[] {1.5, -5}) {
            String m = assertThrows(CheckpointException.class, () -> load(gemma.withConfig("sliding_window", bad)),
                    String.valueOf(bad)).getMessage();
            assertTrue(m.contains("'sliding_window' must be a whole number >= 0, got " + ((Number) bad).doubleValue()), m);
        }
    }

    @Test
    void gemmaReadsHiddenActivationOnly() throws Exception {
        TinyCheckpoint gemma = TinyCheckpoint.llamaFamily("gemma2", 1, 2, 4, 2, 4, 16, 20, 23, 16, true, false)
                .withoutConfig("hidden_activation").withConfig("hidden_act", "gelu");
        assertEquals(Activation.GELU_TANH, load(gemma).activation(), "Gemma2Config ignores hidden_act");
    }

    @Test
    void llamaRefusesRotaryOnPartOfTheHead() throws Exception {
        TinyCheckpoint llama = TinyCheckpoint.llamaFamily("llama", 1, 1, 4, 2, 4, 16, 20, 23, 16, false, false);
        for (Map.Entry<String, Object> field : Map.<String, Object>of("partial_rotary_factor", 0.5,
                "rope_parameters", Map.of("rope_type", "default", "rope_theta", 10000.0, "partial_rotary_factor", 0.5))
                .entrySet()) {
            String m = assertThrows(CheckpointException.class, () -> load(llama.withConfig(field.getKey(),
                    field.getValue()))).getMessage();
            assertTrue(m.contains("partial_rotary_factor' is 0.5"), m);
        }
        assertEquals(4, load(llama.withConfig("partial_rotary_factor", 1.0)).rotary().rotaryDim());
    }

    @Test
    void neoxReadsTheRotaryFractionFromRopeParameters() throws Exception {
        // transformers v5 re-saves rotary_pct as rope_parameters.partial_rotary_factor
        TinyCheckpoint neox = TinyCheckpoint.gptNeox(1, 1, 2, 8, 11, 8, 0.25, true).withoutConfig("rotary_pct");
        assertEquals(2, load(neox).rotary().rotaryDim(), "the default fraction, 0.25");
        TinyCheckpoint v5 = neox.withConfig("rope_parameters",
                Map.of("rope_type", "default", "rope_theta", 10000.0, "partial_rotary_factor", 1.0));
        assertEquals(8, load(v5).rotary().rotaryDim());
    }

    /**
     * GPTNeoXConfig takes the rotary share from rotary_pct and the base from rotary_emb_base: v4 overwrites a top-level
     * partial_rotary_factor and rope_theta with them (or their defaults 0.25 and 10000), v5 leaves those fields unused.
     * circuitscope once read them in their place, rotating another share of each head at another base than Hugging Face.
     */
    @Test
    void neoxIgnoresTopLevelPartialRotaryFactorAndRopeThetaAsGptNeoXConfigDoes() throws Exception {
        TinyCheckpoint neox = TinyCheckpoint.gptNeox(1, 1, 2, 16, 11, 8, 0.25, true).withoutConfig("rotary_pct")
                .withoutConfig("rotary_emb_base").withConfig("partial_rotary_factor", 1.0).withConfig("rope_theta", 50.0);
        Path d = Files.createTempDirectory(dir, "ck");
        neox.write(d, TensorDtype.F32);
        try (LoadedModel loaded = ModelLoader.load(d)) {
            ModelConfig config = loaded.model().config();
            assertEquals(4, config.rotary().rotaryDim(), "rotary_pct's default share, 0.25 of 16");
            assertEquals(Math.pow(10000.0, -0.5), config.rotary().inverseFrequencies()[1], 1e-12,
                    "rotary_emb_base's default base, 10000");
            String notes = String.join("\n", loaded.notes());
            assertTrue(notes.contains("'partial_rotary_factor' is 1.0") && notes.contains("rotates 0.25 of each head"),
                    notes);
            assertTrue(notes.contains("'rope_theta' is 50.0") && notes.contains("uses 10000.0"), notes);
        }
        // Given as GPTNeoXConfig reads them, the share and base are used, and nothing is reported.
        TinyCheckpoint v4 = neox.withConfig("rotary_pct", 1.0).withConfig("rotary_emb_base", 50.0);
        Path d4 = Files.createTempDirectory(dir, "ck");
        v4.write(d4, TensorDtype.F32);
        try (LoadedModel loaded = ModelLoader.load(d4)) {
            assertEquals(16, loaded.model().config().rotary().rotaryDim());
            assertEquals(Math.pow(50.0, -2.0 / 16), loaded.model().config().rotary().inverseFrequencies()[1], 1e-12);
            assertEquals(List.of(), loaded.notes());
        }
        // rotary_pct (transformers 4) and rope_parameters.partial_rotary_factor (5) that differ: no one share is
        // Hugging Face's, so refused; the same share in both loads
        TinyCheckpoint both = neox.withConfig("rotary_pct", 0.5).withConfig("rope_parameters",
                java.util.Map.of("rope_type", "default", "partial_rotary_factor", 1.0, "rope_theta", 10000.0));
        Path db = Files.createTempDirectory(dir, "ck");
        both.write(db, TensorDtype.F32);
        String m = org.junit.jupiter.api.Assertions.assertThrows(io.circuitscope.core.io.CheckpointException.class,
                () -> ModelLoader.load(db).close()).getMessage();
        assertTrue(m.contains("field 'rotary_pct' is 0.5 but rope_parameters.partial_rotary_factor is 1.0"), m);
        Path ds = Files.createTempDirectory(dir, "ck");
        neox.withConfig("rotary_pct", 1.0).withConfig("rope_parameters", java.util.Map.of("rope_type", "default",
                "partial_rotary_factor", 1.0, "rope_theta", 10000.0)).write(ds, TensorDtype.F32);
        try (LoadedModel loaded = ModelLoader.load(ds)) {
            assertEquals(16, loaded.model().config().rotary().rotaryDim());
        }
    }

    /**
     * num_key_value_heads left out takes the family's config class default, which is not num_attention_heads everywhere:
     * MistralConfig 8, Qwen2Config and Qwen3Config 32, Gemma2Config 4 (LlamaConfig: num_attention_heads). circuitscope
     * took num_attention_heads for all of them, refusing such a grouped-query file over a k_proj shape.
     */
    @Test
    void absentKeyValueHeadsTakeTheConfigClassDefault() throws Exception {
        for (Map.Entry<String, Integer> family : Map.of("mistral", 8, "qwen2", 32, "qwen3", 32, "gemma2", 4).entrySet()) {
            int kv = family.getValue();
            TinyCheckpoint ck = TinyCheckpoint.llamaFamily(family.getKey(), 1, 1, 2 * kv, kv, 2, 8, 12, 23, 16, false,
                    false).withoutConfig("num_key_value_heads");
            assertEquals(kv, load(ck).nKvHeads(), family.getKey());
        }
        TinyCheckpoint llama = TinyCheckpoint.llamaFamily("llama", 1, 1, 4, 4, 2, 8, 12, 23, 16, false, false);
        assertEquals(4, load(llama.withoutConfig("num_key_value_heads")).nKvHeads(), "LlamaConfig: the heads");
        TinyCheckpoint mistral = TinyCheckpoint.llamaFamily("mistral", 1, 1, 4, 4, 2, 8, 12, 23, 16, false, false);
        assertEquals(4, load(mistral.withConfig("num_key_value_heads", null)).nKvHeads(), "null: the heads");
        String m = assertThrows(CheckpointException.class, () -> load(mistral.withoutConfig("num_key_value_heads")))
                .getMessage();
        assertTrue(m.contains("'num_key_value_heads' (8, the mistral config class's default, as the field is absent) "
                + "does not divide num_attention_heads (4)"), m);
    }

    /**
     * Hugging Face's MistralAttention has no biases whatever attention_bias says: the field alone changes nothing, and
     * a Mistral file that carries attention biases (which Hugging Face would drop) is refused rather than run with them.
     */
    @Test
    void mistralHasNoAttentionBiases() throws Exception {
        TinyCheckpoint mistral = TinyCheckpoint.llamaFamily("mistral", 1, 1, 4, 2, 4, 16, 20, 23, 16, false, true);
        assertEquals(Boolean.TRUE, mistral.config().get("attention_bias"));
        assertEquals(2, load(mistral).nKvHeads(), "attention_bias: true without bias tensors loads");
        TinyCheckpoint biased = TinyCheckpoint.llamaFamily("llama", 1, 1, 4, 2, 4, 16, 20, 23, 16, false, true)
                .withConfig("model_type", "mistral");
        String m = assertThrows(CheckpointException.class, () -> load(biased)).getMessage();
        assertTrue(m.contains("tensor 'model.layers.0.self_attn.q_proj.bias' is an attention bias")
                && m.contains("\"model_type\": \"llama\""), m);
    }

    /**
     * llama3 rope scaling without original_max_position_embeddings in its object: transformers v5 takes a top-level
     * one, else max_position_embeddings (circuitscope refused it); both given and different is refused, as v4 and v5
     * would read different ones.
     */
    @Test
    void llama3RopeTakesItsOriginalContextAsTransformersV5Does() throws Exception {
        TinyCheckpoint llama = TinyCheckpoint.llamaFamily("llama", 1, 1, 2, 1, 16, 8, 12, 23, 64, false, false)
                .withConfig("rope_theta", 50.0);
        Map<String, Object> llama3 = Map.of("rope_type", "llama3", "factor", 8.0, "low_freq_factor", 1.0,
                "high_freq_factor", 4.0);
        Map<String, Object> with64 = new java.util.HashMap<>(llama3);
        with64.put("original_max_position_embeddings", 64);
        Map<String, Object> with32 = new java.util.HashMap<>(llama3);
        with32.put("original_max_position_embeddings", 32);
        double[] sixtyFour = load(llama.withConfig("rope_scaling", with64)).rotary().inverseFrequencies();
        double[] thirtyTwo = load(llama.withConfig("rope_scaling", with32)).rotary().inverseFrequencies();
        assertTrue(!java.util.Arrays.equals(sixtyFour, thirtyTwo), "the original context matters at this size");
        assertArrayEquals(sixtyFour, load(llama.withConfig("rope_scaling", llama3)).rotary().inverseFrequencies(),
                "max_position_embeddings (64)");
        assertArrayEquals(thirtyTwo, load(llama.withConfig("rope_scaling", llama3)
                .withConfig("original_max_position_embeddings", 32)).rotary().inverseFrequencies(), "the top-level 32");
        String m = assertThrows(CheckpointException.class, () -> load(llama.withConfig("rope_scaling", with64)
                .withConfig("original_max_position_embeddings", 32))).getMessage();
        assertTrue(m.contains("'original_max_position_embeddings' is 32 but rope_scaling.original_max_position_embeddings "
                + "is 64"), m);
    }

    /**
     * Rotary settings transformers 4 and 5 read differently are refused, naming the fields: a rope_parameters beside a
     * different rope_scaling (circuitscope read rope_parameters, transformers 5 reads rope_scaling first), and a
     * rope_theta inside rope_scaling that differs from the base (circuitscope used it, as 5 does; 4 ignores it). The
     * same values in both places, or a rope_theta equal to the base, load as before.
     */
    @Test
    void rotarySettingsThatTransformersVersionsReadDifferentlyAreRefused() throws Exception {
        TinyCheckpoint llama = TinyCheckpoint.llamaFamily("llama", 1, 1, 2, 1, 16, 8, 12, 23, 64, false, false)
                .withConfig("rope_theta", 50.0);
        Map<String, Object> linear2 = Map.of("rope_type", "linear", "factor", 2.0);
        Map<String, Object> linear4 = Map.of("rope_type", "linear", "factor", 4.0);
        String m = assertThrows(CheckpointException.class, () -> load(llama.withConfig("rope_parameters", linear2)
                .withConfig("rope_scaling", linear4))).getMessage();
        assertTrue(m.contains("field 'rope_parameters' is ") && m.contains(" but 'rope_scaling' is ")
                && m.endsWith("keep one of them"), m);
        assertArrayEquals(load(llama.withConfig("rope_scaling", linear2)).rotary().inverseFrequencies(),
                load(llama.withConfig("rope_parameters", linear2).withConfig("rope_scaling", linear2)).rotary()
                        .inverseFrequencies(), "the same object in both places");

        Map<String, Object> withTheta = Map.of("rope_type", "linear", "factor", 2.0, "rope_theta", 500.0);
        m = assertThrows(CheckpointException.class, () -> load(llama.withConfig("rope_scaling", withTheta)))
                .getMessage();
        assertTrue(m.contains("field 'rope_scaling' holds rope_theta 500.0 but the base is 50.0 (rope_theta or its "
                + "default): transformers 4 ignores"), m);
        Map<String, Object> sameTheta = Map.of("rope_type", "linear", "factor", 2.0, "rope_theta", 50.0);
        assertArrayEquals(load(llama.withConfig("rope_scaling", linear2)).rotary().inverseFrequencies(),
                load(llama.withConfig("rope_scaling", sameTheta)).rotary().inverseFrequencies(), "the base, repeated");
    }
}

package io.circuitscope.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.reference.RefTensor;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint holding weights its config does not account for is refused (it would run a different
 * model than the file holds); the buffers real files carry beside the weights are still accepted.
 */
class UnaccountedTensorsTest {
    @TempDir
    Path dir;

    private String loadFails(TinyCheckpoint ck) throws Exception {
        ck.write(dir, TensorDtype.F32);
        return assertThrows(CheckpointException.class, () -> ModelLoader.load(dir).close()).getMessage();
    }

    private void loads(TinyCheckpoint ck) throws Exception {
        ck.write(dir, TensorDtype.F32);
        ModelLoader.load(dir).close();
    }

    private static void assertContains(String message, String... parts) {
        for (String part : parts) {
            assertTrue(message.contains(part), "message should mention '" + part + "': " + message);
        }
    }

    private static TinyCheckpoint with(TinyCheckpoint ck, String name, RefTensor tensor) {
        LinkedHashMap<String, RefTensor> t = new LinkedHashMap<>(ck.tensors());
        t.put(name, tensor);
        return new TinyCheckpoint(ck.config(), t);
    }

    private static RefTensor zeros(int... shape) {
        int n = 1;
        for (int s : shape) {
            n *= s;
        }
        return new RefTensor(shape, new float[n]);
    }

    private static TinyCheckpoint llama(boolean tied, boolean bias) {
        return TinyCheckpoint.llamaFamily("llama", 1, 1, 4, 2, 4, 16, 20, 23, 16, tied, bias);
    }

    @Test
    void twoLayerGpt2ReadWithOneLayerConfig() throws Exception {
        String m = loadFails(TinyCheckpoint.gpt2(3, 2, 2, 4, 19, 8, false).withConfig("n_layer", 1));
        assertContains(m, dir.resolve("model.safetensors").toString(), "12 weight tensors", "config.json",
                "does not account for", "'h.1.ln_1.weight'");
    }

    @Test
    void shardedCheckpointNamesTheIndex() throws Exception {
        TinyCheckpoint.gpt2(3, 2, 2, 4, 19, 8, true).withConfig("n_layer", 1).writeSharded(dir, TensorDtype.F32, 2);
        String m = assertThrows(CheckpointException.class, () -> ModelLoader.load(dir).close()).getMessage();
        assertContains(m, "model.safetensors.index.json", "12 weight tensors", "'transformer.h.1.");
    }

    @Test
    void biasesTheConfigSwitchesOff() throws Exception {
        String m = loadFails(llama(false, true).withConfig("attention_bias", false));
        assertContains(m, "4 weight tensors", "'model.layers.0.self_attn.q_proj.bias'");
    }

    @Test
    void strayTensor() throws Exception {
        String m = loadFails(with(TinyCheckpoint.gpt2(3, 1, 2, 4, 19, 8, false), "score.weight", zeros(2, 8)));
        assertContains(m, "1 weight tensor that config.json", "'score.weight'");
    }

    @Test
    void gpt2MaskBuffersAreAccepted() throws Exception {
        TinyCheckpoint ck = TinyCheckpoint.gpt2(3, 1, 2, 4, 19, 8, true);
        assertTrue(ck.tensors().containsKey("transformer.h.0.attn.bias"));
        loads(with(ck, "transformer.h.0.attn.masked_bias", zeros()));
    }

    /** Pythia stores its masks as BOOL: they are ignored by name, whatever their dtype. */
    @Test
    void pythiaBoolBuffersAreAccepted() throws Exception {
        loads(TinyCheckpoint.gptNeox(1, 1, 2, 8, 11, 8, 0.25, true));
        Path file = dir.resolve("model.safetensors");
        RawSafetensors.add(file, "gpt_neox.layers.0.attention.bias", "BOOL", new long[] {1, 1, 8, 8},
                RawSafetensors.causalMaskBytes(8));
        RawSafetensors.add(file, "gpt_neox.layers.0.attention.masked_bias", "BOOL", new long[] {}, new byte[1]);
        ModelLoader.load(dir).close();
    }

    /** A tensor the loader never reads is unaccounted for whether it is stored as floats or not. */
    @Test
    void strayBoolTensor() throws Exception {
        loads(TinyCheckpoint.gpt2(3, 1, 2, 4, 19, 8, false));
        RawSafetensors.add(dir.resolve("model.safetensors"), "score.mask", "BOOL", new long[] {2}, new byte[2]);
        String m = assertThrows(CheckpointException.class, () -> ModelLoader.load(dir).close()).getMessage();
        assertContains(m, "1 weight tensor that config.json", "'score.mask'");
    }

    @Test
    void rotaryBuffersAreAccepted() throws Exception {
        loads(with(llama(false, false), "model.layers.0.self_attn.rotary_emb.inv_freq", zeros(2)));
    }

    @Test
    void pythiaBuffersAreAccepted() throws Exception {
        TinyCheckpoint ck = TinyCheckpoint.gptNeox(1, 1, 2, 8, 11, 8, 0.25, true);
        ck = with(ck, "gpt_neox.layers.0.attention.bias", zeros(1, 1, 8, 8));
        ck = with(ck, "gpt_neox.layers.0.attention.masked_bias", zeros());
        loads(with(ck, "gpt_neox.layers.0.attention.rotary_emb.inv_freq", zeros(1)));
    }

    @Test
    void tiedOutputStoredAsACopyOfTheEmbedding() throws Exception {
        TinyCheckpoint tied = llama(true, false);
        loads(with(tied, "lm_head.weight", tied.tensors().get("model.embed_tokens.weight")));
    }

    @Test
    void tiedConfigWithADifferentOutputMatrix() throws Exception {
        TinyCheckpoint untied = llama(false, false);
        String m = loadFails(untied.withConfig("tie_word_embeddings", true));
        assertContains(m, "model.safetensors", "'lm_head.weight' differs from the token embedding",
                "tie_word_embeddings");
    }

    @Test
    void llama2cUsesEveryTensor() throws Exception {
        Path bin = llama(false, false).writeLlama2c(dir.resolve("tiny.bin"));
        try (LoadedModel model = ModelLoader.load(bin)) {
            assertEquals(1, model.model().config().nLayers());
        }
    }
}

package io.circuitscope.core.io;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.testing.TinyCheckpoint;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Bad checkpoints fail with a CheckpointException whose message names the file and the field or tensor. */
class FamilyCheckpointErrorsTest {
    Path dir;

    @BeforeEach
    void createDir() throws Exception {
        dir = Files.createTempDirectory("cs-bad");
    }

    @AfterEach
    void deleteDir() throws Exception {
        try (var walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    static TinyCheckpoint llama() {
        return TinyCheckpoint.llamaFamily("llama", 1, 1, 4, 2, 4, 16, 20, 23, 16, false, false);
    }

    String loadFails(TinyCheckpoint ck) throws Exception {
        ck.write(dir, TensorDtype.F32);
        return loadFails(dir);
    }

    static String loadFails(Path location) {
        CheckpointException e = assertThrows(CheckpointException.class, () -> ModelLoader.load(location).close());
        return e.getMessage();
    }

    static void assertContains(String message, String... parts) {
        for (String part : parts) {
            assertTrue(message.contains(part), "message should mention '" + part + "': " + message);
        }
    }

    @Test
    void unsupportedModelType() throws Exception {
        String m = loadFails(llama().withConfig("model_type", "mamba"));
        assertContains(m, "config.json", "model_type", "mamba", "llama", "gpt_neox");
    }

    @Test
    void missingHiddenSize() throws Exception {
        assertContains(loadFails(llama().withoutConfig("hidden_size")), "config.json", "'hidden_size'", "missing");
    }

    @Test
    void missingNeoxField() throws Exception {
        TinyCheckpoint ck = TinyCheckpoint.gptNeox(1, 1, 2, 8, 11, 8, 0.25, true).withoutConfig("intermediate_size");
        assertContains(loadFails(ck), "config.json", "'intermediate_size'", "missing");
    }

    @Test
    void headsNotDivisibleByKvHeads() throws Exception {
        String m = loadFails(llama().withConfig("num_key_value_heads", 3));
        assertContains(m, "config.json", "num_key_value_heads", "num_attention_heads");
    }

    @Test
    void unimplementedRopeScalingType() throws Exception {
        String m = loadFails(llama().withConfig("rope_scaling", Map.of("rope_type", "yarn", "factor", 4.0)));
        assertContains(m, "config.json", "rope_scaling", "yarn");
    }

    @Test
    void llama3RopeScalingMissingKey() throws Exception {
        String m = loadFails(llama().withConfig("rope_scaling", Map.of("rope_type", "llama3", "factor", 8.0)));
        assertContains(m, "config.json", "rope_scaling", "low_freq_factor");
    }

    @Test
    void qwen2SlidingWindowIsRejected() throws Exception {
        TinyCheckpoint ck = TinyCheckpoint.llamaFamily("qwen2", 1, 1, 2, 1, 4, 8, 12, 17, 16, false, false)
                .withConfig("use_sliding_window", true).withConfig("sliding_window", 4);
        assertContains(loadFails(ck), "config.json", "use_sliding_window");
    }

    /**
     * Sliding layers named by layer_types alone: Hugging Face's Qwen2/Qwen3 would slide them (or fail without a
     * window); circuitscope ran them with full attention.
     */
    @Test
    void qwenSlidingLayersInLayerTypesAreRejected() throws Exception {
        for (String type : new String[] {"qwen2", "qwen3"}) {
            TinyCheckpoint ck = TinyCheckpoint.llamaFamily(type, 1, 2, 2, 1, 4, 8, 12, 17, 16, false, false)
                    .withConfig("sliding_window", 4)
                    .withConfig("layer_types", java.util.List.of("full_attention", "sliding_attention"));
            assertContains(loadFails(ck), "config.json", "'layer_types' lists 'sliding_attention' layers");
        }
    }

    /**
     * Gemma3TextConfig reads rope_parameters keyed by layer type and passes over flat keys, so Hugging Face rotates
     * without a flat object's scaling; circuitscope applied it to the global layers.
     */
    @Test
    void gemma3FlatRopeParametersAreRejected() throws Exception {
        TinyCheckpoint ck = TinyCheckpoint.gemma3(1, 2, 2, 1, 4, 8, 12, 17, 16, 4, 2).withoutConfig("rope_scaling")
                .withConfig("rope_parameters", Map.of("rope_type", "linear", "factor", 8.0, "rope_theta", 1_000_000.0));
        assertContains(loadFails(ck), "config.json", "'rope_parameters' is a flat object", "full_attention");
    }

    @Test
    void tensorShapeContradictsConfig() throws Exception {
        String m = loadFails(llama().withConfig("head_dim", 2));
        assertContains(m, "model.safetensors", "q_proj.weight", "shape");
    }

    /** A negative soft cap was read as no cap (only caps above 0 apply), where HF's tanh applies its absolute value. */
    @Test
    void negativeSoftcapIsRefused() throws Exception {
        TinyCheckpoint gemma = TinyCheckpoint.llamaFamily("gemma2", 1, 1, 4, 2, 4, 16, 20, 23, 16, true, false);
        assertContains(loadFails(gemma.withConfig("attn_logit_softcapping", -50.0)), "config.json",
                "'attn_logit_softcapping'", "must be positive", "-50.0");
        assertContains(loadFails(gemma.withConfig("final_logit_softcapping", -30.0)), "config.json",
                "'final_logit_softcapping'", "-30.0");
    }

    @Test
    void missingTensorIsNamed() throws Exception {
        String m = loadFails(llama().without("model.layers.0.mlp.up_proj.weight"));
        assertContains(m, "model.safetensors", "model.layers.0.mlp.up_proj.weight", "missing");
    }

    @Test
    void shardIndexNamingMissingShard() throws Exception {
        llama().writeSharded(dir, TensorDtype.F32, 3);
        Path gone = dir.resolve("model-00002-of-00003.safetensors");
        Files.delete(gone);
        assertContains(loadFails(dir), "model.safetensors.index.json", "model-00002-of-00003.safetensors",
                "does not exist");
    }

    @Test
    void truncatedLlama2cFile() throws Exception {
        Path bin = llama().writeLlama2c(dir.resolve("tiny.bin"));
        long size = Files.size(bin);
        try (FileChannel ch = FileChannel.open(bin, StandardOpenOption.WRITE)) {
            ch.truncate(size - 10);
        }
        assertContains(loadFails(bin), "tiny.bin", (size - 10) + " bytes", "implies " + size + " bytes", "truncated");
    }

    /** Overwrites int32 field {@code index} of a llama2.c header (0 dim .. 6 seq_len). */
    static void setHeaderField(Path bin, int index, int value) throws Exception {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(value);
        b.flip();
        try (FileChannel ch = FileChannel.open(bin, StandardOpenOption.WRITE)) {
            ch.write(b, 4L * index);
        }
    }

    @Test
    void llama2cHeaderWithABillionLayersIsATruncatedFileNotOutOfMemory() throws Exception {
        // It ran out of memory making a billion layers' tensor entries before comparing sizes.
        Path bin = llama().writeLlama2c(dir.resolve("deep.bin"));
        setHeaderField(bin, 2, 1_000_000_000);
        assertContains(loadFails(bin), "deep.bin", "1000000000", "truncated");
    }

    @Test
    void llama2cHeaderWhoseSizeOverflowsALongIsATruncatedFile() throws Exception {
        // dim 2^30 made the implied size wrap around to a negative number, reported as "trailing data".
        Path bin = llama().writeLlama2c(dir.resolve("wide.bin"));
        setHeaderField(bin, 0, 1 << 30);
        String m = loadFails(bin);
        assertContains(m, "wide.bin", "truncated");
        assertTrue(!m.contains("implies -"), m);
    }

    @Test
    void llama2cVocabOfMinusTwoToThe31IsATruncatedFile() throws Exception {
        // Math.abs(Integer.MIN_VALUE) is negative: the implied size was negative, reported as "trailing data".
        Path bin = llama().writeLlama2c(dir.resolve("vocab.bin"));
        setHeaderField(bin, 5, Integer.MIN_VALUE);
        String m = loadFails(bin);
        assertContains(m, "vocab.bin", "-2147483648", "truncated");
        assertTrue(!m.contains("implies -"), m);
    }

    @Test
    void llama2cFileShorterThanHeader() throws Exception {
        Path bin = Files.write(dir.resolve("stub.bin"), new byte[12]);
        assertContains(loadFails(bin), "stub.bin", "28-byte header");
    }

    @Test
    void llama2cImplausibleHeader() throws Exception {
        Path bin = Files.write(dir.resolve("zeros.bin"), new byte[64]);
        assertContains(loadFails(bin), "zeros.bin", "implausible llama2.c header");
    }

    @Test
    void fileThatIsNeitherDirectoryNorBin() throws Exception {
        Path f = Files.writeString(dir.resolve("weights.txt"), "x");
        assertContains(loadFails(f), "weights.txt", ".bin");
    }
}

package io.circuitscope.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.io.ModelLoader;
import io.circuitscope.core.io.TensorDtype;
import io.circuitscope.core.reference.ReferenceForward;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** The DJL forward of loaded GPT-2 checkpoints agrees with the independent double-precision reference. */
class Gpt2ReferenceParityTest {
    static final double TOLERANCE = 1e-4;

    @Property(tries = 25)
    void randomGpt2ConfigsMatchReference(@ForAll @IntRange(min = 1, max = 3) int layers,
            @ForAll @IntRange(min = 1, max = 4) int heads, @ForAll @IntRange(min = 2, max = 8) int dHead,
            @ForAll @IntRange(min = 1, max = 12) int seq, @ForAll boolean prefixed,
            @ForAll @IntRange(min = 0, max = 1_000_000) int seed) throws Exception {
        TinyCheckpoint ck = TinyCheckpoint.gpt2(seed, layers, heads, dHead, 37, 16, prefixed);
        assertMatchesReference(ck, TensorDtype.F32, false, randomTokens(seed, seq, 37));
    }

    @Test
    void halfAndBfloat16CheckpointsAreWidenedToFloat32() throws Exception {
        for (TensorDtype dtype : new TensorDtype[] {TensorDtype.F16, TensorDtype.BF16}) {
            TinyCheckpoint ck = TinyCheckpoint.gpt2(7, 2, 2, 4, 29, 10, false);
            assertMatchesReference(ck, dtype, false, randomTokens(3, 9, 29));
        }
    }

    @Test
    void shardedCheckpointLoads() throws Exception {
        assertMatchesReference(TinyCheckpoint.gpt2(11, 2, 3, 4, 31, 12, true), TensorDtype.F32, true,
                randomTokens(5, 12, 31));
    }

    @Test
    void normalisationFreeExtensionMatchesReference() throws Exception {
        TinyCheckpoint ck = TinyCheckpoint.gpt2(13, 2, 2, 4, 23, 8, false).withConfig("circuitscope_normalization", "none");
        for (String name : ck.tensors().keySet().toArray(new String[0])) {
            if (name.contains("ln_")) {
                ck = ck.without(name);
            }
        }
        assertMatchesReference(ck, TensorDtype.F32, false, randomTokens(1, 8, 23));
    }

    /**
     * GPT-2's two attention-scale flags, as HF's GPT2Attention reads them (Stanford CRFM's runs and BioMedLM set
     * scale_attn_by_inverse_layer_idx); they were read by the reference forward only, so the model ignored them.
     */
    @Test
    void attentionScaleFlagsMatchReference() throws Exception {
        for (boolean scale : new boolean[] {true, false}) {
            for (boolean byLayer : new boolean[] {true, false}) {
                TinyCheckpoint ck = TinyCheckpoint.gpt2(17, 3, 2, 4, 23, 10, false)
                        .withConfig("scale_attn_weights", scale)
                        .withConfig("scale_attn_by_inverse_layer_idx", byLayer);
                assertMatchesReference(ck, TensorDtype.F32, false, randomTokens(2, 10, 23));
            }
        }
    }

    /**
     * layer_norm_epsilon far from its default, and activation_function "gelu" (exact, erf) and "relu" besides the
     * default gelu_new: the other parity tests use the defaults only.
     */
    @Test
    void layerNormEpsilonAndOtherActivationsMatchReference() throws Exception {
        TinyCheckpoint base = TinyCheckpoint.gpt2(23, 2, 2, 4, 29, 10, false);
        int[] tokens = randomTokens(8, 10, 29);
        double[][] plain = ReferenceForward.logits(base.config(), base.tensors(), tokens);
        for (TinyCheckpoint ck : List.of(base.withConfig("layer_norm_epsilon", 0.5),
                base.withConfig("activation_function", "gelu"), base.withConfig("activation_function", "relu"))) {
            assertMatchesReference(ck, TensorDtype.F32, false, tokens);
            double moved = FamilyReferenceParityTest.maxDiff(plain, ReferenceForward.logits(ck.config(), ck.tensors(),
                    tokens));
            assertTrue(moved > 10 * TOLERANCE, "changes nothing: " + ck.config());
        }
    }

    /** The output is wte unless tie_word_embeddings is false, as HF's GPT2LMHeadModel reads it. */
    @Test
    void theOutputFollowsTieWordEmbeddings() throws Exception {
        TinyCheckpoint plain = TinyCheckpoint.gpt2(19, 2, 2, 4, 23, 10, false);
        java.util.LinkedHashMap<String, io.circuitscope.core.reference.RefTensor> t = new java.util.LinkedHashMap<>(
                plain.tensors());
        t.put("lm_head.weight", TinyCheckpoint.normal(new Random(4), 0.5, 23, 8));
        TinyCheckpoint withHead = new TinyCheckpoint(plain.config(), t);
        assertMatchesReference(withHead.withConfig("tie_word_embeddings", false), TensorDtype.F32, false,
                randomTokens(6, 10, 23));
        for (TinyCheckpoint refused : new TinyCheckpoint[] {withHead, plain.withConfig("tie_word_embeddings", false)}) {
            Path dir = Files.createTempDirectory("cs-gpt2");
            try {
                refused.write(dir, TensorDtype.F32);
                String m = org.junit.jupiter.api.Assertions.assertThrows(io.circuitscope.core.io.CheckpointException.class,
                        () -> ModelLoader.load(dir).close()).getMessage();
                org.junit.jupiter.api.Assertions.assertTrue(m.contains(refused == withHead
                        ? "'lm_head.weight' differs from the token embedding" : "there is no tensor 'lm_head.weight'"), m);
            } finally {
                deleteTree(dir);
            }
        }
    }

    static int[] randomTokens(long seed, int length, int vocab) {
        Random rng = new Random(seed * 31 + length);
        int[] tokens = new int[length];
        for (int i = 0; i < length; i++) {
            tokens[i] = rng.nextInt(vocab);
        }
        return tokens;
    }

    static void assertMatchesReference(TinyCheckpoint ck, TensorDtype dtype, boolean sharded, int[] tokens)
            throws Exception {
        Path dir = Files.createTempDirectory("cs-gpt2");
        try {
            if (sharded) {
                ck.writeSharded(dir, dtype, 3);
            } else {
                ck.write(dir, dtype);
            }
            double[][] expected = ReferenceForward.logits(ck.config(), ck.roundedTo(dtype).tensors(), tokens);
            try (LoadedModel loaded = ModelLoader.load(dir)) {
                float[][] actual = loaded.model().logits(tokens);
                assertClose(expected, actual, TOLERANCE, ck.config().toString());
            }
        } finally {
            deleteTree(dir);
        }
    }

    static void assertClose(double[][] expected, float[][] actual, double tolerance, String context) {
        assertEquals(expected.length, actual.length, "positions");
        for (int p = 0; p < expected.length; p++) {
            assertEquals(expected[p].length, actual[p].length, "vocab");
            for (int v = 0; v < expected[p].length; v++) {
                double diff = Math.abs(expected[p][v] - actual[p][v]);
                if (diff > tolerance) {
                    throw new AssertionError("logit[" + p + "][" + v + "] = " + actual[p][v] + " but reference "
                            + expected[p][v] + " (diff " + diff + ") for " + context);
                }
            }
        }
    }

    static void deleteTree(Path dir) throws java.io.IOException {
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}

package io.circuitscope.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.circuitscope.core.hook.ActivationCache;
import io.circuitscope.core.hook.HookSite;
import io.circuitscope.core.hook.Hooks;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.testing.TestModels;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The attention softmax recomputed in pieces is the forward pass's pattern, on every attention variant. */
class AttentionScoresTest {
    static Stream<TinyCheckpoint> models() {
        return Stream.of(TinyCheckpoint.gpt2(3, 2, 3, 4, 29, 16, false),
                TinyCheckpoint.llamaFamily("llama", 5, 2, 4, 2, 4, 12, 20, 29, 16, false, false), // GQA, RoPE
                TinyCheckpoint.llamaFamily("qwen3", 7, 2, 4, 2, 8, 12, 20, 29, 16, true, false), // q/k norms
                TinyCheckpoint.llamaFamily("gemma2", 9, 2, 4, 2, 6, 16, 24, 29, 16, true, false)
                        .withConfig("sliding_window", 3).withConfig("attn_logit_softcapping", 2.0), // window, cap
                TinyCheckpoint.gptNeox(11, 2, 2, 8, 29, 16, 0.25, true)); // partial rotary
    }

    @ParameterizedTest
    @MethodSource("models")
    void patternOfQueriesAndKeysIsTheForwardPattern(TinyCheckpoint checkpoint) {
        try (LoadedModel loaded = TestModels.load(checkpoint); NDManager run = loaded.model().newRunManager()) {
            HookedTransformer model = loaded.model();
            Random rng = new Random(1);
            int[][] tokens = new int[2][9];
            for (int[] row : tokens) {
                for (int i = 0; i < row.length; i++) {
                    row[i] = rng.nextInt(model.config().vocabSize());
                }
            }
            ActivationCache cache = new ActivationCache(run,
                    name -> name.site() == HookSite.RESID_PRE || name.site() == HookSite.PATTERN);
            model.forward(run, tokens, Hooks.builder().cache(cache).build());
            for (int l = 0; l < model.config().nLayers(); l++) {
                AttentionScores scores = model.attentionScores(run, l);
                NDArray resid = cache.get(HookSite.RESID_PRE, l);
                NDArray recomputed = scores.pattern(scores.queries(resid), scores.keys(resid));
                float diff = recomputed.sub(cache.get(HookSite.PATTERN, l)).abs().max().getFloat();
                assertEquals(0f, diff, 1e-5f, "layer " + l);
            }
            cache.close();
        }
    }
}

package io.circuitscope.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.training.GradientCollector;
import io.circuitscope.core.hook.ActivationCache;
import io.circuitscope.core.hook.HookName;
import io.circuitscope.core.hook.HookSite;
import io.circuitscope.core.hook.Hooks;
import io.circuitscope.core.hook.Intervention;
import io.circuitscope.core.hook.Selection;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.reference.RefTensor;
import io.circuitscope.core.testing.TestModels;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * An independent check of the LRP rules behind relevance patching: with every rule on (LN, Identity,
 * Half, AH) and no biases, the modified backward makes each operation linear or, for a gated
 * product, homogeneous with its relevance split evenly, so relevance is conserved: a logit
 * difference equals the sum over the input residual stream of {@code input * modified gradient}.
 * A wrong rule (say f'(x) where f(x)/x belongs, or the full 1/sigma Jacobian) breaks the equality.
 */
class LrpConservationTest {
    static Stream<TinyCheckpoint> models() {
        return Stream.of(
                withoutBiases(TinyCheckpoint.gpt2(3, 2, 2, 4, 23, 8, false)), // LayerNorm, GELU, learned positions
                TinyCheckpoint.llamaFamily("llama", 5, 2, 4, 2, 4, 12, 20, 23, 16, false, false)); // RMSNorm, SiLU gate, GQA, RoPE
    }

    /** GPT-2 with every bias (attention, MLP, LayerNorm) zero: the rules conserve relevance only without biases. */
    static TinyCheckpoint withoutBiases(TinyCheckpoint c) {
        for (Map.Entry<String, RefTensor> t : c.tensors().entrySet()) {
            boolean causalMaskBuffer = t.getKey().endsWith(".attn.bias"); // not c_attn.bias
            if (t.getKey().endsWith(".bias") && !causalMaskBuffer) {
                t.setValue(new RefTensor(t.getValue().shape(), new float[t.getValue().data().length]));
            }
        }
        return c;
    }

    @ParameterizedTest
    @MethodSource("models")
    void logitDifferenceEqualsInputTimesModifiedGradient(TinyCheckpoint checkpoint) {
        try (LoadedModel loaded = TestModels.load(checkpoint); NDManager run = loaded.model().newRunManager()) {
            HookedTransformer model = loaded.model();
            Random rng = new Random(11);
            int[][] tokens = new int[3][6];
            for (int[] row : tokens) {
                for (int i = 0; i < row.length; i++) {
                    row[i] = rng.nextInt(model.config().vocabSize());
                }
            }
            HookName input = HookName.of(HookSite.RESID_PRE, 0);
            NDArray leaf = run.zeros(new ai.djl.ndarray.types.Shape(3, 6, model.config().dModel()));
            leaf.setRequiresGradient(true);
            ActivationCache cache = new ActivationCache(run, input::equals);
            Hooks hooks = Hooks.builder().cache(cache).add(Intervention.add(input, Selection.all(), leaf)).build();
            GradientRules allRules = new GradientRules(true, true, true, true);
            float[] logitDiffs;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray logits = model.forward(run, tokens, hooks, allRules);
                NDArray last = logits.get(new NDIndex(":, -1, :"));
                NDArray diff = last.get(new NDIndex(":, 1")).sub(last.get(new NDIndex(":, 2"))); // [batch]
                logitDiffs = diff.toFloatArray();
                gc.backward(diff.sum());
            }
            float[] x = cache.get(HookSite.RESID_PRE, 0).toFloatArray();
            float[] g = leaf.getGradient().toFloatArray();
            int perPrompt = x.length / 3;
            double largest = 0;
            for (int b = 0; b < 3; b++) {
                double relevance = 0;
                for (int i = b * perPrompt; i < (b + 1) * perPrompt; i++) {
                    relevance += (double) x[i] * g[i];
                }
                assertEquals(logitDiffs[b], relevance, 1e-4 * (1 + Math.abs(logitDiffs[b])), "prompt " + b);
                largest = Math.max(largest, Math.abs(logitDiffs[b]));
            }
            assertTrue(largest > 1e-3, "the logit differences must not vanish: " + largest);

            // the exact gradient does not conserve (the model is not linear): the check can fail
            leaf.setRequiresGradient(true);
            double exactRelevance = 0;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray logits = model.forward(run, tokens,
                        Hooks.builder().add(Intervention.add(input, Selection.all(), leaf)).build(), GradientRules.EXACT);
                NDArray last = logits.get(new NDIndex(":, -1, :"));
                gc.backward(last.get(new NDIndex(":, 1")).sub(last.get(new NDIndex(":, 2"))).sum());
            }
            float[] exact = leaf.getGradient().toFloatArray();
            double total = 0;
            for (int i = 0; i < x.length; i++) {
                exactRelevance += (double) x[i] * exact[i];
            }
            for (float d : logitDiffs) {
                total += d;
            }
            assertTrue(Math.abs(exactRelevance - total) > 1e-3 * (1 + Math.abs(total)),
                    "plain gradient x input happened to conserve too: " + exactRelevance + " vs " + total);
            cache.close();
        }
    }
}

package io.circuitscope.core.hook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.testing.TestModels;
import io.circuitscope.core.testing.TinyCheckpoint;
import io.circuitscope.core.testing.TinyFamilies;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Identities every hook point must satisfy. */
class HookIdentitiesTest {
    static LoadedModel loaded;
    static HookedTransformer model;
    static final int[][] TOKENS = {{1, 5, 9, 12, 3, 7, 40}, {2, 2, 30, 11, 0, 8, 19}};
    static final int[][] OTHER = {{4, 6, 10, 13, 21, 17, 39}, {3, 25, 33, 14, 5, 1, 18}};

    @BeforeAll
    static void load() {
        loaded = TestModels.tinyGpt2(42);
        model = loaded.model();
    }

    @AfterAll
    static void close() {
        loaded.close();
    }

    static float maxAbsDiff(NDArray a, NDArray b) {
        return a.sub(b).abs().max().getFloat();
    }

    @Test
    void hookNamesRoundTripThroughTransformerLensStrings() {
        for (HookSite site : HookSite.values()) {
            HookName name = site.perLayer() ? HookName.of(site, 3) : HookName.of(site);
            assertEquals(name, HookName.parse(name.toString()));
        }
        assertEquals("blocks.1.attn.hook_z", HookName.of(HookSite.Z, 1).toString());
        assertThrows(IllegalArgumentException.class, () -> HookName.parse("blocks.1.attn.hook_nothing"));
    }

    static Stream<TinyCheckpoint> families() {
        return TinyFamilies.all();
    }

    @ParameterizedTest
    @MethodSource("families")
    void cachingEveryHookDoesNotChangeLogits(TinyCheckpoint checkpoint) {
        try (LoadedModel loaded = TestModels.load(checkpoint); NDManager run = loaded.model().newRunManager();
                ActivationCache cache = ActivationCache.all(run)) {
            HookedTransformer model = loaded.model();
            NDArray plain = model.forward(run, TOKENS);
            NDArray cached = model.forward(run, TOKENS, Hooks.caching(cache));
            assertEquals(0f, maxAbsDiff(plain, cached), 1e-5f);
            // every site of every layer was recorded, including the optional per-head tensors; rotary models have
            // no learned positions to hook, and a block running attention and MLP in parallel has no resid_mid
            int expected = 0;
            for (HookSite site : HookSite.values()) {
                boolean absent = site == HookSite.POS_EMBED && !model.config().learnedPositions()
                        || site == HookSite.RESID_MID && model.config().parallelAttnMlp();
                expected += absent ? 0 : site.perLayer() ? model.config().nLayers() : 1;
            }
            assertEquals(expected, cache.names().size(), "cached hooks: " + cache.names());
            assertEquals(0f, maxAbsDiff(cached, cache.get(HookName.of(HookSite.LOGITS))), 0f);
        }
    }

    @ParameterizedTest
    @MethodSource("families")
    void replacingAnyHookWithItsOwnCachedValueChangesNothing(TinyCheckpoint checkpoint) {
        try (LoadedModel loaded = TestModels.load(checkpoint); NDManager run = loaded.model().newRunManager();
                ActivationCache cache = ActivationCache.all(run)) {
            HookedTransformer model = loaded.model();
            NDArray clean = model.forward(run, TOKENS, Hooks.caching(cache));
            for (HookName name : cache.names()) {
                NDArray patched = model.forward(run, TOKENS,
                        Hooks.of(Intervention.replace(name, Selection.all(), cache.get(name))));
                assertTrue(maxAbsDiff(clean, patched) < 1e-5f, "self-patching " + name + " changed the logits");
            }
        }
    }

    @Test
    void headResultsSumToAttentionOutputAndZeroingAHeadRemovesItsTerm() {
        int layer = 1;
        int head = 2;
        HookName result = HookName.of(HookSite.RESULT, layer);
        HookName attnOut = HookName.of(HookSite.ATTN_OUT, layer);
        try (NDManager run = model.newRunManager();
                ActivationCache clean = ActivationCache.of(run, java.util.Set.of(result, attnOut));
                ActivationCache ablated = ActivationCache.of(run, java.util.Set.of(attnOut))) {
            model.forward(run, TOKENS, Hooks.caching(clean));
            NDArray sumOfHeads = clean.get(result).sum(new int[] {2});
            NDArray bias = model.weights().layer(layer).bO();
            assertTrue(maxAbsDiff(sumOfHeads.add(bias), clean.get(attnOut)) < 1e-5f);

            Hooks zeroHead = Hooks.builder().add(Intervention.zero(HookName.of(HookSite.Z, layer), Selection.heads(head)))
                    .cache(ablated).build();
            model.forward(run, TOKENS, zeroHead);
            NDArray headTerm = clean.get(result).get(new NDIndex(":, :, {}, :", head));
            assertTrue(maxAbsDiff(clean.get(attnOut).sub(headTerm), ablated.get(attnOut)) < 1e-5f,
                    "zeroing z of one head must remove exactly that head's term");
        }
    }

    /** What HookSite.RESULT's documentation promises: sum of results + b_O = attn_out, except with sandwich norms. */
    @ParameterizedTest
    @MethodSource("families")
    void headResultsSumToAttentionOutputOnlyWithoutSandwichNorms(TinyCheckpoint checkpoint) {
        try (LoadedModel loaded = TestModels.load(checkpoint); NDManager run = loaded.model().newRunManager()) {
            HookedTransformer model = loaded.model();
            for (int layer = 0; layer < model.config().nLayers(); layer++) {
                HookName result = HookName.of(HookSite.RESULT, layer);
                HookName attnOut = HookName.of(HookSite.ATTN_OUT, layer);
                try (ActivationCache cache = ActivationCache.of(run, java.util.Set.of(result, attnOut))) {
                    model.forward(run, TOKENS, Hooks.caching(cache));
                    NDArray sum = cache.get(result).sum(new int[] {2});
                    NDArray bias = model.weights().layer(layer).bO();
                    float gap = maxAbsDiff(bias == null ? sum : sum.add(bias), cache.get(attnOut));
                    if (model.config().sandwichNorms()) {
                        assertTrue(gap > 1e-2f, "with sandwich norms the heads' results do not sum to attn_out, "
                                + "but they did at " + result + " (gap " + gap + ")");
                    } else {
                        assertTrue(gap < 1e-5f, "heads' results + b_O must sum to attn_out at " + result
                                + " (gap " + gap + ")");
                    }
                }
            }
        }
    }

    /** What HookSite's documentation promises about attn_scores' mask and the final hooks under logit positions. */
    @Test
    void maskedScoresAreMinus1e30AndFinalHooksKeepOnlyTheLogitPositions() {
        HookName scores = HookName.of(HookSite.ATTN_SCORES, 0);
        HookName normed = HookName.of(HookSite.FINAL_NORM);
        HookName logits = HookName.of(HookSite.LOGITS);
        try (NDManager run = model.newRunManager();
                ActivationCache cache = ActivationCache.of(run, java.util.Set.of(scores, normed, logits))) {
            model.forward(run, TOKENS, Hooks.caching(cache), io.circuitscope.core.model.GradientRules.EXACT,
                    new int[] {2, 6});
            assertEquals(-1e30f, cache.get(scores).get("0, 0, 0, 1").getFloat(), 0f, "query 0 must not see key 1");
            assertEquals(new ai.djl.ndarray.types.Shape(2, 2, model.config().dModel()), cache.get(normed).getShape());
            assertEquals(new ai.djl.ndarray.types.Shape(2, 2, model.config().vocabSize()), cache.get(logits).getShape());
        }
    }

    @Test
    void patchingOnePositionLeavesEarlierPositionsAlone() {
        HookName resid = HookName.of(HookSite.RESID_MID, 0);
        try (NDManager run = model.newRunManager(); ActivationCache other = ActivationCache.of(run, java.util.Set.of(resid))) {
            model.forward(run, OTHER, Hooks.caching(other));
            NDArray clean = model.forward(run, TOKENS);
            NDArray patched = model.forward(run, TOKENS,
                    Hooks.of(Intervention.replace(resid, Selection.positions(4), other.get(resid))));
            // causal: positions before 4 cannot see the patch; position 4 must change
            assertEquals(0f, maxAbsDiff(clean.get(":, 0:4, :"), patched.get(":, 0:4, :")), 1e-6f);
            assertTrue(maxAbsDiff(clean.get(":, 4, :"), patched.get(":, 4, :")) > 1e-3f);
        }
    }

    @Test
    void severalInterventionsInOnePassComposeInOrder() {
        HookName embed = HookName.of(HookSite.EMBED);
        try (NDManager run = model.newRunManager(); ActivationCache cache = ActivationCache.of(run, java.util.Set.of(embed))) {
            Hooks hooks = Hooks.builder()
                    .add(Intervention.scale(embed, Selection.all(), 3f))
                    .add(Intervention.apply(embed, Selection.positions(-1), "negate", x -> x.neg()))
                    .cache(cache).build();
            NDArray plainEmbed;
            try (ActivationCache plain = ActivationCache.of(run, java.util.Set.of(embed))) {
                model.forward(run, TOKENS, Hooks.caching(plain));
                plainEmbed = plain.get(embed).duplicate();
                plainEmbed.attach(run);
            }
            model.forward(run, TOKENS, hooks);
            NDArray got = cache.get(embed);
            assertEquals(0f, maxAbsDiff(got.get(":, 0:6, :"), plainEmbed.get(":, 0:6, :").mul(3f)), 1e-6f);
            assertEquals(0f, maxAbsDiff(got.get(":, 6, :"), plainEmbed.get(":, 6, :").mul(-3f)), 1e-6f);
        }
    }

    @Test
    void badInterventionsAreRejectedWithTheHookName() {
        try (NDManager run = model.newRunManager()) {
            NDArray wrongShape = run.zeros(new ai.djl.ndarray.types.Shape(2, 3, 5));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.forward(run, TOKENS,
                    Hooks.of(Intervention.replace(HookName.of(HookSite.RESID_PRE, 0), Selection.all(), wrongShape))));
            assertTrue(e.getMessage().contains("blocks.0.hook_resid_pre"), e.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> Intervention.zero(HookName.of(HookSite.MLP_OUT, 0), Selection.heads(1)));
            IllegalArgumentException pos = assertThrows(IllegalArgumentException.class, () -> model.forward(run, TOKENS,
                    Hooks.of(Intervention.zero(HookName.of(HookSite.Z, 0), Selection.positions(99)))));
            assertTrue(pos.getMessage().contains("position 99"), pos.getMessage());
        }
    }

    @Test
    void tokenErrorsNameTheToken() {
        IllegalArgumentException vocab = assertThrows(IllegalArgumentException.class,
                () -> model.logits(new int[] {1, 2, 41}));
        assertTrue(vocab.getMessage().contains("token id 41") && vocab.getMessage().contains("position 2"),
                vocab.getMessage());
        int[] tooLong = new int[model.config().contextLength() + 1];
        IllegalArgumentException length = assertThrows(IllegalArgumentException.class, () -> model.logits(tooLong));
        assertTrue(length.getMessage().contains("context window"), length.getMessage());
    }

    @Test
    void runsLeaveNoTensorsBehindInTheWeightsManager() {
        int before = model.weights().manager().getManagedArrays().size();
        List<String> hooks = new ArrayList<>();
        try (NDManager run = model.newRunManager(); ActivationCache cache = ActivationCache.all(run)) {
            model.forward(run, TOKENS, Hooks.caching(cache));
            cache.names().forEach(n -> hooks.add(n.toString()));
        }
        assertEquals(before, model.weights().manager().getManagedArrays().size(),
                "a forward pass attached tensors to the weights manager");
        assertTrue(hooks.size() > 10);
    }
}

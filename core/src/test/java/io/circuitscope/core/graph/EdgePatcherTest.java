package io.circuitscope.core.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.circuitscope.core.DjlRuntime;
import io.circuitscope.core.hook.ActivationCache;
import io.circuitscope.core.hook.HookName;
import io.circuitscope.core.hook.HookSite;
import io.circuitscope.core.hook.Hooks;
import io.circuitscope.core.hook.Intervention;
import io.circuitscope.core.hook.Selection;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.model.GradientRules;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.model.LayerWeights;
import io.circuitscope.core.model.ModelConfig;
import io.circuitscope.core.model.ModelWeights;
import io.circuitscope.core.task.Batch;
import io.circuitscope.core.task.Example;
import io.circuitscope.core.task.Metric;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Target;
import io.circuitscope.core.testing.TestModels;
import io.circuitscope.core.testing.TinyCheckpoint;
import io.circuitscope.core.testing.TinyFamilies;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The edge-mask forward against hook-based patching and the clean/corrupted identities. */
class EdgePatcherTest {
    static final int[][] CLEAN = {{1, 5, 9, 12, 3, 7}, {2, 2, 30, 11, 0, 8}};
    static final int[][] CORRUPT = {{4, 6, 10, 13, 21, 17}, {3, 25, 33, 14, 5, 1}};

    static Stream<TinyCheckpoint> families() {
        return TinyFamilies.all();
    }

    static final TinyCheckpoint GEMMA2 = TinyFamilies.GEMMA2;

    /** A keep-mask with every edge of {@code g} kept except those named. */
    static boolean[] allKeptBut(ComputationGraph g, String... patched) {
        boolean[] keep = new boolean[g.nEdges()];
        Arrays.fill(keep, true);
        for (String name : patched) {
            keep[g.edge(name).index()] = false;
        }
        return keep;
    }

    static float maxDiff(NDArray a, NDArray b) {
        return a.sub(b).abs().max().getFloat();
    }

    /**
     * The graph says which sources each destination reads, the model which heads and layers run: a graph of
     * another shape would patch the wrong rows silently, so it is refused, naming both values.
     */
    @Test
    void aGraphOfAnotherShapeIsRefused() {
        try (LoadedModel loaded = TestModels.tinyGpt2(5)) {
            HookedTransformer model = loaded.model();
            ModelConfig c = model.config();
            assertEquals(List.of(2, 3, false), List.of(c.nLayers(), c.nHeads(), c.parallelAttnMlp()));
            String[][] cases = {
                {"3", "3", "false", "3 layers (the model has 2)"},
                {"2", "4", "false", "4 heads (the model has 3)"},
                {"2", "3", "true", "parallelAttnMlp true (the model has false)"},
            };
            for (String[] k : cases) {
                int layers = Integer.parseInt(k[0]);
                int heads = Integer.parseInt(k[1]);
                ModelConfig other = ModelConfig.builder("gpt2").setSizes(4 * heads, layers, heads, c.dMlp(),
                        c.vocabSize(), c.contextLength()).optParallelAttnMlp(Boolean.parseBoolean(k[2])).build();
                for (ComputationGraph g : new ComputationGraph[] {ComputationGraph.of(other),
                        ComputationGraph.byPosition(other, 4)}) {
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                            () -> new EdgePatcher(model, g));
                    assertTrue(e.getMessage().contains(k[3]), e.getMessage());
                }
            }
            // key/value heads and widths do not shape the graph (EAP-IG's files do not record them)
            ModelConfig sameGraph = ModelConfig.builder("gpt2").setSizes(6, 2, 3, 1, 1, 1).optKvHeads(1).build();
            assertEquals(ComputationGraph.of(c).nEdges(), new EdgePatcher(model, ComputationGraph.of(sameGraph))
                    .graph().nEdges());
        }
    }

    @Test
    void gpt2SmallGraphHasTheEdgeCountEapIgReports() {
        ModelConfig gpt2Small = ModelConfig.builder("gpt2").setSizes(768, 12, 12, 3072, 50257, 1024).build();
        ComputationGraph g = ComputationGraph.of(gpt2Small);
        System.out.println("GPT-2 small: " + g);
        assertEquals(157, g.nSources());
        assertEquals(445, g.nDestinations());
        assertEquals(32_491, g.nEdges());
        assertEquals(g.nEdges(), g.asJGraphT().edgeSet().size());
        assertEquals("a0.h1->a2.h3<k>", g.edge("a0.h1->a2.h3<k>").name());
        assertTrue(g.hasEdge("m1->m4") && g.hasEdge("input->logits") && g.hasEdge("a5.h2->m5"));
        assertTrue(!g.hasEdge("a5.h2->a5.h3<q>") && !g.hasEdge("m5->a5.h0<q>"));
    }

    @Test
    void parallelAttentionAndMlpHaveNoEdgeFromAHeadToItsOwnLayersMlp() {
        ModelConfig neox = ModelConfig.builder("gpt_neox").setSizes(16, 2, 2, 64, 10, 8).optParallelAttnMlp(true).build();
        ComputationGraph g = ComputationGraph.of(neox);
        assertTrue(!g.hasEdge("a0.h1->m0") && g.hasEdge("a0.h1->m1"));
    }

    @ParameterizedTest
    @MethodSource("families")
    void allKeptIsTheCleanRunAndAllPatchedIsTheCorruptedRun(TinyCheckpoint checkpoint) {
        try (LoadedModel loaded = TestModels.load(checkpoint); NDManager run = loaded.model().newRunManager()) {
            EdgePatcher patcher = new EdgePatcher(loaded.model());
            HookedTransformer model = loaded.model();
            SourceOutputs corrupted = patcher.sourceOutputs(run, CORRUPT);
            NDArray clean = model.forward(run, CLEAN);
            NDArray corrupt = model.forward(run, CORRUPT);
            NDArray coefficients = patcher.allKept(run, 2);
            coefficients.set(new NDIndex("1"), 0f);
            NDArray both = patcher.forward(run, CLEAN, corrupted, coefficients);
            assertTrue(maxDiff(both.get("0:2"), clean) < 1e-5f, "all-ones mask differs from the clean run");
            assertTrue(maxDiff(both.get("2:4"), corrupt) < 1e-5f, "all-zeros mask differs from the corrupted run");
            assertTrue(maxDiff(clean, corrupt) > 1e-2f, "test prompts must differ");
        }
    }

    @ParameterizedTest
    @MethodSource("families")
    void patchingEveryOutEdgeOfAHeadEqualsPatchingItsOutputWithHooks(TinyCheckpoint checkpoint) {
        try (LoadedModel loaded = TestModels.load(checkpoint); NDManager run = loaded.model().newRunManager()) {
            HookedTransformer model = loaded.model();
            EdgePatcher patcher = new EdgePatcher(model);
            ComputationGraph g = patcher.graph();
            int layer = 0;
            int head = model.config().nHeads() - 1;
            Node node = g.node(Node.headName(layer, head));
            boolean[] keep = new boolean[g.nEdges()];
            Arrays.fill(keep, true);
            g.edges().stream().filter(e -> e.source().equals(node)).forEach(e -> keep[e.index()] = false);
            NDArray viaEdges = patcher.forward(run, CLEAN, patcher.sourceOutputs(run, CORRUPT), patcher.coefficients(run, keep));

            HookName result = HookName.of(HookSite.RESULT, layer);
            try (ActivationCache corrupt = ActivationCache.of(run, Set.of(result))) {
                model.forward(run, CORRUPT, Hooks.caching(corrupt));
                NDArray viaHooks = model.forward(run, CLEAN,
                        Hooks.of(Intervention.replace(result, Selection.heads(head), corrupt.get(result))));
                assertTrue(maxDiff(viaEdges, viaHooks) < 1e-5f, "node ablation != ablating all its out-edges");
                assertTrue(maxDiff(viaEdges, model.forward(run, CLEAN)) > 1e-4f, "the patch must matter");
            }
        }
    }

    @Test
    void patchingOneEdgeChangesOnlyThatInputByTheSourcesDifference() {
        try (LoadedModel loaded = TestModels.tinyGpt2(3); NDManager run = loaded.model().newRunManager()) {
            HookedTransformer model = loaded.model();
            EdgePatcher patcher = new EdgePatcher(model);
            ComputationGraph g = patcher.graph();
            Edge edge = g.edge("a0.h1->a1.h2<v>");
            boolean[] keep = allKeptBut(g, edge.name());
            NDArray viaEdges = patcher.forward(run, CLEAN, patcher.sourceOutputs(run, CORRUPT), patcher.coefficients(run, keep));

            HookName result0 = HookName.of(HookSite.RESULT, 0);
            try (ActivationCache clean = ActivationCache.of(run, Set.of(result0));
                    ActivationCache corrupt = ActivationCache.of(run, Set.of(result0))) {
                model.forward(run, CLEAN, Hooks.caching(clean));
                model.forward(run, CORRUPT, Hooks.caching(corrupt));
                NDArray shift = corrupt.get(result0).get(":, :, 1, :").sub(clean.get(result0).get(":, :, 1, :"));
                // v input of head 2 in layer 1 = its residual stream with head 0.1's term swapped
                NDArray viaHooks = model.forward(run, CLEAN, Hooks.of(Intervention.apply(HookName.of(HookSite.V_INPUT, 1),
                        Selection.heads(2), "swap a0.h1", x -> x.add(shift.expandDims(2)))));
                assertTrue(maxDiff(viaEdges, viaHooks) < 1e-5f);
                assertTrue(maxDiff(viaEdges, model.forward(run, CLEAN)) > 1e-5f);
            }
        }
    }

    @Test
    void withSandwichNormsAnMlpEdgeStillSwapsTheMlpsOutputLinearly() {
        // MLP outputs are taken after their post-norm, so they join the stream as a sum; patching one of
        // their edges swaps that term and nothing else (with a second, unpatched mask in the same pass)
        try (LoadedModel loaded = TestModels.load(GEMMA2); NDManager run = loaded.model().newRunManager()) {
            HookedTransformer model = loaded.model();
            EdgePatcher patcher = new EdgePatcher(model);
            ComputationGraph g = patcher.graph();
            boolean[] keep = allKeptBut(g, "m0->a1.h2<v>");
            boolean[] all = allKeptBut(g);
            NDArray viaEdges = patcher.forward(run, CLEAN, patcher.sourceOutputs(run, CORRUPT),
                    patcher.coefficients(run, List.of(keep, all)));

            HookName mlp0 = HookName.of(HookSite.MLP_OUT, 0);
            try (ActivationCache clean = ActivationCache.of(run, Set.of(mlp0));
                    ActivationCache corrupt = ActivationCache.of(run, Set.of(mlp0))) {
                NDArray unpatched = model.forward(run, CLEAN, Hooks.caching(clean));
                model.forward(run, CORRUPT, Hooks.caching(corrupt));
                NDArray shift = corrupt.get(mlp0).sub(clean.get(mlp0));
                NDArray viaHooks = model.forward(run, CLEAN, Hooks.of(Intervention.apply(HookName.of(HookSite.V_INPUT, 1),
                        Selection.heads(2), "swap m0", x -> x.add(shift.expandDims(2)))));
                assertTrue(maxDiff(viaEdges.get("0:2"), viaHooks) < 1e-5f, "differs by " + maxDiff(viaEdges.get("0:2"), viaHooks));
                assertTrue(maxDiff(viaEdges.get("2:4"), unpatched) < 1e-5f, "the unpatched mask changed");
                assertTrue(maxDiff(viaHooks, unpatched) > 1e-4f, "the edge must matter");
            }
        }
    }

    @Test
    void withSandwichNormsOneHeadToHeadEdgeSeesItsLayerRenormalisedWithThatHeadPatched() {
        try (LoadedModel loaded = TestModels.load(GEMMA2); NDManager run = loaded.model().newRunManager()) {
            HookedTransformer model = loaded.model();
            EdgePatcher patcher = new EdgePatcher(model);
            ComputationGraph g = patcher.graph();
            boolean[] keep = allKeptBut(g, "a0.h1->a1.h2<v>");
            NDArray viaEdges = patcher.forward(run, CLEAN, patcher.sourceOutputs(run, CORRUPT), patcher.coefficients(run, keep));

            // independently, with hooks only: layer 0's normalised attention output with head 1's result taken
            // from the corrupted run, minus its clean output, is what the v input of head 2 in layer 1 gains
            HookName result0 = HookName.of(HookSite.RESULT, 0);
            HookName attnOut0 = HookName.of(HookSite.ATTN_OUT, 0);
            try (ActivationCache clean = ActivationCache.of(run, Set.of(attnOut0, result0));
                    ActivationCache corrupt = ActivationCache.of(run, Set.of(result0));
                    ActivationCache mixed = ActivationCache.of(run, Set.of(attnOut0))) {
                model.forward(run, CLEAN, Hooks.caching(clean));
                model.forward(run, CORRUPT, Hooks.caching(corrupt));
                model.forward(run, CLEAN, Hooks.builder()
                        .add(Intervention.replace(result0, Selection.heads(1), corrupt.get(result0))).cache(mixed).build());
                NDArray shift = mixed.get(attnOut0).sub(clean.get(attnOut0));
                NDArray viaHooks = model.forward(run, CLEAN, Hooks.of(Intervention.apply(HookName.of(HookSite.V_INPUT, 1),
                        Selection.heads(2), "swap a0.h1 through the norm", x -> x.add(shift.expandDims(2)))));
                assertTrue(maxDiff(viaEdges, viaHooks) < 1e-5f, "differs by " + maxDiff(viaEdges, viaHooks));
                assertTrue(maxDiff(viaEdges, model.forward(run, CLEAN)) > 1e-4f, "the patch must matter");
                // the norm matters: adding the head's raw difference, as without sandwich norms, gives another answer
                NDArray rawShift = corrupt.get(result0).get(":, :, 1, :").sub(clean.get(result0).get(":, :, 1, :"));
                NDArray linear = model.forward(run, CLEAN, Hooks.of(Intervention.apply(HookName.of(HookSite.V_INPUT, 1),
                        Selection.heads(2), "raw swap", x -> x.add(rawShift.expandDims(2)))));
                assertTrue(maxDiff(viaEdges, linear) > 1e-4f, "the post-attention norm must change the answer");
            }
        }
    }

    static Stream<Object[]> sandwichModels() {
        return Stream.of(new Object[] {"gemma2 (RMSNorm)", GEMMA2},
                new Object[] {"gemma3 (RMSNorm, q/k norms)", TinyCheckpoint.gemma3(11, 2, 4, 2, 4, 12, 20, 41, 16, 3, 2)},
                new Object[] {"GPT-2 layout with LayerNorm sandwich norms and an output bias", null});
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sandwichModels")
    void sandwichNormsFromPerRowStatisticsEqualTheNormRecomputedPerDestination(String name, TinyCheckpoint checkpoint) {
        // Without gradients the mixer takes the norms' statistics from Gram matrices; with gradients (here
        // only asked for, never used) each norm is recomputed on each destination group's head mix.
        try (LoadedModel loaded = checkpoint == null ? null : TestModels.load(checkpoint);
                HookedTransformer model = checkpoint == null ? layerNormSandwichModel(21) : null) {
            HookedTransformer m = checkpoint == null ? model : loaded.model();
            try (NDManager run = m.newRunManager()) {
                for (ComputationGraph g : new ComputationGraph[] {ComputationGraph.of(m.config()),
                        ComputationGraph.byPosition(m.config(), CLEAN[0].length)}) {
                    EdgePatcher patcher = new EdgePatcher(m, g);
                    SourceOutputs corrupted = patcher.sourceOutputs(run, CORRUPT);
                    Random rng = new Random(17);
                    List<boolean[]> masks = new ArrayList<>();
                    for (int k = 0; k < 4; k++) {
                        boolean[] keep = new boolean[g.nEdges()];
                        for (int e = 0; e < keep.length; e++) {
                            keep[e] = rng.nextInt(4) != k; // from a quarter to all of the edges patched
                        }
                        masks.add(keep);
                    }
                    NDArray mixed = patcher.forward(run, CLEAN, corrupted, patcher.coefficients(run, masks));
                    NDArray tracked = patcher.coefficients(run, masks);
                    tracked.setRequiresGradient(true);
                    NDArray recomputed = patcher.forward(run, CLEAN, corrupted, tracked);
                    float scale = recomputed.abs().max().getFloat();
                    float diff = maxDiff(mixed, recomputed);
                    assertTrue(diff < 2e-5f * Math.max(1f, scale), name + ", " + g + ": differs by " + diff);
                    NDArray clean = m.forward(run, CLEAN);
                    assertTrue(maxDiff(mixed.get(new NDIndex("0:2")), clean) > 1e-3f, name + ": the masks changed nothing");
                }
            }
        }
    }

    /** A random GPT-2-layout model with LayerNorm post-attention and post-MLP norms (weights not 1) and biases. */
    static HookedTransformer layerNormSandwichModel(long seed) {
        ModelConfig c = ModelConfig.builder("gpt2").setSizes(16, 3, 4, 32, 41, 16).optSandwichNorms(true).build();
        Random rng = new Random(seed);
        NDManager m = DjlRuntime.newManager();
        long d = c.dModel();
        long hd = (long) c.nHeads() * c.dHead();
        List<LayerWeights> layers = new ArrayList<>();
        for (int l = 0; l < c.nLayers(); l++) {
            layers.add(new LayerWeights(near(m, rng, 1, d), random(m, rng, 0.1, d),
                    random(m, rng, 0.4, d, hd), random(m, rng, 0.1, hd), random(m, rng, 0.4, d, hd),
                    random(m, rng, 0.1, hd), random(m, rng, 0.4, d, hd), random(m, rng, 0.1, hd),
                    random(m, rng, 0.4, hd, d), random(m, rng, 0.3, d), null, null, near(m, rng, 1, d),
                    near(m, rng, 1, d), random(m, rng, 0.1, d), random(m, rng, 0.4, d, c.dMlp()),
                    random(m, rng, 0.1, c.dMlp()), null, null, random(m, rng, 0.3, c.dMlp(), d), random(m, rng, 0.1, d),
                    near(m, rng, 1, d)));
        }
        NDArray wE = random(m, rng, 1, c.vocabSize(), d);
        return new HookedTransformer(c, new ModelWeights(m, wE,
                random(m, rng, 0.3, c.contextLength(), d), layers, near(m, rng, 1, d), random(m, rng, 0.1, d),
                wE.transpose(), null));
    }

    private static NDArray random(NDManager m, Random rng, double sd, long... shape) {
        float[] values = new float[(int) new Shape(shape).size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (sd * rng.nextGaussian());
        }
        return m.create(values, new Shape(shape));
    }

    private static NDArray near(NDManager m, Random rng, double mean, long... shape) {
        return random(m, rng, 0.3, shape).add((float) mean);
    }

    @Test
    void patchingThroughSandwichNormsLeavesNothingOnThePassBeyondEachLayersStatistics() {
        // Every destination group takes each earlier layer's norm into account on its own head mix. When that
        // recomputed the norm, its intermediates (each as large as the group's inputs) stayed on the pass's
        // manager until the pass ended, groups x layers of them: a GPT-2-small-sized pass reached 20 GB that
        // way. With every edge kept no norm is involved, so the two passes differ only by what is kept on purpose.
        try (LoadedModel loaded = TestModels.load(
                TinyCheckpoint.llamaFamily("gemma2", 10, 4, 4, 2, 4, 12, 20, 41, 16, true, false))) {
            EdgePatcher patcher = new EdgePatcher(loaded.model());
            boolean[] random = new boolean[patcher.graph().nEdges()];
            Random rng = new Random(5);
            for (int e = 0; e < random.length; e++) {
                random[e] = rng.nextBoolean();
            }
            boolean[] allKept = new boolean[random.length];
            Arrays.fill(allKept, true);
            int layers = loaded.model().config().nLayers();
            int patched = arraysLeftOnItsManagerByOnePass(patcher, random);
            int none = arraysLeftOnItsManagerByOnePass(patcher, allKept);
            // kept on purpose: each layer's Gram matrices and one buffer of the norms' inputs
            assertTrue(patched <= none + layers + 1, "a pass that patches through the norms left " + patched
                    + " arrays on its manager, one that does not " + none);
        }
    }

    private static int arraysLeftOnItsManagerByOnePass(EdgePatcher patcher, boolean[] keep) {
        try (NDManager owner = patcher.model().newRunManager()) {
            SourceOutputs corrupted = patcher.sourceOutputs(owner, CORRUPT);
            try (NDManager run = owner.newSubManager()) {
                NDArray coefficients = patcher.coefficients(run, keep);
                patcher.forward(run, CLEAN, corrupted, coefficients).sum().getFloat();
                return run.getManagedArrays().size();
            }
        }
    }

    @Test
    void severalMasksInOnePassEqualSeparatePasses() {
        try (LoadedModel loaded = TestModels.tinyGpt2(4); NDManager run = loaded.model().newRunManager()) {
            EdgePatcher patcher = new EdgePatcher(loaded.model());
            ComputationGraph g = patcher.graph();
            SourceOutputs corrupted = patcher.sourceOutputs(run, CORRUPT);
            Random rng = new Random(1);
            NDArray[] single = new NDArray[3];
            NDArray batched = run.zeros(new Shape(3, g.nSources(), g.nDestinations()));
            for (int m = 0; m < 3; m++) {
                boolean[] keep = new boolean[g.nEdges()];
                for (int i = 0; i < keep.length; i++) {
                    keep[i] = rng.nextBoolean();
                }
                NDArray c = patcher.coefficients(run, keep);
                batched.set(new NDIndex("{}", m), c.get(0));
                single[m] = patcher.forward(run, CLEAN, corrupted, c);
            }
            NDArray together = patcher.forward(run, CLEAN, corrupted, batched);
            for (int m = 0; m < 3; m++) {
                assertTrue(maxDiff(together.get(new NDIndex("{}:{}", 2 * m, 2 * m + 2)), single[m]) < 1e-5f);
            }
        }
    }

    @Test
    void edgeGradientsFromOneBackwardPassMatchFiniteDifferences() {
        try (LoadedModel loaded = TestModels.tinyGpt2(5)) {
            assertEdgeGradientsMatchFiniteDifferences(loaded);
        }
    }

    @Test
    void edgeGradientsThroughSandwichNormsMatchFiniteDifferences() {
        try (LoadedModel loaded = TestModels.load(GEMMA2)) {
            assertEdgeGradientsMatchFiniteDifferences(loaded);
        }
    }

    private static void assertEdgeGradientsMatchFiniteDifferences(LoadedModel loaded) {
        try (NDManager run = loaded.model().newRunManager()) {
            EdgePatcher patcher = new EdgePatcher(loaded.model());
            ComputationGraph g = patcher.graph();
            SourceOutputs corrupted = patcher.sourceOutputs(run, CORRUPT);
            NDArray c = patcher.allKept(run, 1);
            c.setRequiresGradient(true);
            try (GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                NDArray logits = patcher.forward(run, CLEAN, corrupted, c);
                gc.backward(logits.get(":, -1, 7").sum());
            }
            NDArray grad = c.getGradient();
            for (String name : new String[] {"a0.h1->a1.h2<q>", "input->logits", "m0->a1.h0<k>", "a1.h2->m1"}) {
                Edge e = g.edge(name);
                int s = e.source().sourceIndex();
                int d = e.destination().index();
                float eps = 1e-2f;
                float up = metric(patcher, run, corrupted, s, d, 1f + eps);
                float down = metric(patcher, run, corrupted, s, d, 1f - eps);
                float numeric = (up - down) / (2 * eps);
                assertEquals(numeric, grad.getFloat(0, s, d), 5e-4 + 1e-2 * Math.abs(numeric), name);
            }
        }
    }

    private static float metric(EdgePatcher patcher, NDManager run, SourceOutputs corrupted, int s, int d, float value) {
        NDArray c = patcher.allKept(run, 1);
        c.set(new NDIndex("0, {}, {}", s, d), value);
        return patcher.forward(run, CLEAN, corrupted, c).get(":, -1, 7").sum().getFloat();
    }

    @ParameterizedTest
    @MethodSource("families")
    void positionAwareCoefficientsPatchOnlyTheirPosition(TinyCheckpoint checkpoint) {
        try (LoadedModel loaded = TestModels.load(checkpoint); NDManager run = loaded.model().newRunManager()) {
            HookedTransformer model = loaded.model();
            EdgePatcher patcher = new EdgePatcher(model);
            ComputationGraph g = patcher.graph();
            SourceOutputs corrupted = patcher.sourceOutputs(run, CORRUPT);
            int seq = CLEAN[0].length;
            NDArray ones = run.ones(new Shape(1, g.nSources(), g.nDestinations(), seq));
            // constant over positions, position-aware coefficients equal the plain ones
            assertTrue(maxDiff(patcher.forward(run, CLEAN, corrupted, ones), model.forward(run, CLEAN)) < 1e-5f);
            NDArray zeros = ones.zerosLike();
            assertTrue(maxDiff(patcher.forward(run, CLEAN, corrupted, zeros), model.forward(run, CORRUPT)) < 1e-5f);

            // patching a0.h1 -> a1.h1<v> at position 3 only equals shifting that v input there by what swapping in
            // the corrupted a0.h1 does to layer 0's attention output (its result itself, unless sandwich norms
            // normalise the head sum)
            Edge edge = g.edge("a0.h1->a1.h1<v>");
            NDArray c = ones.duplicate();
            c.set(new NDIndex("0, {}, {}, 3", edge.source().sourceIndex(), edge.destination().index()), 0f);
            NDArray viaEdges = patcher.forward(run, CLEAN, corrupted, c);
            HookName result0 = HookName.of(HookSite.RESULT, 0);
            HookName attnOut0 = HookName.of(HookSite.ATTN_OUT, 0);
            try (ActivationCache clean = ActivationCache.of(run, Set.of(result0, attnOut0));
                    ActivationCache corrupt = ActivationCache.of(run, Set.of(result0));
                    ActivationCache swapped = ActivationCache.of(run, Set.of(attnOut0))) {
                model.forward(run, CLEAN, Hooks.caching(clean));
                model.forward(run, CORRUPT, Hooks.caching(corrupt));
                model.forward(run, CLEAN, Hooks.builder().add(Intervention.replace(result0, Selection.heads(1),
                        corrupt.get(result0))).cache(swapped).build());
                NDArray shift = swapped.get(attnOut0).sub(clean.get(attnOut0));
                NDArray viaHooks = model.forward(run, CLEAN, Hooks.of(Intervention.apply(HookName.of(HookSite.V_INPUT, 1),
                        Selection.heads(1).atPositions(3), "swap a0.h1 at position 3", x -> x.add(shift.expandDims(2)))));
                assertTrue(maxDiff(viaEdges, viaHooks) < 1e-5f, "edge mask vs hooks: " + maxDiff(viaEdges, viaHooks));
                assertTrue(maxDiff(viaEdges.get(":, 0:3, :"), model.forward(run, CLEAN).get(":, 0:3, :")) < 1e-5f);
                assertTrue(maxDiff(viaEdges, model.forward(run, CLEAN)) > 1e-4f);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("families")
    void passesFinishedFromASharedPrefixEqualFullPasses(TinyCheckpoint checkpoint) {
        try (LoadedModel loaded = TestModels.load(checkpoint); NDManager run = loaded.model().newRunManager()) {
            HookedTransformer model = loaded.model();
            for (ComputationGraph g : new ComputationGraph[] {ComputationGraph.of(model.config()),
                    ComputationGraph.byPosition(model.config(), CLEAN[0].length)}) {
                EdgePatcher patcher = new EdgePatcher(model, g);
                SourceOutputs corrupted = patcher.sourceOutputs(run, CORRUPT);
                Random rng = new Random(3);
                for (int layer = 0; layer <= model.config().nLayers(); layer++) {
                    // a random base mask, and variants that change only edges into layer >= `layer`
                    boolean[] base = new boolean[g.nEdges()];
                    for (int e = 0; e < base.length; e++) {
                        base[e] = rng.nextBoolean();
                    }
                    boolean[][] variants = new boolean[3][];
                    NDArray all = run.zeros(g.coefficientShape(3));
                    for (int m = 0; m < 3; m++) {
                        variants[m] = base.clone();
                        for (Edge e : g.edges()) {
                            if (e.destination().node().layer() >= layer && rng.nextInt(3) == 0) {
                                variants[m][e.index()] = !base[e.index()];
                            }
                        }
                        all.set(new NDIndex("{}", m), patcher.coefficients(run, variants[m]).get(0));
                    }
                    EdgePatcher.Prefix prefix = patcher.prefix(run, CLEAN, corrupted, patcher.coefficients(run, base), layer);
                    NDArray shared = patcher.forwardFrom(run, prefix, corrupted, all);
                    NDArray full = patcher.forward(run, CLEAN, corrupted, all);
                    float diff = maxDiff(shared, full);
                    assertTrue(diff < 1e-5f, g + ", prefix below layer " + layer + ": differs by " + diff);
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("families")
    void passesFromAPrefixLeaveNothingInThePrefixesManager(TinyCheckpoint checkpoint) {
        try (LoadedModel loaded = TestModels.load(checkpoint); NDManager owner = loaded.model().newRunManager()) {
            for (ComputationGraph g : new ComputationGraph[] {ComputationGraph.of(loaded.model().config()),
                    ComputationGraph.byPosition(loaded.model().config(), CLEAN[0].length)}) {
                EdgePatcher patcher = new EdgePatcher(loaded.model(), g);
                SourceOutputs corrupted = patcher.sourceOutputs(owner, CORRUPT);
                EdgePatcher.Prefix prefix = patcher.prefix(owner, CLEAN, corrupted, patcher.allKept(owner, 1), 1);
                int before = owner.getManagedArrays().size();
                for (int i = 0; i < 5; i++) {
                    try (NDManager run = owner.newSubManager()) {
                        patcher.forwardFrom(run, prefix, corrupted, patcher.allKept(run, 1 + i % 2)).sum().getFloat();
                    }
                }
                assertEquals(before, owner.getManagedArrays().size(), g + ": passes left arrays in the prefix's manager");
            }
        }
    }

    /**
     * A prefix lives for many passes, so its manager holds only what they read: the residual, the differences
     * below its layer and (sandwich norms) the head sums. It used to hold the pass's whole differences buffer
     * (every source's, through a slice of it), the mixer's rows and the rest of the pass.
     */
    @ParameterizedTest
    @MethodSource("families")
    void aPrefixHoldsOnlyWhatThePassesFromItRead(TinyCheckpoint checkpoint) {
        try (LoadedModel loaded = TestModels.load(checkpoint); NDManager run = loaded.model().newRunManager()) {
            EdgePatcher patcher = new EdgePatcher(loaded.model());
            SourceOutputs corrupted = patcher.sourceOutputs(run, CORRUPT);
            boolean[] keep = new boolean[patcher.graph().nEdges()];
            Random rng = new Random(5);
            for (int e = 0; e < keep.length; e++) {
                keep[e] = rng.nextBoolean();
            }
            NDArray coefficients = patcher.coefficients(run, keep);
            for (int layer = 0; layer <= loaded.model().config().nLayers(); layer++) {
                try (NDManager owner = run.newSubManager()) {
                    EdgePatcher.Prefix prefix = patcher.prefix(owner, CLEAN, corrupted, coefficients, layer);
                    long needed = prefix.residual().size()
                            + (prefix.differences() == null ? 0 : prefix.differences().size())
                            + Arrays.stream(prefix.headSums()).mapToLong(NDArray::size).sum();
                    long held = owner.getManagedArrays().stream().mapToLong(NDArray::size).sum();
                    assertEquals(needed, held, "elements held by a prefix below layer " + layer);
                }
            }
        }
    }

    @Test
    void logitsOnlyAtTargetPositionsAreThoseOfTheFullPassAndGiveTheSameMetric() {
        try (LoadedModel loaded = TestModels.tinyGpt2(7); NDManager run = loaded.model().newRunManager()) {
            HookedTransformer model = loaded.model();
            EdgePatcher patcher = new EdgePatcher(model);
            SourceOutputs corrupted = patcher.sourceOutputs(run, CORRUPT);
            Batch batch = Batch.of(List.of(
                    new Example(CLEAN[0], CORRUPT[0], List.of(
                            new Target(-1, 3, 4), new Target(1, 5, 6))),
                    new Example(CLEAN[1], CORRUPT[1], List.of(
                            new Target(1, 7, 8)))));
            int[] positions = batch.logitPositions();
            assertEquals(List.of(1, 5), Arrays.stream(positions).boxed().toList());
            NDArray coefficients = patcher.allKept(run, 2);
            coefficients.set(new NDIndex("1, 0:3, :"), 0.5f);
            NDArray full = patcher.forward(run, CLEAN, corrupted, coefficients);
            NDArray some = patcher.forward(run, CLEAN, corrupted, coefficients,
                    GradientRules.EXACT, List.of(), positions);
            assertEquals(new Shape(4, 2, model.config().vocabSize()), some.getShape());
            assertTrue(maxDiff(full.get(":, 1, :"), some.get(":, 0, :")) < 1e-5f);
            assertTrue(maxDiff(full.get(":, 5, :"), some.get(":, 1, :")) < 1e-5f);
            for (Metric metric : List.of(Metrics.LOGIT_DIFF,
                    Metrics.PROB, Metrics.RANK)) {
                assertTrue(maxDiff(metric.perTarget(full, batch, null), metric.perTarget(some, batch, null)) < 1e-5f,
                        metric.name());
            }
            EdgePatcher.Prefix prefix = patcher.prefix(run, CLEAN, corrupted, patcher.allKept(run, 1), 0);
            NDArray fromPrefix = patcher.forwardFrom(run, prefix, corrupted, coefficients, positions);
            assertTrue(maxDiff(fromPrefix, some) < 1e-5f);
        }
    }
}

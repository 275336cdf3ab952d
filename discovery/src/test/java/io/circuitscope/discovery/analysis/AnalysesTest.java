package io.circuitscope.discovery.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.Edge;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.Port;
import io.circuitscope.core.hook.ActivationCache;
import io.circuitscope.core.hook.HookName;
import io.circuitscope.core.hook.HookSite;
import io.circuitscope.core.hook.Hooks;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.task.Batch;
import io.circuitscope.core.task.Corruption;
import io.circuitscope.core.task.Direction;
import io.circuitscope.core.task.Example;
import io.circuitscope.core.task.Metric;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Target;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.testing.TestModels;
import io.circuitscope.core.testing.TinyCheckpoint;
import io.circuitscope.discovery.analysis.ActivationPatching.Options;
import io.circuitscope.discovery.analysis.ActivationPatching.Site;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Exact identities of the classic analyses on tiny random models. */
class AnalysesTest {
    static final int[][] CLEAN = {{1, 5, 9, 12, 3, 7}, {2, 2, 30, 11, 0, 8}, {4, 17, 9, 5, 21, 6}};
    static final int[][] CORRUPT = {{4, 6, 10, 13, 21, 17}, {3, 25, 33, 14, 5, 1}, {7, 7, 19, 2, 20, 6}};

    static Task task(int[][] clean, int[][] corrupt) {
        List<Example> ex = new ArrayList<>();
        for (int i = 0; i < clean.length; i++) {
            ex.add(new Example(clean[i], corrupt[i], List.of(new Target(-1, 3 + i, 20 + i), new Target(2, 7, 8)),
                    new int[] {1, 2}));
        }
        return new Task("t", ex);
    }

    static LoadedModel model() {
        return TestModels.load(TinyCheckpoint.gpt2(42, 3, 3, 4, 41, 16, false));
    }

    /**
     * Noise was seeded by the batch's length and size, so which example got which noise followed the file's order
     * (shuffling ioi.jsonl moved patch's corrupted metric from 3.881 to 3.350): each example now has its own.
     */
    @Test
    void noiseFollowsTheExampleNotTheFileOrder() {
        Task inFileOrder = task(CLEAN, CORRUPT);
        List<Example> shuffled = new ArrayList<>(inFileOrder.examples());
        java.util.Collections.reverse(shuffled);
        Task reversedTask = new Task("t", shuffled);
        try (LoadedModel loaded = model(); NDManager run = loaded.model().newRunManager()) {
            Batch inOrder = inFileOrder.batches(8).get(0);
            Batch reversed = reversedTask.batches(8).get(0);
            NDArray a = Corruption.noise(5).noise(run, loaded.model(), inOrder);
            NDArray b = Corruption.noise(5).noise(run, loaded.model(), reversed);
            for (int i = 0; i < 3; i++) {
                assertEquals(0f, a.get(i).sub(b.get(2 - i)).abs().max().getFloat(), "example " + i);
            }
            // the same prompt alone in a batch of one gets the same noise as within the batch
            Batch alone = new Task("t", List.of(inFileOrder.examples().get(1))).batches(8).get(0);
            assertEquals(0f, a.get(1).sub(Corruption.noise(5).noise(run, loaded.model(), alone).get(0)).abs().max()
                    .getFloat());
            // and the noise differs between examples and between seeds
            assertTrue(a.get(0).sub(a.get(1)).abs().max().getFloat() > 0);
            assertTrue(a.sub(Corruption.noise(6).noise(run, loaded.model(), inOrder)).abs().max().getFloat() > 0);
            // the corrupted metric is the mean over examples, so it no longer moves with the order either
            Options noise = Options.of(Metrics.LOGIT_DIFF, Direction.DENOISE, Site.MLP, true)
                    .withCorruption(Corruption.noise(3));
            assertEquals(ActivationPatching.sweep(loaded.model(), inFileOrder, noise).corrupted(),
                    ActivationPatching.sweep(loaded.model(), reversedTask, noise).corrupted(), 1e-5);
        }
    }

    static void assertSame(PatchResult a, PatchResult b, double tol) {
        assertEquals(a.clean(), b.clean(), tol);
        assertEquals(a.corrupted(), b.corrupted(), tol);
        assertEquals(a.effects().size(), b.effects().size());
        for (int i = 0; i < a.effects().size(); i++) {
            assertEquals(a.effects().get(i).name(), b.effects().get(i).name());
            assertEquals(a.effects().get(i).value(), b.effects().get(i).value(), tol, a.effects().get(i).name());
        }
    }

    @Test
    void batchedSweepsEqualTheNaiveOneForwardPerVariantLoop() {
        try (LoadedModel loaded = model()) {
            HookedTransformer m = loaded.model();
            Task t = task(CLEAN, CORRUPT);
            for (Site site : Site.values()) {
                for (Direction d : Direction.values()) {
                    for (boolean byPos : new boolean[] {false, true}) {
                        if (byPos && site != Site.HEADS && site != Site.RESID && site != Site.MLP) {
                            continue;
                        }
                        // maxRows 7: chunks of 2 variants, so chunk boundaries inside a layer are exercised
                        Options o = Options.of(Metrics.LOGIT_DIFF, d, site, byPos).withMaxRows(7);
                        PatchResult fast = ActivationPatching.sweep(m, t, o);
                        PatchResult slow = ActivationPatching.naive(m, t, o);
                        assertSame(fast, slow, 1e-5);
                        int expected = 3 * (site.perHead ? 3 : 1) * (byPos ? 6 : 1);
                        assertEquals(expected, fast.effects().size());
                    }
                }
            }
            // KL (needs the clean reference), the noise corruption and mean ablation
            assertSame(ActivationPatching.sweep(m, t, Options.of(Metrics.KL, Direction.NOISE, Site.HEADS, false)),
                    ActivationPatching.naive(m, t, Options.of(Metrics.KL, Direction.NOISE, Site.HEADS, false)), 1e-5);
            Options noise = Options.of(Metrics.LOGIT_DIFF, Direction.DENOISE, Site.MLP, true).withCorruption(Corruption.noise(3));
            assertSame(ActivationPatching.sweep(m, t, noise), ActivationPatching.naive(m, t, noise), 1e-5);
            Options mean = Options.of(Metrics.LOGIT_DIFF, Direction.NOISE, Site.HEADS, false).withCorruption(Corruption.mean());
            assertSame(ActivationPatching.sweep(m, t, mean), ActivationPatching.naive(m, t, mean), 1e-5);
            assertThrows(IllegalArgumentException.class, () -> ActivationPatching.sweep(m, t,
                    Options.of(Metrics.LOGIT_DIFF, Direction.DENOISE, Site.HEADS, false).withCorruption(Corruption.zero())));
        }
    }

    @Test
    void patchingCleanIntoCleanChangesNothing() {
        try (LoadedModel loaded = model()) {
            Task same = task(CLEAN, CLEAN);
            for (Site site : Site.values()) {
                for (Direction d : Direction.values()) {
                    PatchResult r = ActivationPatching.sweep(loaded.model(), same, Options.of(Metrics.LOGIT_DIFF, d, site, true));
                    assertEquals(r.clean(), r.corrupted(), 1e-6);
                    for (PatchResult.Effect e : r.effects()) {
                        assertEquals(0.0, e.effect(), 1e-5, e.name());
                        assertEquals(r.clean(), e.value(), 1e-5, e.name());
                    }
                }
            }
        }
    }

    @Test
    void denoisingTheWholeResidualStreamOfTheLastLayerRestoresTheCleanMetric() {
        try (LoadedModel loaded = model()) {
            Task t = task(CLEAN, CORRUPT);
            PatchResult r = ActivationPatching.sweep(loaded.model(), t,
                    Options.of(Metrics.LOGIT_DIFF, Direction.DENOISE, Site.RESID, false));
            PatchResult.Effect last = r.effects().get(r.effects().size() - 1);
            assertEquals("resid_pre2", last.name());
            assertEquals(1.0, last.normalized(), 1e-5);
            assertEquals(1.0, r.effects().get(0).normalized(), 1e-5, "resid_pre0 is the whole input too");
            PatchResult noising = ActivationPatching.sweep(loaded.model(), t,
                    Options.of(Metrics.LOGIT_DIFF, Direction.NOISE, Site.RESID, false));
            assertEquals(1.0, noising.effects().get(2).normalized(), 1e-5);
            assertTrue(Math.abs(r.clean() - r.corrupted()) > 1e-2, "the prompts must differ in the metric");
        }
    }

    /** GPT-2, and Gemma 2, whose sandwich norms make a sender's change to a receiver pass through its layer's norm. */
    static java.util.stream.Stream<TinyCheckpoint> pathModels() {
        return java.util.stream.Stream.of(TinyCheckpoint.gpt2(42, 3, 3, 4, 41, 16, false),
                TinyCheckpoint.llamaFamily("gemma2", 43, 3, 3, 1, 4, 12, 20, 41, 16, true, false));
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.MethodSource("pathModels")
    void pathPatchingEqualsTheEdgePatcherOnTheSameEdges(TinyCheckpoint checkpoint) {
        try (LoadedModel loaded = TestModels.load(checkpoint); NDManager run = loaded.model().newRunManager()) {
            HookedTransformer m = loaded.model();
            Task t = task(CLEAN, CORRUPT);
            Batch batch = t.batches(64).get(0);
            EdgePatcher patcher = new EdgePatcher(m);
            ComputationGraph g = patcher.graph();
            for (Direction d : Direction.values()) {
                for (String spec : new String[] {"logits", "a2.h1", "a1.h0<k>"}) {
                    List<PathPatching.Receiver> receivers = PathPatching.Receiver.parse(spec, m.config());
                    PatchResult r = PathPatching.senders(m, t, Metrics.LOGIT_DIFF, d, Corruption.resample(), receivers, 5);
                    int[][] base = d == Direction.DENOISE ? CORRUPT : CLEAN;
                    int[][] source = d == Direction.DENOISE ? CLEAN : CORRUPT;
                    var patched = patcher.sourceOutputs(run, source);
                    for (PatchResult.Effect e : r.effects()) {
                        boolean[] keep = new boolean[g.nEdges()];
                        Arrays.fill(keep, true);
                        for (PathPatching.Receiver rc : receivers) {
                            String dest = rc.isLogits() ? "logits" : "a" + rc.layer() + ".h" + rc.head() + rc.port().suffix();
                            String edge = e.name() + "->" + dest;
                            if (g.hasEdge(edge)) {
                                keep[g.edge(edge).index()] = false;
                            }
                        }
                        NDArray logits = patcher.forward(run, base, patched, patcher.coefficients(run, keep));
                        double expected = Metrics.LOGIT_DIFF.perVariant(logits, batch, null).getFloat(0);
                        assertEquals(expected, e.value(), 1e-5, d + " " + e.name() + " -> " + spec);
                    }
                }
            }
            PatchResult edges = PathPatching.edges(m, t, Metrics.LOGIT_DIFF, Direction.NOISE, Corruption.resample(), "->logits", 8,
                    false);
            assertEquals(g.edgesInto(g.destination("logits")).size(), edges.effects().size());
            // by position: the targets sit at positions 2 and 5, so an edge into the logits elsewhere changes
            // nothing, and (the logits of a position read only that position) the two effects add up to the whole edge's
            PatchResult byPosition = PathPatching.edges(m, t, Metrics.LOGIT_DIFF, Direction.NOISE, Corruption.resample(),
                    "->logits@", 64, true);
            java.util.Map<String, Double> summed = new java.util.HashMap<>();
            for (PatchResult.Effect e : byPosition.effects()) {
                String whole = e.name().substring(0, e.name().indexOf('@'));
                if (e.position() != 2 && e.position() != 5) {
                    assertEquals(byPosition.clean(), e.value(), 1e-5, e.name());
                }
                summed.merge(whole, e.value() - byPosition.clean(), Double::sum);
            }
            for (PatchResult.Effect e : edges.effects()) {
                assertEquals(e.value() - edges.clean(), summed.get(e.name()), 1e-4, e.name());
            }
            PatchResult viaSenders = PathPatching.senders(m, t, Metrics.LOGIT_DIFF, Direction.NOISE, Corruption.resample(),
                    PathPatching.Receiver.parse("logits", m.config()), 64);
            for (PatchResult.Effect e : viaSenders.effects()) {
                double v = edges.effects().stream().filter(x -> x.name().equals(e.name() + "->logits")).findFirst()
                        .orElseThrow().value();
                assertEquals(v, e.value(), 1e-5);
            }
        }
    }

    @Test
    void directLogitAttributionSumsToTheLogitDifference() {
        for (TinyCheckpoint c : List.of(TinyCheckpoint.gpt2(42, 3, 3, 4, 41, 16, false),
                TinyCheckpoint.llamaFamily("llama", 7, 2, 4, 2, 4, 12, 20, 41, 16, false, true))) {
            try (LoadedModel loaded = TestModels.load(c)) {
                DirectLogitAttribution.Result r = DirectLogitAttribution.run(loaded.model(), task(CLEAN, CORRUPT));
                assertEquals(r.logitDiff(), r.sum(), 1e-3 * Math.max(1, Math.abs(r.logitDiff())));
                double layers = r.embed() + r.bias() + Arrays.stream(r.attnLayers()).sum() + Arrays.stream(r.mlpLayers()).sum();
                assertEquals(r.logitDiff(), layers, 1e-3 * Math.max(1, Math.abs(r.logitDiff())));
                assertTrue(Math.abs(r.heads()[0][1]) > 0);
            }
        }
    }

    /** DLA follows one logit direction; a task with answer sets is refused by example and target. */
    @Test
    void directLogitAttributionRefusesAnswerSets() {
        Task sets = new Task("years", List.of(new Example(CLEAN[0], CORRUPT[0],
                List.of(new Target(-1, 3, 20), new Target(2, List.of(7, 9), List.of(8))))));
        try (LoadedModel loaded = model()) {
            IllegalArgumentException dla = assertThrows(IllegalArgumentException.class,
                    () -> DirectLogitAttribution.run(loaded.model(), sets));
            assertTrue(dla.getMessage().startsWith("direct logit attribution (a logit difference is one direction in the "
                    + "residual stream) needs one correct and one wrong token per target, but task 'years' example 1, "
                    + "targets[1] has answer sets (correct 2 tokens, wrong 1)"), dla.getMessage());
        }
    }

    /**
     * Gemma 2 and 3: with each post-attention norm fixed at its clean scale the heads' shares add up to the
     * normalised attention output, so without an output bias nothing is left for the layer's bias term; with
     * Gemma 2's final soft-cap the components sum to the logit difference before the cap, recovered here from the
     * capped logits as cap * atanh(logit / cap).
     */
    @Test
    void directLogitAttributionThroughSandwichNormsAndTheSoftCap() {
        TinyCheckpoint gemma2 = TinyCheckpoint.llamaFamily("gemma2", 51, 2, 4, 2, 4, 12, 20, 41, 16, true, false);
        gemma2.config().put("final_logit_softcapping", 0.5); // low enough that tanh bends these small logits
        for (TinyCheckpoint c : List.of(gemma2, TinyCheckpoint.gemma3(53, 2, 4, 2, 4, 12, 20, 41, 16, 3, 2))) {
            try (LoadedModel loaded = TestModels.load(c); NDManager run = loaded.model().newRunManager()) {
                Task t = task(CLEAN, CORRUPT);
                DirectLogitAttribution.Result r = DirectLogitAttribution.run(loaded.model(), t);
                double cap = loaded.model().config().finalSoftcap();
                assertEquals(cap, r.softcap());
                Batch batch = t.batches(64).get(0);
                float[] lg = io.circuitscope.core.task.Metric.atTargets(loaded.model().forward(run, CLEAN), batch).get(0)
                        .toFloatArray();
                int vocab = loaded.model().config().vocabSize();
                double expected = 0;
                for (int i = 0; i < batch.targets(); i++) {
                    expected += uncapped(lg[i * vocab + batch.correct()[i]], cap) - uncapped(lg[i * vocab + batch.wrong()[i]], cap);
                }
                expected /= batch.targets();
                double tolerance = 1e-3 * Math.max(1, Math.abs(expected));
                double capped = 0;
                for (int i = 0; i < batch.targets(); i++) {
                    capped += lg[i * vocab + batch.correct()[i]] - lg[i * vocab + batch.wrong()[i]];
                }
                capped /= batch.targets();
                System.out.printf("DLA %s (cap %.1f): logit difference before the cap %.5f (from the capped logits %.5f; "
                        + "after the cap %.5f), sum %.5f%n", c.config().get("model_type"), cap, r.logitDiff(), expected,
                        capped, r.sum());
                assertEquals(expected, r.logitDiff(), tolerance);
                assertEquals(expected, r.sum(), tolerance);
                double largestHead = 0;
                for (int l = 0; l < r.heads().length; l++) {
                    assertEquals(0, r.components().get("a" + l + ".bias"), tolerance, "layer " + l + " has no output bias");
                    for (double v : r.heads()[l]) {
                        largestHead = Math.max(largestHead, Math.abs(v));
                    }
                }
                assertTrue(largestHead > 10 * tolerance, "the heads must write something measurable: " + largestHead);
            }
        }
    }

    private static double uncapped(double logit, double cap) {
        if (cap <= 0) {
            return logit;
        }
        double ratio = logit / cap;
        return cap * 0.5 * Math.log((1 + ratio) / (1 - ratio));
    }

    /** A model without normalisation has no final norm weight; DLA failed reading it (NullPointerException). */
    @Test
    void directLogitAttributionWorksWithoutAFinalNorm() {
        io.circuitscope.core.planted.PlantedModel planted = io.circuitscope.core.planted.PlantedModels.byName("ioi");
        try (HookedTransformer model = planted.build()) {
            DirectLogitAttribution.Result r = DirectLogitAttribution.run(model, planted.task(0, 4));
            assertEquals(7.0, r.logitDiff(), 1e-3, "the planted IOI model's clean logit difference");
            assertEquals(r.logitDiff(), r.sum(), 1e-3);
            assertTrue(r.heads()[2][0] > r.logitDiff(), "the name mover alone writes more than the total: "
                    + r.heads()[2][0]);
        }
    }

    @Test
    void logitLensAtTheLastLayerIsTheModelsOutput() {
        assertLensEndsAtTheModelsRankAndLogProb(task(CLEAN, CORRUPT));
    }

    /** With answer sets the lens reads what the metrics read: the best token's rank and the set's summed probability. */
    @Test
    void logitLensOfAnswerSetsAtTheLastLayerIsTheModelsOutput() {
        Task sets = new Task("sets", List.of(
                new Example(CLEAN[0], CORRUPT[0], List.of(new Target(-1, List.of(3, 5, 11), List.of(20)))),
                new Example(CLEAN[1], CORRUPT[1], List.of(new Target(2, List.of(7, 9), List.of(8))))));
        assertLensEndsAtTheModelsRankAndLogProb(sets);
    }

    /**
     * Ties: planted greater-than gives every year after the start year the same logit, so its target's year ties
     * with the others, which rank above it, for the lens as for the rank metric (the lens read 1, counting only
     * tokens strictly above).
     */
    @Test
    void logitLensRanksATieAsTheRankMetricDoes() {
        io.circuitscope.core.planted.PlantedModel planted = io.circuitscope.core.planted.PlantedModels.byName("greater-than");
        Task task = planted.task(0, 8);
        try (HookedTransformer model = planted.build(); NDManager run = model.newRunManager()) {
            List<LogitLens.Layer> lens = LogitLens.run(model, task, 3);
            Batch batch = task.batches(64).get(0);
            float[] rank = Metrics.RANK.perTarget(model.forward(run, batch.clean()), batch, null).toFloatArray();
            List<LogitLens.TargetView> last = lens.get(lens.size() - 1).targets();
            boolean tied = false;
            for (int i = 0; i < rank.length; i++) {
                assertEquals((int) rank[i], last.get(i).rank(), "target " + i);
                tied |= rank[i] > 1;
            }
            assertTrue(tied, "some target's year ties with later years");
        }
    }

    /** A receiver must be the logits or one of the model's heads (layer nLayers once ran and read all zeros). */
    @Test
    void pathPatchingRefusesReceiversOutsideTheModel() {
        try (LoadedModel loaded = model()) {
            HookedTransformer m = loaded.model();
            for (String spec : new String[] {"a3.h0", "a0.h3", "a9.h0<k>"}) {
                IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                        () -> PathPatching.Receiver.parse(spec, m.config()));
                assertTrue(e.getMessage().contains("receiver '" + spec + "' is not a head of this model: layers are 0 "
                        + "to 2 and heads 0 to 2"), e.getMessage());
            }
            assertEquals(3, PathPatching.Receiver.parse("a2.h2", m.config()).size());
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> PathPatching.senders(m, task(CLEAN, CORRUPT), Metrics.LOGIT_DIFF, Direction.NOISE,
                            Corruption.resample(), List.of(new PathPatching.Receiver(3, 0, Port.Q)), 64));
            assertTrue(e.getMessage().contains("receiver 'a3.h0' is not a head"), e.getMessage());
        }
    }

    /**
     * Batches group examples by prompt length; a target's example is still its index in the task (it was its
     * place in batch order: lengths 5, 6, 5 reported examples 0, 2, 1).
     */
    @Test
    void logitLensNamesEachTargetsExampleInTaskOrderWhenLengthsDiffer() {
        int[] shorter = java.util.Arrays.copyOf(CLEAN[0], CLEAN[0].length - 1);
        Task mixed = new Task("mixed", List.of(
                new Example(CLEAN[0], CLEAN[0], List.of(new Target(-1, 3, 4))),
                new Example(shorter, shorter, List.of(new Target(-1, 5, 6))),
                new Example(CLEAN[1], CLEAN[1], List.of(new Target(-1, 7, 8)))));
        try (LoadedModel loaded = model()) {
            for (LogitLens.Layer layer : LogitLens.run(loaded.model(), mixed, 1)) {
                assertEquals(3, layer.targets().size());
                for (LogitLens.TargetView v : layer.targets()) {
                    int correct = mixed.examples().get(v.example()).targets().get(0).correctIds().get(0);
                    assertEquals(correct, v.correctIds()[0], "example " + v.example() + " at " + layer.name());
                }
            }
        }
    }

    private void assertLensEndsAtTheModelsRankAndLogProb(Task t) {
        try (LoadedModel loaded = model(); NDManager run = loaded.model().newRunManager()) {
            List<LogitLens.Layer> lens = LogitLens.run(loaded.model(), t, 3);
            assertEquals(4, lens.size());
            assertEquals("embed", lens.get(0).name());
            Batch batch = t.batches(64).get(0);
            NDArray logits = loaded.model().forward(run, batch.clean());
            float[] rank = Metrics.RANK.perTarget(logits, batch, null).toFloatArray();
            float[] lp = Metrics.LOG_PROB.perTarget(logits, batch, null).toFloatArray();
            LogitLens.Layer last = lens.get(3);
            for (int i = 0; i < rank.length; i++) {
                assertEquals((int) rank[i], last.targets().get(i).rank());
                assertEquals(lp[i], last.targets().get(i).logProb(), 1e-4);
                assertEquals(3, last.targets().get(i).topIds().length);
            }
        }
    }

    /** Patterns [1, H, S, S] for tokens r1..r5 r1..r5: head 0 previous-token, head 1 induction, head 2 uniform. */
    @Test
    void plantedPatternsScoreHighAndUniformOrRandomLow() {
        int seq = 10;
        int[][] tokens = {{11, 12, 13, 14, 15, 11, 12, 13, 14, 15}};
        int heads = 4;
        float[] p = new float[heads * seq * seq];
        Random rng = new Random(0);
        for (int q = 0; q < seq; q++) {
            p[(0 * seq + q) * seq + Math.max(0, q - 1)] = 1f;
            int ind = q >= 5 ? q - 4 : 0;
            p[(1 * seq + q) * seq + ind] = 1f;
            int dup = q >= 5 ? q - 5 : 0;
            p[(3 * seq + q) * seq + dup] = 1f;
            double total = 0;
            double[] w = new double[q + 1];
            for (int k = 0; k <= q; k++) {
                w[k] = rng.nextDouble();
                total += w[k];
            }
            for (int k = 0; k <= q; k++) {
                p[(2 * seq + q) * seq + k] = (float) (w[k] / total);
            }
        }
        HeadScores.Score prev = HeadScores.score(HeadScores.Kind.PREVIOUS_TOKEN, p, 1, heads, seq, tokens);
        HeadScores.Score ind = HeadScores.score(HeadScores.Kind.INDUCTION, p, 1, heads, seq, tokens);
        HeadScores.Score dup = HeadScores.score(HeadScores.Kind.DUPLICATE_TOKEN, p, 1, heads, seq, tokens);
        assertEquals(1.0, prev.mean(0), 1e-6);
        assertEquals(1.0, ind.mean(1), 1e-6);
        assertEquals(1.0, dup.mean(3), 1e-6);
        assertEquals(0.0, ind.mean(0), 1e-6);
        assertEquals(0.0, prev.mean(1), 0.2);
        assertTrue(ind.mean(2) < 0.3 && prev.mean(2) < 0.5 && dup.mean(2) < 0.3);
        assertEquals(5, ind.queries(), "queries 5..9 have an earlier copy whose successor comes before them");
    }

    /**
     * On planted:induction the scores find the planted heads: a0.h0 attends to the previous token (score 30
     * on key p - 1), a1.h0 to the token after the earlier copy; the distractors' random QK does neither.
     */
    @Test
    void headScoresFindThePlantedPreviousTokenAndInductionHeads() {
        io.circuitscope.core.planted.PlantedModel planted = io.circuitscope.core.planted.PlantedModels.byName("induction");
        try (HookedTransformer model = planted.build()) {
            Task t = planted.task(0, 8);
            double[][] previous = HeadScores.compute(model, t, HeadScores.Kind.PREVIOUS_TOKEN);
            double[][] induction = HeadScores.compute(model, t, HeadScores.Kind.INDUCTION);
            assertTrue(previous[0][0] > 0.99, "a0.h0 previous-token score " + previous[0][0]);
            assertTrue(induction[1][0] > 0.99, "a1.h0 induction score " + induction[1][0]);
            for (int l = 0; l < 2; l++) {
                for (int h = 0; h < 4; h++) {
                    if (l != 0 || h != 0) {
                        assertTrue(previous[l][h] < 0.5, "a" + l + ".h" + h + " previous-token score " + previous[l][h]);
                    }
                    if (l != 1 || h != 0) {
                        assertTrue(induction[l][h] < 0.5, "a" + l + ".h" + h + " induction score " + induction[l][h]);
                    }
                }
            }
        }
    }

    @Test
    void headScoresAreEachLayersOwnPatternScoredAndCorruptionNoiseIsDeterministic() {
        try (LoadedModel loaded = model(); NDManager run = loaded.model().newRunManager()) {
            Task t = new io.circuitscope.core.task.generate.InductionGenerator(5, 0, 1, true).generate(null, 41, 4, 1).task();
            double[][] s = HeadScores.compute(loaded.model(), t, HeadScores.Kind.INDUCTION);
            assertEquals(3, s.length);
            // one batch, so each layer's score is that layer's own cached pattern scored by hand
            Batch only = t.batches(32).get(0);
            assertEquals(1, t.batches(32).size());
            try (ActivationCache cache = ActivationCache.of(run, Set.of(HookName.of(HookSite.PATTERN, 0),
                    HookName.of(HookSite.PATTERN, 1), HookName.of(HookSite.PATTERN, 2)))) {
                loaded.model().forward(run, only.clean(), Hooks.caching(cache));
                for (int l = 0; l < 3; l++) {
                    HeadScores.Score own = HeadScores.score(HeadScores.Kind.INDUCTION,
                            cache.get(HookSite.PATTERN, l).toFloatArray(), only.size(), 3, only.length(), only.clean());
                    for (int h = 0; h < 3; h++) {
                        assertEquals(own.mean(h), s[l][h], 1e-9, "layer " + l + " head " + h);
                    }
                }
            }
            Batch b = task(CLEAN, CORRUPT).batches(8).get(0);
            NDArray n1 = Corruption.noise(5).noise(run, loaded.model(), b);
            NDArray n2 = Corruption.noise(5).noise(run, loaded.model(), b);
            assertEquals(0f, n1.sub(n2).abs().max().getFloat());
            assertEquals(0f, n1.get(":, 0, :").abs().max().getFloat(), "only the noise positions move");
            float std = Corruption.embeddingStd(loaded.model());
            float sd = n1.get(":, 1:3, :").flatten().square().mean().sqrt().getFloat();
            assertEquals(3 * std, sd, 0.6 * std);
        }
    }

    @Test
    void forwardFromACachedResidualStreamEqualsTheFullForward() {
        try (LoadedModel loaded = model(); NDManager run = loaded.model().newRunManager();
                ActivationCache cache = ActivationCache.of(run, Set.of(HookName.of(HookSite.RESID_PRE, 1),
                        HookName.of(HookSite.RESID_POST, 2)))) {
            HookedTransformer m = loaded.model();
            NDArray full = m.forward(run, CLEAN, Hooks.caching(cache));
            NDArray from1 = m.forwardFrom(run, 1, cache.get(HookSite.RESID_PRE, 1), Hooks.none());
            NDArray from3 = m.forwardFrom(run, 3, cache.get(HookSite.RESID_POST, 2), Hooks.none());
            assertTrue(full.sub(from1).abs().max().getFloat() < 1e-5f);
            assertTrue(full.sub(from3).abs().max().getFloat() < 1e-5f);
            assertThrows(IllegalArgumentException.class, () -> m.forwardFrom(run, 4, cache.get(HookSite.RESID_PRE, 1),
                    Hooks.none()));
        }
    }
}

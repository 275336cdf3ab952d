package io.circuitscope.discovery;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.Circuit;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.EdgeScores;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.progress.Progress;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.testing.TestModels;
import io.circuitscope.core.testing.TinyCheckpoint;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class ScorersAndAcdcTest {

    /** GPT-2, and Gemma 2, whose sandwich norms make patching a head's edges non-linear. */
    static java.util.stream.Stream<TinyCheckpoint> gpt2AndGemma2(long gpt2Seed, long gemmaSeed) {
        return java.util.stream.Stream.of(TinyCheckpoint.gpt2(gpt2Seed, 2, 2, 4, 23, 8, false),
                TinyCheckpoint.llamaFamily("gemma2", gemmaSeed, 2, 2, 1, 4, 8, 16, 23, 8, true, false));
    }

    /** Also Llama with grouped keys (4 query heads on 2 key heads) and NeoX rotating a quarter of each head. */
    static java.util.stream.Stream<TinyCheckpoint> slopeModels() {
        return java.util.stream.Stream.concat(gpt2AndGemma2(19, 20), java.util.stream.Stream.of(
                TinyCheckpoint.llamaFamily("llama", 21, 2, 4, 2, 4, 8, 16, 23, 8, false, false),
                TinyCheckpoint.gptNeox(22, 2, 2, 8, 23, 8, 0.25, true)));
    }

    static java.util.stream.Stream<TinyCheckpoint> acdcModels() {
        return gpt2AndGemma2(23, 24);
    }

    @Property(tries = 6)
    void scorersGiveZeroWhenCleanEqualsCorrupted(@ForAll @IntRange(min = 1, max = 2) int layers,
            @ForAll @IntRange(min = 1, max = 3) int heads, @ForAll @IntRange(min = 0, max = 10_000) int seed) {
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(seed, layers, heads, 4, 23, 8, false))) {
            Task task = RandomTasks.make(loaded.model(), seed, 3, 5, true);
            try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model()), task, Metrics.LOGIT_DIFF,
                    Ablation.RESAMPLE, 8)) {
                for (EdgeScorer scorer : new EdgeScorer[] {new Eap(), new EapIg(3), new EapIg(3, EapIg.Interpolation.INPUTS), new ExhaustivePatching(16),
                        new AtpStar(), new RelP(false), new RelP(true)}) {
                    EdgeScores scores = scorer.score(tp, Progress.NONE);
                    for (int i = 0; i < scores.size(); i++) {
                        assertEquals(0.0, scores.get(i), 1e-5, scorer.key() + " edge " + tp.graph().edges().get(i));
                        assertEquals(0.0, scores.importance(i), 1e-5, scorer.key() + " importance of edge "
                                + tp.graph().edges().get(i));
                    }
                }
                for (double v : new Atp().score(tp, Progress.NONE).values()) {
                    assertEquals(0.0, v, 1e-5, "atp node score");
                }
            }
        }
    }

    @Test
    void eapIgScoresSumToTheCleanCorruptedGap() {
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(17, 2, 2, 4, 23, 8, false))) {
            Task task = RandomTasks.make(loaded.model(), 4, 4, 6, false);
            try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model()), task, Metrics.LOGIT_DIFF,
                    Ablation.RESAMPLE, 8)) {
                double gap = tp.corruptedValue() - tp.cleanValue();
                double coarse = java.util.Arrays.stream(new EapIg(5).score(tp, Progress.NONE).values()).sum();
                double fine = java.util.Arrays.stream(new EapIg(100).score(tp, Progress.NONE).values()).sum();
                System.out.printf("EAP-IG completeness: m(corrupt) - m(clean) %.5f; sum of scores %.5f (5 steps), "
                        + "%.5f (100 steps)%n", gap, coarse, fine);
                assertTrue(Math.abs(gap) > 0.1, "the task must have a gap");
                // the right Riemann sum converges as 1/steps
                assertEquals(gap, fine, 0.02 * Math.abs(gap));
                assertTrue(Math.abs(fine - gap) < 0.3 * Math.abs(coarse - gap));
            }
        }
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.MethodSource("slopeModels")
    void eapIsTheSlopeOfExactPatchingAtTheCleanPoint(TinyCheckpoint checkpoint) {
        // patching an edge by a small fraction eps changes the metric by about eps times the EAP score
        try (LoadedModel loaded = TestModels.load(checkpoint)) {
            Task task = RandomTasks.make(loaded.model(), 6, 3, 6, false);
            try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model()), task, Metrics.LOGIT_DIFF,
                    Ablation.RESAMPLE, 8)) {
                EdgeScores eap = new Eap().score(tp, Progress.NONE);
                // the most important edge into each kind of input: query, key (shared by a GQA group; rotary),
                // value, and MLP or logits
                int[] edges = java.util.Arrays.stream(io.circuitscope.core.graph.Port.values())
                        .mapToInt(port -> java.util.Arrays.stream(eap.ranking())
                                .filter(e -> tp.graph().edges().get(e).destination().port() == port)
                                .findFirst().orElseThrow())
                        .toArray();
                float eps = 1e-2f;
                // a central difference, with the coefficient a little past 1 as well: free of the curvature term
                double[] moved = tp.evaluate(run -> {
                    ai.djl.ndarray.NDArray c = tp.patcher().allKept(run, 2 * edges.length);
                    for (int i = 0; i < edges.length; i++) {
                        int s = tp.graph().edges().get(edges[i]).source().sourceIndex();
                        int d = tp.graph().edges().get(edges[i]).destination().index();
                        c.set(new ai.djl.ndarray.index.NDIndex("{}, {}, {}", 2 * i, s, d), 1f - eps);
                        c.set(new ai.djl.ndarray.index.NDIndex("{}, {}, {}", 2 * i + 1, s, d), 1f + eps);
                    }
                    return c;
                });
                for (int i = 0; i < edges.length; i++) {
                    double score = eap.get(edges[i]);
                    assertEquals(score, (moved[2 * i] - moved[2 * i + 1]) / (2 * eps), 0.02 * Math.abs(score) + 1e-3,
                            tp.graph().edges().get(edges[i]).name());
                }
            }
        }
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.MethodSource("acdcModels")
    void acdcWithTauZeroOnKlKeepsEveryEdgeWithAnEffect(TinyCheckpoint checkpoint) {
        try (LoadedModel loaded = TestModels.load(checkpoint)) {
            Task task = RandomTasks.make(loaded.model(), 8, 3, 5, false);
            try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model()), task, Metrics.KL,
                    Ablation.RESAMPLE, 8)) {
                EdgeScores exact = new ExhaustivePatching(32).score(tp, Progress.NONE);
                Circuit acdc = new Acdc(0.0).search(tp, null, Progress.NONE);
                for (int e = 0; e < exact.size(); e++) {
                    if (Math.abs(exact.get(e)) > 1e-4) {
                        assertTrue(acdc.contains(e), "edge with effect " + exact.get(e) + " dropped: "
                                + tp.graph().edges().get(e));
                    }
                }
                // a large tau removes more; the kept edges at tau 0.05 are a proper subset of tau 0
                Circuit loose = new Acdc(0.05).search(tp, null, Progress.NONE);
                assertTrue(loose.edgeCount() < acdc.edgeCount(), loose + " vs " + acdc);
                double faithfulness = tp.evaluateKeep(loose.keepMask());
                System.out.printf("ACDC tau 0.05 kept %d of %d edges; KL %.4f (corrupted %.4f)%n", loose.edgeCount(),
                        tp.graph().nEdges(), faithfulness, tp.corruptedValue());
                assertTrue(faithfulness < tp.corruptedValue());
            }
        }
    }

    /**
     * With every edge a candidate the pipeline is plain ACDC: the same circuit and the same exact effects. At a tau
     * where ACDC removes some edges and keeps others (at tau 0 under KL it keeps them all, and two all-true masks
     * prove nothing), under KL and under logit difference.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.MethodSource("acdcModels")
    void pipelineWithEveryEdgeACandidateEqualsPlainAcdc(TinyCheckpoint checkpoint) {
        try (LoadedModel loaded = TestModels.load(checkpoint)) {
            Task task = RandomTasks.make(loaded.model(), 8, 3, 5, false);
            for (io.circuitscope.core.task.Metric metric : new io.circuitscope.core.task.Metric[] {Metrics.KL,
                    Metrics.LOGIT_DIFF}) {
                try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model()), task, metric, Ablation.RESAMPLE, 8)) {
                    assertPipelineWithAllCandidatesIsAcdc(tp, 0.01, loaded.model().config().family() + ", " + metric.name());
                }
            }
        }
    }

    /** The same over random models, seeds and taus: whenever ACDC's decision is not all or nothing. */
    @Property(tries = 12)
    void pipelineWithEveryEdgeACandidateEqualsPlainAcdcOnRandomModels(@ForAll @IntRange(min = 0, max = 10_000) int seed,
            @ForAll @IntRange(min = 1, max = 2) int layers, @ForAll @IntRange(min = 1, max = 40) int tauThousandths,
            @ForAll boolean kl, @ForAll Ablation ablation) {
        double tau = tauThousandths / 1000.0;
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(seed, layers, 2, 4, 23, 8, false))) {
            Task task = RandomTasks.make(loaded.model(), seed, 3, 5, false);
            try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model()), task, kl ? Metrics.KL
                    : Metrics.LOGIT_DIFF, ablation, 8)) {
                Circuit acdc = new Acdc(tau).search(tp, null, Progress.NONE);
                net.jqwik.api.Assume.that(acdc.edgeCount() > 0 && acdc.edgeCount() < tp.graph().nEdges());
                assertPipelineWithAllCandidatesIsAcdc(tp, tau, "seed " + seed + ", tau " + tau + ", " + tp.metric().name()
                        + ", " + ablation.key() + " ablation");
            }
        }
    }

    private static void assertPipelineWithAllCandidatesIsAcdc(TaskPatcher tp, double tau, String what) {
        Circuit acdc = new Acdc(tau).search(tp, null, Progress.NONE);
        int total = tp.graph().nEdges();
        assertTrue(acdc.edgeCount() > 0 && acdc.edgeCount() < total, what + ": ACDC at tau " + tau + " kept "
                + acdc.edgeCount() + " of " + total + " edges; the comparison needs some removed and some kept");
        Pipeline.Result viaPipeline = new Pipeline(new Eap(), new CandidateBudget.All(), new Acdc(tau)).run(tp, Progress.NONE);
        assertEquals(total, viaPipeline.candidates(), what);
        assertArrayEquals(acdc.keepMask(), viaPipeline.circuit().keepMask(), what);
        // every edge was tried, so every score is ACDC's exact effect and none the scorer's estimate
        assertArrayEquals(acdc.scores().values(), viaPipeline.scores().values(), what);
        assertArrayEquals(acdc.scores().importances(), viaPipeline.scores().importances(), what);
        assertArrayEquals(acdc.scores().values(), viaPipeline.circuit().scores().values(), what);
    }

    @Test
    void falseNegativeBoundFindsMissedEdgesWhenTheBudgetIsTooSmall() {
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(61, 2, 2, 4, 23, 8, false))) {
            Task task = RandomTasks.make(loaded.model(), 9, 3, 5, false);
            try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model()), task, Metrics.LOGIT_DIFF,
                    Ablation.RESAMPLE, 8)) {
                Pipeline.Result tiny = new Pipeline(new Eap(), new CandidateBudget.TopK(1), new Acdc(0.01))
                        .withFalseNegativeCheck(1000, 1).run(tp, Progress.NONE);
                // every unverified edge was sampled, so the count is exact and matches exhaustive patching
                EdgeScores exact = new ExhaustivePatching(64).score(tp, Progress.NONE);
                boolean[] candidates = new EdgeScores(tp.graph(), new Eap().score(tp, Progress.NONE).values()).topK(1);
                int expected = 0;
                for (int e = 0; e < exact.size(); e++) {
                    if (!candidates[e] && -exact.get(e) >= 0.01) {
                        expected++;
                    }
                }
                assertEquals(expected, tiny.bound().found());
                assertEquals(tp.graph().nEdges() - 1, tiny.bound().sampled());
                assertTrue(tiny.bound().found() > 0 && tiny.bound().upperFraction() > 0);
                // a census, not a sample: the fraction is exact (the binomial bound was 25.9% for 0 of 10)
                assertTrue(tiny.bound().exhaustive());
                assertEquals((double) tiny.bound().found() / tiny.bound().sampled(), tiny.bound().upperFraction(), 1e-12);
            }
        }
    }

    /**
     * Under resampling, a node whose in-edges ACDC all removed computes its corrupted output, so its kept
     * out-edges carry nothing: ACDC's circuit leaves them out, and the metric is the same as with them. Edges
     * rank by the damage their removal did, so exactly the edges ACDC kept rank at tau or above.
     */
    @Test
    void underResamplingAcdcLeavesOutTheOutEdgesOfNodesCutOffFromTheInput() {
        int cutOff = 0;
        double tau = 0.2;
        int helpfulRemovals = 0;
        for (int seed = 1; seed <= 4; seed++) {
            try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(seed, 3, 2, 4, 23, 8, false))) {
                Task task = RandomTasks.make(loaded.model(), seed, 3, 4, false);
                try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model()), task, Metrics.LOGIT_DIFF,
                        Ablation.RESAMPLE, 8)) {
                    Circuit plain = sequentialAcdc(tp, tau);
                    Circuit found = new Acdc(tau).search(tp, null, Progress.NONE);
                    assertEquals(found.pruned(Ablation.RESAMPLE).edgeNames(), found.edgeNames(), "seed " + seed);
                    assertTrue(plain.edgeNames().containsAll(found.edgeNames()), "seed " + seed);
                    assertEquals(tp.evaluateKeep(plain.keepMask()), tp.evaluateKeep(found.keepMask()), 1e-5,
                            "seed " + seed + ": dropping no-op edges must not move the metric");
                    cutOff += plain.edgeCount() - found.edgeCount();
                    for (int e = 0; e < tp.graph().nEdges(); e++) {
                        // ranked by ACDC's damage: no removed edge ranks with the kept ones, even one whose
                        // removal moved the metric by more than tau (in the helpful direction)
                        double importance = found.scores().importance(e);
                        assertEquals(plain.contains(e), importance >= tau, tp.graph().edges().get(e).name());
                        helpfulRemovals += !plain.contains(e) && Math.abs(found.scores().get(e)) >= tau ? 1 : 0;
                    }
                }
            }
        }
        // when written, 5 of the plain loop's 41 edges on these models were such no-ops
        assertTrue(cutOff > 0, "some node must lose every in-edge but keep out-edges");
        assertTrue(helpfulRemovals > 0, "some removal must have raised the metric by tau or more");
    }

    /**
     * Under mean and zero ablation a node cut off from the input outputs f(ablated input), not the ablated
     * output, so its kept out-edges still carry something: ACDC must not prune them, and its circuit is the
     * plain loop's (whose dead-node removals have no effect, below tau). EAP-IG's pruning, which drops them
     * whatever the ablation, moves the metric.
     */
    @Test
    void underMeanAndZeroAblationAcdcKeepsTheOutEdgesOfNodesCutOffFromTheInput() {
        double tau = 0.2;
        int cutOff = 0;
        int pruningWouldMoveTheMetric = 0;
        for (Ablation ablation : new Ablation[] {Ablation.MEAN, Ablation.ZERO}) {
            for (int seed = 1; seed <= 2; seed++) {
                try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(seed, 3, 2, 4, 23, 8, false))) {
                    Task task = RandomTasks.make(loaded.model(), seed, 3, 4, false);
                    try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model()), task, Metrics.LOGIT_DIFF,
                            ablation, 8)) {
                        Circuit plain = sequentialAcdc(tp, tau);
                        Circuit found = new Acdc(tau).search(tp, null, Progress.NONE);
                        assertEquals(plain.edgeNames(), found.edgeNames(), ablation + " seed " + seed);
                        int dropped = plain.edgeCount() - plain.prunedAsEapIg().edgeCount();
                        cutOff += dropped;
                        if (dropped > 0 && Math.abs(tp.evaluateKeep(plain.prunedAsEapIg().keepMask())
                                - tp.evaluateKeep(plain.keepMask())) > 1e-3) {
                            pruningWouldMoveTheMetric++;
                        }
                    }
                }
            }
        }
        assertTrue(cutOff > 0, "some node must lose every in-edge but keep out-edges");
        assertTrue(pruningWouldMoveTheMetric > 0, "dropping such out-edges must change the metric somewhere");
    }

    /** After the pipeline, unverified edges still rank by AtP*'s importance; verified ones by ACDC's damage. */
    @Test
    void thePipelineKeepsAtpStarsRankingForTheEdgesItDidNotVerify() {
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(61, 2, 2, 4, 23, 8, false))) {
            Task task = RandomTasks.make(loaded.model(), 9, 3, 5, false);
            try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model()), task, Metrics.LOGIT_DIFF,
                    Ablation.RESAMPLE, 8)) {
                EdgeScores atpStar = new AtpStar().score(tp, Progress.NONE);
                boolean[] candidates = atpStar.topK(5);
                Pipeline.Result r = new Pipeline(new AtpStar(), new CandidateBudget.TopK(5), new Acdc(0.01))
                        .run(tp, Progress.NONE);
                assertTrue(r.scores().hasOwnImportance());
                int rankedByGradDrop = 0;
                for (int e = 0; e < candidates.length; e++) {
                    double damage = Math.max(0, -r.scores().get(e)); // logit difference: higher is better
                    double expected = candidates[e] ? damage : atpStar.importance(e);
                    assertEquals(expected, r.scores().importance(e), 1e-6 * Math.max(1, expected),
                            tp.graph().edges().get(e).name());
                    if (!candidates[e] && atpStar.importance(e) > Math.abs(atpStar.get(e)) + 1e-6) {
                        rankedByGradDrop++;
                    }
                }
                assertTrue(rankedByGradDrop > 0, "some unverified edge must rank by GradDrop for this to test anything");
                assertEquals(5, r.candidates());
                assertArrayEquals(atpStar.importances(), r.estimates().importances(), 0);
                // a threshold at the fifth-largest importance selects the same five (no ties here), parsed as the CLI does
                double fifth = java.util.Arrays.stream(atpStar.importances()).boxed()
                        .sorted(java.util.Comparator.reverseOrder()).skip(4).findFirst().orElseThrow();
                assertTrue(java.util.Arrays.stream(atpStar.importances()).filter(v -> v == fifth).count() == 1);
                CandidateBudget threshold = CandidateBudget.parse(">=" + fifth);
                assertEquals(new CandidateBudget.Threshold(fifth), threshold);
                assertArrayEquals(candidates, threshold.select(atpStar));
                Pipeline.Result byThreshold = new Pipeline(new AtpStar(), threshold, new Acdc(0.01)).run(tp, Progress.NONE);
                assertEquals(5, byThreshold.candidates());
                assertEquals(r.circuit().edgeNames(), byThreshold.circuit().edgeNames());
                assertEquals(new CandidateBudget.TopK(5), CandidateBudget.parse("5"));
                assertEquals(new CandidateBudget.All(), CandidateBudget.parse("ALL"));
            }
        }
    }

    /** ACDC over a candidate set starts from the candidates alone (the rest patched): the plain loop from that mask. */
    @Property(tries = 6)
    void acdcOverCandidatesDecidesLikeThePlainLoopStartedFromThem(@ForAll @IntRange(min = 0, max = 1000) int seed,
            @ForAll boolean kl, @ForAll Ablation ablation) {
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(seed, 2, 2, 4, 23, 8, false))) {
            Task task = RandomTasks.make(loaded.model(), seed, 3, 4, false);
            try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model()), task, kl ? Metrics.KL : Metrics.LOGIT_DIFF,
                    ablation, 8)) {
                double tau = kl ? 0.005 : 0.05;
                boolean[] candidates = new Eap().score(tp, Progress.NONE).topK(15);
                Circuit reference = sequentialAcdc(tp, tau, candidates);
                Circuit fast = new Acdc(tau).search(tp, candidates, Progress.NONE);
                assertEquals(reference.pruned(ablation).edgeNames(), fast.pruned(ablation).edgeNames(),
                        "seed " + seed + ", " + ablation.key() + " ablation");
                for (int e = 0; e < candidates.length; e++) {
                    assertTrue(candidates[e] || !fast.contains(e), "a non-candidate was kept");
                    assertEquals(candidates[e], !Double.isNaN(fast.scores().get(e)), "only candidates are tried");
                }
            }
        }
    }

    /** ACDC as the paper states it: one full patched pass per tried edge, nothing shared. */
    static Circuit sequentialAcdc(TaskPatcher tp, double tau) {
        boolean[] all = new boolean[tp.graph().nEdges()];
        java.util.Arrays.fill(all, true);
        return sequentialAcdc(tp, tau, all);
    }

    /** The same loop starting from {@code start}: edges outside it are patched from the first pass and never tried. */
    static Circuit sequentialAcdc(TaskPatcher tp, double tau, boolean[] start) {
        io.circuitscope.core.graph.ComputationGraph g = tp.graph();
        boolean[] keep = start.clone();
        double current = tp.evaluateKeep(keep);
        for (int d = g.nDestinations() - 1; d >= 0; d--) {
            io.circuitscope.core.graph.Destination dest = g.destinations().get(d);
            java.util.List<io.circuitscope.core.graph.Edge> into = g.edgesInto(dest);
            for (int i = into.size() - 1; i >= 0; i--) {
                int e = into.get(i).index();
                if (!keep[e]) {
                    continue;
                }
                keep[e] = false;
                double after = tp.evaluateKeep(keep);
                double damage = tp.metric().higherIsBetter() ? current - after : after - current;
                if (damage < tau) {
                    current = after;
                } else {
                    keep[e] = true;
                }
            }
        }
        return Circuit.of(g, keep, null);
    }

    @Property(tries = 9)
    void sharedPrefixesAndSpeculativeBatchesDecideLikeOnePassPerEdge(@ForAll @IntRange(min = 0, max = 1000) int seed,
            @ForAll boolean kl, @ForAll boolean byPosition, @ForAll boolean oneMaskPerPass, @ForAll Ablation ablation) {
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(seed, 2, 2, 4, 23, 8, false))) {
            Task task = RandomTasks.make(loaded.model(), seed, 3, 4, false);
            io.circuitscope.core.graph.ComputationGraph g = byPosition
                    ? io.circuitscope.core.graph.ComputationGraph.byPosition(loaded.model().config(), 4)
                    : io.circuitscope.core.graph.ComputationGraph.of(loaded.model().config());
            // a 1-byte budget: one mask per pass, as on GPT-2 small; speculation must not waste passes then
            try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model(), g), task,
                    kl ? Metrics.KL : Metrics.LOGIT_DIFF, ablation, 8,
                    oneMaskPerPass ? 1 : TaskPatcher.PASS_BUDGET_BYTES)) {
                double tau = kl ? 0.005 : 0.05;
                Circuit reference = sequentialAcdc(tp, tau);
                long before = tp.forwardPasses();
                Circuit fast = new Acdc(tau).search(tp, null, Progress.NONE);
                long passes = tp.forwardPasses() - before;
                // the dead-node shortcut may remove edges the plain loop keeps only when they have no effect
                assertEquals(reference.pruned(ablation).edgeNames(), fast.pruned(ablation).edgeNames(),
                        "seed " + seed + ", " + ablation.key() + " ablation");
                // never more than one pass per edge plus one prefix per layer and batch (and the first evaluation)
                int prefixes = (loaded.model().config().nLayers() + 1) * tp.batches().size();
                assertTrue(passes <= g.nEdges() + prefixes + tp.batches().size(), passes + " passes for " + g.nEdges()
                        + " edges");
            }
        }
    }
}

package io.circuitscope.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.EdgeScores;
import io.circuitscope.core.graph.PrefixedEvaluation;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.planted.PlantedModel;
import io.circuitscope.core.planted.PlantedModels;
import io.circuitscope.core.progress.Progress;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.testing.TestModels;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The false-negative check runs its patches from shared per-layer clean prefixes when they do not fit one pass's
 * budget: the same edges found as with a full pass per patch, a prefix pass per layer above 0 and batch counted, fewer
 * layers computed. When they fit (the default planted run's 50), full passes of 32 patches are kept.
 */
class FalseNegativeBoundFromPrefixesTest {
    @Test
    void patchesThatNeedSeveralPassesRunFromPrefixesAndFindTheSameEdges() {
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(61, 3, 2, 4, 23, 8, false));
                TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model()),
                        RandomTasks.make(loaded.model(), 9, 6, 5, false), Metrics.KL, Ablation.RESAMPLE, 3, 1)) {
            assertEquals(2, tp.batches().size());
            EdgeScores exact = new ExhaustivePatching(64).score(tp, Progress.NONE);
            boolean[] candidates = exact.topK(3);
            // tau midway between the middle two effects of the other edges: about half reach it
            double[] sorted = java.util.stream.IntStream.range(0, exact.size()).filter(e -> !candidates[e])
                    .mapToDouble(exact::get).sorted().toArray();
            double tau = (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
            assertTrue(sorted[sorted.length / 2] - sorted[sorted.length / 2 - 1] > 1e-5);
            for (int samples : new int[] {1000, 20}) { // a census, then a sample
                long passes = tp.forwardPasses();
                long layers = tp.patchedLayers();
                FalseNegativeBound shared = FalseNegativeBound.estimate(tp, candidates, tau, samples, 0.95, 4,
                        Progress.NONE, null, true);
                long sharedPasses = tp.forwardPasses() - passes;
                long sharedLayers = tp.patchedLayers() - layers;
                FalseNegativeBound plain = FalseNegativeBound.estimate(tp, candidates, tau, samples, 0.95, 4,
                        Progress.NONE, null, false);
                long plainPasses = tp.forwardPasses() - passes - sharedPasses;
                long plainLayers = tp.patchedLayers() - layers - sharedLayers;

                assertEquals(plain, shared, "samples " + samples); // found edges in the same order, same bound
                assertTrue(shared.found() > 0 && shared.found() < shared.sampled(), shared.toString());
                int n = shared.sampled();
                assertTrue(!PrefixedEvaluation.fitsPassBudget(tp, n));
                assertEquals(2L * n, plainPasses, "a pass per patch and batch");
                long prefixLayers = FalseNegativeBound.unverified(candidates, 4).subList(0, n).stream()
                        .mapToInt(e -> tp.graph().edges().get(e).destination().node().layer()).filter(l -> l > 0)
                        .distinct().count();
                assertTrue(prefixLayers >= 2, "patches into several layers: " + prefixLayers);
                assertEquals(2L * n + 2 * prefixLayers, sharedPasses, "and a prefix per layer above 0 and batch");
                assertTrue(sharedLayers < plainLayers, sharedLayers + " layers against " + plainLayers);
            }
        }
    }

    /** The default discover run's check: 50 patches on the planted IOI model fit the budget, run 32 and 18 a pass. */
    @Test
    void patchesThatFitOnePassKeepIt() {
        PlantedModel planted = PlantedModels.byName("ioi");
        try (HookedTransformer model = planted.build();
                TaskPatcher tp = new TaskPatcher(new EdgePatcher(model), planted.task(5, 16), Metrics.LOGIT_DIFF,
                        Ablation.RESAMPLE, 8)) {
            boolean[] candidates = new boolean[tp.graph().nEdges()];
            for (String name : planted.groundTruthEdges()) {
                candidates[tp.graph().edge(name).index()] = true;
            }
            assertTrue(PrefixedEvaluation.fitsPassBudget(tp, 50));
            long passes = tp.forwardPasses();
            long layers = tp.patchedLayers();
            FalseNegativeBound shared = FalseNegativeBound.estimate(tp, candidates, 0.01, 50, 0.95, 0);
            long sharedPasses = tp.forwardPasses() - passes;
            long sharedLayers = tp.patchedLayers() - layers;
            FalseNegativeBound plain = FalseNegativeBound.estimate(tp, candidates, 0.01, 50, 0.95, 0, Progress.NONE,
                    null, false);
            assertEquals(plain, shared);
            assertEquals(50, shared.sampled());
            assertEquals(2L * tp.batches().size(), sharedPasses, "two full passes per batch, no prefixes");
            assertEquals(sharedPasses, tp.forwardPasses() - passes - sharedPasses);
            assertEquals(sharedLayers, tp.patchedLayers() - layers - sharedLayers);
        }
    }
}

package io.circuitscope.circuits.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.planted.PlantedModel;
import io.circuitscope.core.planted.PlantedModels;
import io.circuitscope.core.progress.Progress;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.discovery.Eap;
import io.circuitscope.validation.ScoreAgreement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A comparison that stops halfway and is rerun from its store patches only what is missing and ends where a fresh run ends. */
class ExactEffectsReuseTest {
    /** Keeps copies of what is saved; throws on the save after {@code crashAfter} saves, as a killed run stops. */
    static final class MemoryStore implements ExactEffectsStore {
        final List<Stored> saves = new ArrayList<>();
        Stored current;
        int crashAfter = Integer.MAX_VALUE;

        @Override
        public Stored load(int edges) {
            return current == null ? Stored.empty(edges) : new Stored(current.edges().clone(),
                    current.nodes() == null ? null : current.nodes().clone());
        }

        @Override
        public void save(Stored stored) {
            if (saves.size() >= crashAfter) {
                throw new IllegalStateException("killed");
            }
            current = new Stored(stored.edges().clone(), stored.nodes() == null ? null : stored.nodes().clone());
            saves.add(current);
        }
    }

    /** Every scorer's top edges are patched for sure (weight 1); the others are sampled and stand for all of the rest. */
    @Test
    void theEdgesChosenAreEveryScorersTopAndAWeightedSampleOfTheRest() {
        io.circuitscope.core.graph.ComputationGraph g = graph();
        java.util.Random r = new java.util.Random(4);
        double[] a = new double[g.nEdges()];
        double[] b = new double[g.nEdges()];
        for (int i = 0; i < a.length; i++) {
            a[i] = r.nextGaussian();
            b[i] = r.nextGaussian();
        }
        List<io.circuitscope.core.graph.EdgeScores> scores = List.of(new io.circuitscope.core.graph.EdgeScores(g, a),
                new io.circuitscope.core.graph.EdgeScores(g, b));
        double[] weights = new double[g.nEdges()];
        int[] chosen = ScorerComparison.chooseEdges(g.nEdges(), scores, 20, 40, 7, weights);
        java.util.Set<Integer> top = new java.util.HashSet<>();
        for (io.circuitscope.core.graph.EdgeScores s : scores) {
            for (int i = 0; i < 20; i++) {
                top.add(s.ranking()[i]);
            }
        }
        assertEquals(top.size() + 40, chosen.length);
        double rest = g.nEdges() - top.size();
        double total = 0;
        for (int e : chosen) {
            assertEquals(top.contains(e) ? 1.0 : rest / 40, weights[e], 1e-12, "edge " + e);
            total += weights[e];
        }
        assertEquals(g.nEdges(), total, 1e-9, "the weights of the chosen edges stand for every edge");
        assertEquals(g.nEdges(), ScorerComparison.chooseEdges(g.nEdges(), scores, 20, g.nEdges(), 7, weights).length);
    }

    /** The top-edge check counts the drawn edges reaching the patched top's threshold and bounds the unpatched ones. */
    @Test
    void theCoverageOfTheTopEdgesCountsDrawnEdgesThatReachItsThreshold() {
        io.circuitscope.core.graph.ComputationGraph g = graph();
        int n = g.nEdges();
        double[] score = new double[n];
        double[] exact = new double[n];
        for (int e = 0; e < n; e++) {
            score[e] = n - e; // the scorer ranks edges by index
            exact[e] = e < 10 ? 10 + e : e % 7 == 0 ? 50 : 0.01; // every 7th edge beyond its top is large
        }
        double[] weights = new double[n];
        int[] chosen = ScorerComparison.chooseEdges(n, List.of(new io.circuitscope.core.graph.EdgeScores(g, score)), 10,
                100, 2, weights);
        double[] patched = new double[n];
        java.util.Arrays.fill(patched, Double.NaN);
        int drawnLarge = 0;
        for (int e : chosen) {
            patched[e] = exact[e];
            drawnLarge += e >= 10 && exact[e] == 50 ? 1 : 0;
        }
        ScorerComparison.TopCoverage c = ScorerComparison.topCoverage(new io.circuitscope.core.graph.EdgeScores(g, patched),
                weights, 5);
        assertEquals(100, c.sampled());
        assertEquals(n - 110, c.unpatched());
        assertEquals(50, c.threshold(), 1e-12, "the top 5 patched edges are large drawn ones");
        assertEquals(drawnLarge, c.reaching());
        assertTrue(drawnLarge > 5);
        long largeUnpatched = java.util.stream.IntStream.range(10, n).filter(e -> exact[e] == 50 && Double.isNaN(patched[e]))
                .count();
        assertTrue(c.upperCount() >= largeUnpatched, "the 95% bound " + c.upperCount() + " covers the " + largeUnpatched
                + " large unpatched edges here");
    }

    static io.circuitscope.core.graph.ComputationGraph graph() {
        try (HookedTransformer model = PlantedModels.byName("ioi").build()) {
            return io.circuitscope.core.graph.ComputationGraph.of(model.config());
        }
    }

    /**
     * Heavy-tailed effects (a few large edges decide Pearson): the weighted estimate from every scorer's
     * top edges plus a sample is much closer to the correlation over all edges than a uniform sample of
     * the same size, over 30 draws.
     */
    @Test
    void theWeightedEstimateIsCloserToTheWholeGraphsCorrelationThanAUniformSample() {
        io.circuitscope.core.graph.ComputationGraph g = graph();
        java.util.Random r = new java.util.Random(8);
        double[] exact = new double[g.nEdges()];
        double[] score = new double[g.nEdges()];
        for (int i = 0; i < exact.length; i++) {
            exact[i] = r.nextGaussian() * (r.nextInt(20) == 0 ? 20 : 0.2); // 5% large edges
            score[i] = exact[i] + r.nextGaussian() * (Math.abs(exact[i]) > 1 ? 8 : 0.3);
        }
        io.circuitscope.core.graph.EdgeScores scores = new io.circuitscope.core.graph.EdgeScores(g, score);
        double[] nodes = new io.circuitscope.core.graph.EdgeScores(g, exact).nodeScoresBySource();
        double whole = ScoreAgreement.of(scores, new io.circuitscope.core.graph.EdgeScores(g, exact), nodes, 10, 5)
                .edgePearson();
        double weightedError = 0;
        double uniformError = 0;
        for (long seed = 0; seed < 30; seed++) {
            double[] weights = new double[g.nEdges()];
            int[] chosen = ScorerComparison.chooseEdges(g.nEdges(), List.of(scores), 20, 40, seed, weights);
            weightedError += Math.abs(ScoreAgreement.of(scores, only(g, exact, chosen), weights, nodes, 10, 5).edgePearson()
                    - whole);
            int[] uniform = ScorerComparison.uniformSample(g.nEdges(), chosen.length, seed);
            uniformError += Math.abs(ScoreAgreement.of(scores, only(g, exact, uniform), nodes, 10, 5).edgePearson() - whole);
        }
        assertTrue(weightedError < uniformError / 2, "mean errors " + weightedError / 30 + " vs " + uniformError / 30);
    }

    private static io.circuitscope.core.graph.EdgeScores only(io.circuitscope.core.graph.ComputationGraph g,
            double[] exact, int[] edges) {
        double[] v = new double[exact.length];
        java.util.Arrays.fill(v, Double.NaN);
        for (int e : edges) {
            v[e] = exact[e];
        }
        return new io.circuitscope.core.graph.EdgeScores(g, v);
    }

    @Test
    void aRunResumedFromItsStoreEqualsAFreshRunAndPatchesOnlyWhatIsMissing() {
        PlantedModel planted = PlantedModels.byName("ioi");
        try (HookedTransformer model = planted.build();
             TaskPatcher tp = new TaskPatcher(new EdgePatcher(model), planted.task(0, 8), Metrics.LOGIT_DIFF,
                     Ablation.RESAMPLE, 8)) {
            int sample = 150;
            ScorerComparison.Result fresh = ScorerComparison.run(tp, List.of(new Eap()), 5, 10, sample, 3,
                    ExactEffectsStore.NONE, Progress.NONE);

            MemoryStore store = new MemoryStore();
            store.crashAfter = 1; // the first destination layer is saved, then the run dies
            assertThrows(IllegalStateException.class, () -> ScorerComparison.run(tp, List.of(new Eap()), 5, 10, sample, 3,
                    store, Progress.NONE));
            assertNotNull(store.current);
            long savedEdges = java.util.Arrays.stream(store.current.edges()).filter(v -> !Double.isNaN(v)).count();
            assertEquals(sample + 10, fresh.exactEdges(), "EAP's top 10 edges and 150 sampled others");
            assertTrue(savedEdges > 0 && savedEdges < fresh.exactEdges(), "one layer's edges were saved: " + savedEdges);

            store.crashAfter = Integer.MAX_VALUE;
            ScorerComparison.Result resumed = ScorerComparison.run(tp, List.of(new Eap()), 5, 10, sample, 3, store,
                    Progress.NONE);
            assertEquals(savedEdges, resumed.reusedEdges());
            assertTrue(resumed.exactPasses() < fresh.exactPasses(), resumed.exactPasses() + " vs " + fresh.exactPasses());
            assertEquals(fresh.entries().get(0).agreement(), resumed.entries().get(0).agreement());

            // everything stored: a rerun patches nothing, and a larger sample with the same seed adds only new edges
            ScorerComparison.Result again = ScorerComparison.run(tp, List.of(new Eap()), 5, 10, sample, 3, store,
                    Progress.NONE);
            assertEquals(0, again.exactPasses());
            assertTrue(again.reusedNodes());
            ScorerComparison.Result larger = ScorerComparison.run(tp, List.of(new Eap()), 5, 10, sample + 50, 3, store,
                    Progress.NONE);
            assertEquals(fresh.exactEdges(), larger.reusedEdges(), "a seed's samples are nested");
            assertEquals(fresh.exactEdges() + 50, larger.exactEdges());
        }
    }
}

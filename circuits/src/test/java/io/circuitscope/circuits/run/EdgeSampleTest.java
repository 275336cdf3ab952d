package io.circuitscope.circuits.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.planted.PlantedModels;
import io.circuitscope.validation.ScoreAgreement;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** Which edges a sampled comparison patches, what they stand for, and how far its top edges can be trusted. */
class EdgeSampleTest {
    /** k distinct indices in range, ascending, the same for a seed; all of them when k reaches n. */
    @Property(tries = 200)
    void aSeededSampleIsDistinctSortedAndReproducible(@ForAll @IntRange(min = 1, max = 500) int n,
            @ForAll @IntRange(min = 1, max = 600) int k, @ForAll long seed) {
        int[] sample = EdgeSample.uniform(n, Math.min(n, k), seed);
        assertEquals(Math.min(n, k), sample.length);
        for (int i = 0; i < sample.length; i++) {
            assertTrue(sample[i] >= 0 && sample[i] < n);
            assertTrue(i == 0 || sample[i] > sample[i - 1], "ascending and distinct: " + Arrays.toString(sample));
        }
        assertArrayEquals(sample, EdgeSample.uniform(n, Math.min(n, k), seed));
    }

    /** Every index is about equally likely: over many seeds each of 20 indices is drawn near k/n of the time. */
    @Property(tries = 1)
    void everyIndexIsEquallyLikely() {
        int n = 20;
        int k = 5;
        int[] counts = new int[n];
        int draws = 20_000;
        for (int s = 0; s < draws; s++) {
            for (int i : EdgeSample.uniform(n, k, s)) {
                counts[i]++;
            }
        }
        double expected = draws * (double) k / n; // 5000, sd about 61
        for (int i = 0; i < n; i++) {
            assertTrue(Math.abs(counts[i] - expected) < 300, "index " + i + " drawn " + counts[i] + " times");
        }
        assertFalse(Arrays.equals(EdgeSample.uniform(1000, 10, 1), EdgeSample.uniform(1000, 10, 2)));
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
        EdgeSample sample = EdgeSample.choose(g.nEdges(), scores, 20, 40, 7);
        int[] chosen = sample.edges();
        double[] weights = sample.weights();
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
        assertEquals(g.nEdges(), EdgeSample.choose(g.nEdges(), scores, 20, g.nEdges(), 7).edges().length);
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
        EdgeSample sample = EdgeSample.choose(n, List.of(new io.circuitscope.core.graph.EdgeScores(g, score)), 10, 100, 2);
        int[] chosen = sample.edges();
        double[] patched = new double[n];
        java.util.Arrays.fill(patched, Double.NaN);
        int drawnLarge = 0;
        for (int e : chosen) {
            patched[e] = exact[e];
            drawnLarge += e >= 10 && exact[e] == 50 ? 1 : 0;
        }
        EdgeSample.Coverage c = sample.coverage(new io.circuitscope.core.graph.EdgeScores(g, patched), 5);
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
            EdgeSample sample = EdgeSample.choose(g.nEdges(), List.of(scores), 20, 40, seed);
            int[] chosen = sample.edges();
            weightedError += Math.abs(ScoreAgreement.of(scores, only(g, exact, chosen), sample.weights(), nodes, 10, 5)
                    .edgePearson()
                    - whole);
            int[] uniform = EdgeSample.uniform(g.nEdges(), chosen.length, seed);
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

}

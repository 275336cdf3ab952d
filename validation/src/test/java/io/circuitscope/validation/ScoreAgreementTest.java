package io.circuitscope.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.Edge;
import io.circuitscope.core.graph.EdgeScores;
import io.circuitscope.core.model.ModelConfig;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ScoreAgreementTest {
    final ComputationGraph graph = ComputationGraph.of(ModelConfig.builder("gpt2").setSizes(12, 2, 3, 16, 10, 8).build());

    /** Exact effects: every fourth edge has none; node effects are the sums of their out-edges. */
    double[] exactValues() {
        Random r = new Random(3);
        double[] v = new double[graph.nEdges()];
        for (int i = 0; i < v.length; i++) {
            v[i] = i % 4 == 0 ? 0.0 : r.nextGaussian();
        }
        return v;
    }

    double[] nodeSums(double[] edges) {
        return new EdgeScores(graph, edges).nodeScoresBySource();
    }

    @Test
    void aScorerEqualToExactPatchingAgreesPerfectlyAndZerosTieWhateverTheirSign() {
        double[] exact = exactValues();
        double[] same = exact.clone();
        for (int i = 0; i < same.length; i++) {
            same[i] = same[i] == 0 ? -0.0 : same[i]; // gradient scorers negate a 0 gradient into -0.0
        }
        ScoreAgreement a = ScoreAgreement.of(new EdgeScores(graph, same), new EdgeScores(graph, exact), nodeSums(exact),
                50, 10);
        assertEquals(1.0, a.auc(), 1e-12);
        assertEquals(1.0, a.edgePearson(), 1e-12);
        assertEquals(1.0, a.edgeSpearman(), 1e-12);
        assertEquals(1.0, a.nodePearson(), 1e-12);
        assertEquals(1.0, a.nodeSpearman(), 1e-12);
        assertEquals(a.topNodes(), a.nodesInTopK());
        assertEquals(50, a.edgesInTopK());
        assertTrue(a.edgesAtLeast(a) && a.nodesAtLeast(a));
    }

    @Test
    void edgesAndNodesWithoutAnyExactEffectAreNoReference() {
        double[] exact = new double[graph.nEdges()];
        int withEffect = 0;
        for (Edge e : graph.edges()) {
            if (e.source().sourceIndex() == 1 && e.index() % 2 == 0) { // only some out-edges of one head matter
                exact[e.index()] = 1 + e.index();
                withEffect++;
            }
        }
        double[] noisy = exact.clone();
        Random r = new Random(5);
        for (int i = 0; i < noisy.length; i++) {
            noisy[i] += 1e-3 * r.nextGaussian();
        }
        ScoreAgreement a = ScoreAgreement.of(new EdgeScores(graph, noisy), new EdgeScores(graph, exact), nodeSums(exact),
                50, 10);
        assertEquals(withEffect, a.topEdges(), "the reference is the edges with an effect, not 50");
        assertEquals(withEffect, a.edgesInTopK());
        assertEquals(1.0, a.auc(), 1e-12);
        assertEquals(1, a.topNodes(), "one node has an effect");
        assertEquals(1, a.nodesInTopK());
    }

    @Test
    void aWorseScorerIsReportedWorse() {
        double[] exact = exactValues();
        double[] shuffled = exact.clone();
        Random r = new Random(9);
        for (int i = shuffled.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            double t = shuffled[i];
            shuffled[i] = shuffled[j];
            shuffled[j] = t;
        }
        EdgeScores truth = new EdgeScores(graph, exact);
        ScoreAgreement good = ScoreAgreement.of(truth, truth, nodeSums(exact), 50, 10);
        ScoreAgreement bad = ScoreAgreement.of(new EdgeScores(graph, shuffled), truth, nodeSums(exact), 50, 10);
        assertTrue(Math.abs(bad.edgePearson()) < 0.3 && Math.abs(bad.edgeSpearman()) < 0.3, bad.toString());
        assertTrue(bad.auc() < 0.75, bad.toString());
        assertFalse(bad.edgesAtLeast(good));
        assertTrue(good.edgesAtLeast(bad));
    }

    /** Recall in the top k and 2k, counted here by sorting: edges by |score|, component nodes (never the input) by |sum|. */
    @Test
    void recallInTheTopKAndTwoKIsCountedOverComponentNodesAndEdges() {
        double[] exact = exactValues();
        double[] noisy = exact.clone();
        Random r = new Random(21);
        for (int i = 0; i < noisy.length; i++) {
            noisy[i] += 1.5 * r.nextGaussian();
        }
        // the scorer overrates one out-edge of the input: its node would then top the scorer's node ranking
        noisy[graph.edges().stream().filter(e -> e.source().sourceIndex() == 0).findFirst().orElseThrow().index()] += 50;
        ScoreAgreement a = ScoreAgreement.of(new EdgeScores(graph, noisy), new EdgeScores(graph, exact), nodeSums(exact),
                20, 3);
        java.util.List<Integer> exactTopEdges = topByMagnitude(exact, 0, 20);
        java.util.List<Integer> scorerEdges = topByMagnitude(noisy, 0, noisy.length);
        assertEquals(20, a.topEdges());
        assertEquals(exactTopEdges.stream().filter(scorerEdges.subList(0, 20)::contains).count(), a.edgesInTopK());
        assertEquals(exactTopEdges.stream().filter(scorerEdges.subList(0, 40)::contains).count(), a.edgesInTop2K());
        assertTrue(a.edgesInTopK() < a.edgesInTop2K() && a.edgesInTop2K() < 20, a.toString());

        java.util.List<Integer> exactTopNodes = topByMagnitude(nodeSums(exact), 1, 3);
        java.util.List<Integer> scorerNodes = topByMagnitude(nodeSums(noisy), 1, 6);
        assertEquals(3, a.topNodes());
        assertEquals(exactTopNodes.stream().filter(scorerNodes.subList(0, 3)::contains).count(), a.nodesInTopK());
        assertEquals(exactTopNodes.stream().filter(scorerNodes::contains).count(), a.nodesInTop2K());
        assertTrue(a.nodesInTopK() < a.nodesInTop2K(), a.toString());
        // the input's sum would rank among the top nodes if it were not left out
        assertTrue(Math.abs(nodeSums(noisy)[0]) > Math.abs(nodeSums(noisy)[scorerNodes.get(2)]));
    }

    /**
     * A scorer that scores everything 0 has no evidence for any edge or node, so it finds none of the exact top ones:
     * recall 0 of 10 edges and 0 of 3 nodes. Its top k was filled by index among the zeros, and with the exact top edges
     * the lowest-indexed ones (as the input's out-edges are) it read 10/10 and 3/3, a perfect recall. An edge scored 0
     * is no evidence, as discover keeps no zero-scored edge; the ROC, where ties count half, already gave 0.5.
     */
    @Test
    void itemsAScorerScoresZeroAreNotAmongItsTop() {
        int n = graph.nEdges();
        double[] exact = new double[n];
        for (int i = 0; i < n; i++) {
            exact[i] = i < 10 ? 5 + i : 0.001 * (1 + i % 7); // the exact top 10 edges are the first 10
        }
        double[] nodeEffects = nodeSums(exact);
        ScoreAgreement none = ScoreAgreement.of(new EdgeScores(graph, new double[n]), new EdgeScores(graph, exact),
                nodeEffects, 10, 3);
        assertEquals(10, none.topEdges());
        assertEquals(0, none.edgesInTopK(), none.toString());
        assertEquals(0, none.edgesInTop2K(), none.toString());
        assertEquals(3, none.topNodes());
        assertEquals(0, none.nodesInTopK(), none.toString());
        assertEquals(0, none.nodesInTop2K(), none.toString());
        assertEquals(0.5, none.auc(), 1e-12, "one tie: half");

        // evidence for 4 of the 10 (scored), nothing for the rest: 4 found, whatever the indices of the zeros
        double[] some = new double[n];
        for (int i : new int[] {2, 5, 7, 9}) {
            some[i] = exact[i];
        }
        some[40] = 100; // a wrong edge on top
        ScoreAgreement partial = ScoreAgreement.of(new EdgeScores(graph, some), new EdgeScores(graph, exact), nodeEffects,
                10, 3);
        assertEquals(4, partial.edgesInTopK(), partial.toString());
        assertEquals(4, partial.edgesInTop2K(), partial.toString());
        long scoredNodes = java.util.stream.IntStream.range(1, graph.nSources())
                .filter(s -> new EdgeScores(graph, some).nodeImportances()[s] > 0).count();
        java.util.List<Integer> exactTopNodes = topByMagnitude(nodeEffects, 1, 3);
        java.util.List<Integer> scorerNodes = topByMagnitude(nodeSums(some), 1, 6).stream()
                .filter(s -> nodeSums(some)[s] != 0).toList();
        assertTrue(scoredNodes < 6, "fewer scored nodes than 2k: the zeros would fill the rest");
        assertEquals(exactTopNodes.stream().filter(scorerNodes::contains).count(), partial.nodesInTop2K(), partial.toString());
    }

    /** Indices from {@code first} on, largest |value| first (ties by index), the first {@code k} of them. */
    private static java.util.List<Integer> topByMagnitude(double[] v, int first, int k) {
        return java.util.stream.IntStream.range(first, v.length).boxed()
                .sorted(java.util.Comparator.<Integer>comparingDouble(i -> -Math.abs(v[i])).thenComparingInt(i -> i))
                .limit(k).toList();
    }

    /** A scorer's own node importance (AtP*'s GradDrop) decides which nodes it ranks on top; correlations keep the sums. */
    @Test
    void nodeRecallUsesTheScorersNodeImportance() {
        double[] exact = exactValues();
        double[] nodeEffects = nodeSums(exact);
        // importance that reverses the exact node order: the exact top nodes land at the bottom
        double[] reversed = new double[graph.nSources()];
        for (int s = 1; s < reversed.length; s++) {
            reversed[s] = 1 / (1e-9 + Math.abs(nodeEffects[s]));
        }
        ScoreAgreement plain = ScoreAgreement.of(new EdgeScores(graph, exact), new EdgeScores(graph, exact), nodeEffects, 50, 3);
        ScoreAgreement ranked = ScoreAgreement.of(EdgeScores.ranked(graph, exact, null, reversed),
                new EdgeScores(graph, exact), nodeEffects, 50, 3);
        assertEquals(3, plain.nodesInTopK());
        assertEquals(0, ranked.nodesInTopK(), ranked.toString());
        assertEquals(plain.nodePearson(), ranked.nodePearson(), 0);
        assertEquals(plain.nodeSpearman(), ranked.nodeSpearman(), 0);
    }

    /** With exact effects for a sample only, edge correlations are those over the sample and the top edges those of the sample. */
    @Test
    void aSampleOfExactEdgesCorrelatesOverTheSampleOnly() {
        double[] exact = exactValues();
        double[] noisy = exact.clone();
        Random r = new Random(11);
        for (int i = 0; i < noisy.length; i++) {
            noisy[i] += 0.5 * r.nextGaussian();
        }
        double[] sampled = new double[exact.length];
        java.util.Arrays.fill(sampled, Double.NaN);
        java.util.List<Integer> kept = new java.util.ArrayList<>();
        for (int i = 0; i < exact.length; i += 3) {
            sampled[i] = exact[i];
            kept.add(i);
        }
        ScoreAgreement a = ScoreAgreement.of(new EdgeScores(graph, noisy), new EdgeScores(graph, sampled),
                nodeSums(exact), 50, 10);
        double[] x = kept.stream().mapToDouble(i -> noisy[i]).toArray();
        double[] y = kept.stream().mapToDouble(i -> exact[i]).toArray();
        assertTrue(a.sampled());
        assertEquals(kept.size(), a.exactEdges());
        assertEquals(graph.nEdges(), a.edges());
        assertEquals(new org.apache.commons.math3.stat.correlation.PearsonsCorrelation().correlation(x, y),
                a.edgePearson(), 1e-12);
        assertEquals(new org.apache.commons.math3.stat.correlation.SpearmansCorrelation().correlation(x, y),
                a.edgeSpearman(), 1e-12);
        assertTrue(a.edgePearson() > 0.5 && a.edgePearson() < 0.99, "noisy but related: " + a.edgePearson());
        // the exact top edges are the 50 largest of the patched ones, held against the scorer's top 50 of all edges
        java.util.List<Integer> exactTop = kept.stream().filter(i -> exact[i] != 0)
                .sorted((p, q) -> Double.compare(Math.abs(exact[q]), Math.abs(exact[p]))).limit(50).toList();
        boolean[] scorerTop = new EdgeScores(graph, noisy).topK(exactTop.size());
        assertEquals(exactTop.size(), a.topEdges(), "every patched edge with an effect (fewer than 50 here)");
        assertTrue(exactTop.size() > 10 && exactTop.size() < kept.size());
        assertEquals(exactTop.stream().filter(i -> scorerTop[i]).count(), a.edgesInTopK());
        assertTrue(a.auc() > 0.5, "a related scorer ranks the patched top edges high: " + a.auc());
        ScoreAgreement full = ScoreAgreement.of(new EdgeScores(graph, noisy), new EdgeScores(graph, exact),
                nodeSums(exact), 50, 10);
        assertFalse(full.sampled());
        assertEquals(full.nodePearson(), a.nodePearson(), 1e-12, "nodes are patched whole either way");
        assertEquals(full.nodesInTopK(), a.nodesInTopK());
    }

    /** A scorer equal to the exact effects beats a noisy one beyond the bootstrap interval; against itself the gap is 0. */
    @Test
    void gapsFromTheBaselineCarryBootstrapIntervals() {
        double[] exact = exactValues();
        double[] noisy = exact.clone();
        Random r = new Random(13);
        for (int i = 0; i < noisy.length; i++) {
            noisy[i] += 2 * r.nextGaussian();
        }
        EdgeScores truth = new EdgeScores(graph, exact);
        EdgeScores worse = new EdgeScores(graph, noisy);
        ScoreAgreement.Gap better = ScoreAgreement.edgeGap(truth, worse, truth, null, 1);
        assertTrue(better.pearson().low() > 0 && better.spearman().low() > 0, better.toString());
        assertEquals(ScoreAgreement.Reading.BETTER, ScoreAgreement.Reading.of(better.pearson()));
        ScoreAgreement.Gap behind = ScoreAgreement.edgeGap(worse, truth, truth, null, 1);
        assertEquals(ScoreAgreement.Reading.WORSE, ScoreAgreement.Reading.of(behind.spearman()), behind.toString());
        assertEquals(-better.pearson().value(), behind.pearson().value(), 1e-12);
        ScoreAgreement.Gap none = ScoreAgreement.edgeGap(worse, worse, truth, null, 1);
        assertEquals(0, none.pearson().value());
        assertEquals(0, none.pearson().low());
        assertEquals(0, none.pearson().high());
        ScoreAgreement.Gap nodes = ScoreAgreement.nodeGap(truth, worse, nodeSums(exact), 1);
        assertTrue(nodes.pearson().value() > 0 && nodes.pearson().low() <= nodes.pearson().value()
                && nodes.pearson().value() <= nodes.pearson().high(), nodes.toString());
        assertEquals(ScoreAgreement.nodeGap(truth, worse, nodeSums(exact), 1), nodes, "seeded: reproducible");
    }

    /**
     * The node gap is held against the exact node effects, not against either scorer's own sums: with a noisy
     * scorer and a noisier baseline (neither equal to the exact effects), its value is the difference of the two
     * node correlations with the exact effects, computed here with Commons Math over node sums added up by hand.
     */
    @Test
    void theNodeGapIsTheDifferenceOfNodeCorrelationsWithTheExactEffects() {
        double[] exact = exactValues();
        double[] noisy = exact.clone();
        double[] noisier = exact.clone();
        Random r = new Random(23);
        for (int i = 0; i < exact.length; i++) {
            noisy[i] += 0.7 * r.nextGaussian();
            noisier[i] += 2.5 * r.nextGaussian();
        }
        // node sums over the component nodes (source 1 on; the input, source 0, is left out), added up here
        double[] exactNodes = new double[graph.nSources() - 1];
        double[] noisyNodes = new double[graph.nSources() - 1];
        double[] noisierNodes = new double[graph.nSources() - 1];
        for (Edge e : graph.edges()) {
            int s = e.source().sourceIndex();
            if (s > 0) {
                exactNodes[s - 1] += exact[e.index()];
                noisyNodes[s - 1] += noisy[e.index()];
                noisierNodes[s - 1] += noisier[e.index()];
            }
        }
        double[] exactNodeEffects = new double[graph.nSources()];
        System.arraycopy(exactNodes, 0, exactNodeEffects, 1, exactNodes.length);
        exactNodeEffects[0] = 123.0; // the input's effect is never compared
        org.apache.commons.math3.stat.correlation.PearsonsCorrelation pearson =
                new org.apache.commons.math3.stat.correlation.PearsonsCorrelation();
        org.apache.commons.math3.stat.correlation.SpearmansCorrelation spearman =
                new org.apache.commons.math3.stat.correlation.SpearmansCorrelation();
        double expectedPearson = pearson.correlation(noisyNodes, exactNodes) - pearson.correlation(noisierNodes, exactNodes);
        double expectedSpearman = spearman.correlation(noisyNodes, exactNodes)
                - spearman.correlation(noisierNodes, exactNodes);

        EdgeScores scorer = new EdgeScores(graph, noisy);
        EdgeScores baseline = new EdgeScores(graph, noisier);
        ScoreAgreement.Gap gap = ScoreAgreement.nodeGap(scorer, baseline, exactNodeEffects, 1);
        assertEquals(expectedPearson, gap.pearson().value(), 1e-12, gap.toString());
        assertEquals(expectedSpearman, gap.spearman().value(), 1e-12, gap.toString());
        EdgeScores truth = new EdgeScores(graph, exact);
        assertEquals(ScoreAgreement.of(scorer, truth, exactNodeEffects, 50, 10).nodePearson()
                - ScoreAgreement.of(baseline, truth, exactNodeEffects, 50, 10).nodePearson(), gap.pearson().value(), 1e-12);
        assertTrue(pearson.correlation(noisierNodes, noisyNodes) < 0.99 && Math.abs(expectedPearson) > 0.01,
                "neither scorer is the truth and the gap is not 0: " + expectedPearson);
        assertTrue(gap.pearson().low() <= gap.pearson().value() && gap.pearson().value() <= gap.pearson().high(),
                gap.toString());
    }

    /**
     * A scorer that orders the large edges exactly and the small ones at random: over every edge its rank
     * correlation is poor (the many small edges decide it), over the edges that matter it is perfect.
     */
    @Test
    void correlationsOverTheEdgesThatMatterLeaveTheNegligibleOnesOut() {
        Random r = new Random(17);
        double[] exact = new double[graph.nEdges()];
        double[] scores = new double[graph.nEdges()];
        int large = 0;
        for (int i = 0; i < exact.length; i++) {
            boolean matters = i % 5 == 0;
            exact[i] = matters ? 1 + r.nextDouble() : 1e-4 * r.nextGaussian();
            scores[i] = matters ? 3 * exact[i] : 1e-4 * r.nextGaussian(); // small edges: unrelated noise
            large += matters ? 1 : 0;
        }
        EdgeScores truth = new EdgeScores(graph, exact);
        EdgeScores scored = new EdgeScores(graph, scores);
        ScoreAgreement all = ScoreAgreement.of(scored, truth, nodeSums(exact), 50, 10);
        ScoreAgreement.MaterialEdges material = ScoreAgreement.material(scored, truth, null, 0.5);
        assertEquals(large, material.edges());
        assertEquals(0.5, material.threshold());
        assertEquals(1.0, material.pearson(), 1e-12);
        assertEquals(1.0, material.spearman(), 1e-12);
        assertTrue(all.edgeSpearman() < 0.8, "every edge: " + all.edgeSpearman());

        ScoreAgreement.MaterialEdges everyEdge = ScoreAgreement.material(scored, truth, null, 0);
        assertEquals(graph.nEdges(), everyEdge.edges(), "threshold 0: every edge");
        assertEquals(all.edgePearson(), everyEdge.pearson(), 1e-12);
        assertEquals(all.edgeSpearman(), everyEdge.spearman(), 1e-12);

        EdgeScores onlyLarge = ScoreAgreement.materialOnly(truth, 0.5);
        for (int i = 0; i < exact.length; i++) {
            assertEquals(Math.abs(exact[i]) >= 0.5, !Double.isNaN(onlyLarge.get(i)), "edge " + i);
        }
        ScoreAgreement.Gap gap = ScoreAgreement.edgeGap(scored, new EdgeScores(graph, new Random(2).doubles(exact.length)
                .toArray()), onlyLarge, null, 1);
        assertTrue(gap.spearman().low() > 0, "against random scores, over the large edges: " + gap);
    }

    /**
     * A sample drawn with unequal probabilities carries inverse-probability weights: the material-edge
     * correlations and the gap from a baseline are the weighted ones (WeightedCorrelation, tested on its own),
     * which differ here from the unweighted ones.
     */
    @Test
    void weightsOfAnUnequalSampleWeightTheMaterialCorrelationsAndTheGap() {
        double[] exact = exactValues();
        Random r = new Random(19);
        double[] noisy = exact.clone();
        double[] baseline = exact.clone();
        double[] sampled = new double[exact.length];
        double[] weights = new double[exact.length];
        java.util.Arrays.fill(sampled, Double.NaN);
        java.util.List<Integer> kept = new java.util.ArrayList<>();
        for (int i = 0; i < exact.length; i++) {
            // large edges always patched (weight 1), small ones one in four (weight 4); the scorer is noisier on small ones
            boolean large = Math.abs(exact[i]) > 1;
            noisy[i] += (large ? 0.2 : 1.5) * r.nextGaussian();
            baseline[i] += 1.0 * r.nextGaussian();
            weights[i] = large ? 1 : 4;
            if (large || r.nextInt(4) == 0) {
                sampled[i] = exact[i];
                kept.add(i);
            }
        }
        EdgeScores truth = new EdgeScores(graph, sampled);
        double[] x = kept.stream().mapToDouble(i -> noisy[i]).toArray();
        double[] b = kept.stream().mapToDouble(i -> baseline[i]).toArray();
        double[] y = kept.stream().mapToDouble(i -> exact[i]).toArray();
        double[] w = kept.stream().mapToDouble(i -> weights[i]).toArray();

        ScoreAgreement.MaterialEdges m = ScoreAgreement.material(new EdgeScores(graph, noisy), truth, weights, 0);
        assertEquals(kept.size(), m.edges());
        assertEquals(WeightedCorrelation.pearson(x, y, w), m.pearson(), 1e-12);
        assertEquals(WeightedCorrelation.spearman(x, y, w), m.spearman(), 1e-12);
        assertTrue(Math.abs(m.pearson() - ScoreAgreement.material(new EdgeScores(graph, noisy), truth, null, 0).pearson())
                > 0.01, "the weights must matter here");

        ScoreAgreement.Gap gap = ScoreAgreement.edgeGap(new EdgeScores(graph, noisy), new EdgeScores(graph, baseline), truth,
                weights, 3);
        assertEquals(WeightedCorrelation.pearson(x, y, w) - WeightedCorrelation.pearson(b, y, w), gap.pearson().value(), 1e-12);
        assertEquals(WeightedCorrelation.spearman(x, y, w) - WeightedCorrelation.spearman(b, y, w), gap.spearman().value(),
                1e-12);
        assertTrue(gap.pearson().low() <= gap.pearson().value() && gap.pearson().value() <= gap.pearson().high(),
                gap.toString());
    }

    @Test
    void withHardlyAnyEdgeThatMattersTheCorrelationsAreUndefinedNotAnError() {
        double[] exact = exactValues();
        EdgeScores truth = new EdgeScores(graph, exact);
        double max = java.util.Arrays.stream(exact).map(Math::abs).max().orElseThrow();
        ScoreAgreement.MaterialEdges none = ScoreAgreement.material(truth, truth, null, 2 * max);
        assertEquals(0, none.edges());
        assertTrue(Double.isNaN(none.pearson()) && Double.isNaN(none.spearman()));
        ScoreAgreement.Gap gap = ScoreAgreement.edgeGap(truth, truth, ScoreAgreement.materialOnly(truth, 2 * max), null, 1);
        assertTrue(Double.isNaN(gap.spearman().value()));
        assertEquals(ScoreAgreement.Reading.NO_DIFFERENCE_SHOWN, ScoreAgreement.Reading.of(gap.spearman()));
    }

    /**
     * Each difference reads from its own interval: above 0 better, below 0 worse, including 0 (or none, or undefined)
     * no difference shown. The point-value verdict can disagree: relp on the IOI toy read "edges NO" while its edge
     * Pearson gap was +0.099 [+0.005, +0.247] and its Spearman gap -0.027 [-0.110, +0.057].
     */
    @Test
    void eachDifferenceReadsFromItsOwnInterval() {
        assertEquals(ScoreAgreement.Reading.BETTER, ScoreAgreement.Reading.of(new Estimate(0.099, 0.005, 0.247)));
        assertEquals(ScoreAgreement.Reading.NO_DIFFERENCE_SHOWN, ScoreAgreement.Reading.of(new Estimate(-0.027, -0.110, 0.057)));
        assertEquals(ScoreAgreement.Reading.WORSE, ScoreAgreement.Reading.of(new Estimate(-0.2, -0.3, -0.01)));
        assertEquals(ScoreAgreement.Reading.NO_DIFFERENCE_SHOWN, ScoreAgreement.Reading.of(new Estimate(0, 0, 0)));
        // float rounding is no difference, as for the point-value verdict (ROUNDING)
        assertEquals(ScoreAgreement.Reading.NO_DIFFERENCE_SHOWN, ScoreAgreement.Reading.of(new Estimate(3e-10, 1e-10, 5e-10)));
        assertEquals(ScoreAgreement.Reading.WORSE, ScoreAgreement.Reading.of(new Estimate(-4e-5, -6e-5, -2e-6)));
        assertEquals(ScoreAgreement.Reading.NO_DIFFERENCE_SHOWN, ScoreAgreement.Reading.of(Estimate.point(0.5)));
        assertEquals(ScoreAgreement.Reading.NO_DIFFERENCE_SHOWN, ScoreAgreement.Reading.of(Estimate.point(Double.NaN)));
    }
}

package io.circuitscope.core.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.model.ModelConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Ranking by |score| by default, by the scorer's own importance when it gives one. */
class EdgeScoresTest {
    final ComputationGraph graph = ComputationGraph.of(ModelConfig.builder("gpt2").setSizes(8, 1, 1, 16, 10, 8).build());

    double[] filled(double... head) {
        double[] v = new double[graph.nEdges()];
        System.arraycopy(head, 0, v, 0, head.length);
        return v;
    }

    @Test
    void plainScoresRankByAbsoluteValueWithTiesByIndexAndNaNLast() {
        EdgeScores s = new EdgeScores(graph, filled(0.1, -0.5, Double.NaN, 0.5, -0.2));
        int[] order = s.ranking();
        assertArrayEquals(new int[] {1, 3, 4, 0}, java.util.Arrays.copyOf(order, 4));
        assertEquals(2, order[order.length - 1], "NaN last");
        assertFalse(s.hasOwnImportance());
        assertEquals(0.5, s.importance(1), 0);
        assertArrayEquals(new boolean[] {false, true, false, true, true}, java.util.Arrays.copyOf(s.atLeast(0.2), 5));
    }

    @Test
    void ownImportanceDecidesRankingSelectionAndThresholdsButNotTheScores() {
        double[] values = filled(0.1, -0.5, Double.NaN, 0.5, -0.2);
        double[] importance = filled(0.9, 0.5, Double.NaN, 0.6, 0.2);
        EdgeScores s = EdgeScores.ranked(graph, values, importance);
        assertTrue(s.hasOwnImportance());
        assertArrayEquals(new int[] {0, 3, 1, 4}, java.util.Arrays.copyOf(s.ranking(), 4));
        assertArrayEquals(new boolean[] {true, false, false, true, false}, java.util.Arrays.copyOf(s.topK(2), 5));
        assertArrayEquals(new boolean[] {true, false, false, true, false}, java.util.Arrays.copyOf(s.atLeast(0.55), 5));
        assertArrayEquals(values, s.values(), "scores stay the estimates");
        assertEquals(0.1, s.nodeScoresBySource()[graph.edges().get(0).source().sourceIndex()]
                - sumOtherOutEdges(values, 0), 1e-12, "node scores sum the estimates, not the importances");
    }

    private double sumOtherOutEdges(double[] values, int edge) {
        Node source = graph.edges().get(edge).source();
        double sum = 0;
        for (Edge e : graph.edges()) {
            if (e.source().equals(source) && e.index() != edge && !Double.isNaN(values[e.index()])) {
                sum += values[e.index()];
            }
        }
        return sum;
    }

    @Test
    void importanceMustBeNonNegativeAndNaNExactlyWhereTheScoreIs() {
        for (double[] bad : List.of(filled(-0.1), filled(Double.NaN), filled(0, 0, 0.3))) {
            double[] values = filled(0.1, 0.2, Double.NaN);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> EdgeScores.ranked(graph, values, bad));
            assertTrue(e.getMessage().contains("importance of edge " + graph.edges().get(bad[0] != 0 ? 0 : 2).name()),
                    e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> EdgeScores.ranked(graph, filled(), new double[3]));
    }

    @Test
    void nodesRankByTheirOwnImportanceWhenGivenElseBySizeOfTheirSum() {
        double[] values = filled(0.1, -0.5, Double.NaN, 0.5, -0.2);
        EdgeScores plain = new EdgeScores(graph, values);
        double[] sums = plain.nodeScoresBySource();
        assertFalse(plain.hasOwnNodeImportance());
        for (int s = 0; s < sums.length; s++) {
            assertEquals(Math.abs(sums[s]), plain.nodeImportances()[s], 0);
        }
        double[] own = new double[graph.nSources()];
        for (int s = 0; s < own.length; s++) {
            own[s] = 10 + s;
        }
        EdgeScores ranked = EdgeScores.ranked(graph, values, null, own);
        assertTrue(ranked.hasOwnNodeImportance());
        assertFalse(ranked.hasOwnImportance(), "edges still rank by |score|");
        assertArrayEquals(own, ranked.nodeImportances());
        assertArrayEquals(sums, ranked.nodeScoresBySource(), "node scores stay the sums of the estimates");

        own[1] = -1;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> EdgeScores.ranked(graph, values, null, own));
        assertTrue(e.getMessage().contains("importance of node " + graph.sources().get(1).name()), e.getMessage());
        own[1] = Double.NaN;
        assertThrows(IllegalArgumentException.class, () -> EdgeScores.ranked(graph, values, null, own));
        assertThrows(IllegalArgumentException.class, () -> EdgeScores.ranked(graph, values, null, new double[1]));
    }
}

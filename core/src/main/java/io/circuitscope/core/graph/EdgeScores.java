package io.circuitscope.core.graph;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * One number per edge of a graph, with the one definition of ranking every selector, ROC curve and
 * renderer uses: by absolute value, largest first, ties broken by edge index, NaN (unscored) last.
 * By convention a score estimates {@code m(edge patched) - m(clean)}: the change in the metric
 * when the edge alone carries its patched value.
 */
public final class EdgeScores {
    private final ComputationGraph graph;
    private final double[] values;

    public EdgeScores(ComputationGraph graph, double[] values) {
        if (values.length != graph.nEdges()) {
            throw new IllegalArgumentException("need " + graph.nEdges() + " scores, got " + values.length);
        }
        this.graph = graph;
        this.values = values.clone();
    }

    public static EdgeScores unscored(ComputationGraph graph) {
        double[] v = new double[graph.nEdges()];
        Arrays.fill(v, Double.NaN);
        return new EdgeScores(graph, v);
    }

    public ComputationGraph graph() {
        return graph;
    }

    public double get(int edge) {
        return values[edge];
    }

    public double get(String edge) {
        return values[graph.edge(edge).index()];
    }

    public double[] values() {
        return values.clone();
    }

    public int size() {
        return values.length;
    }

    /** Edge indices from most to least important (|score| descending; NaN last; ties by index). */
    public int[] ranking() {
        return IntStream.range(0, values.length).boxed()
                .sorted(Comparator.<Integer>comparingDouble(i -> Double.isNaN(values[i]) ? Double.NEGATIVE_INFINITY
                        : Math.abs(values[i])).reversed().thenComparingInt(i -> i))
                .mapToInt(Integer::intValue).toArray();
    }

    /** The {@code k} top-ranked edges as a keep-mask. */
    public boolean[] topK(int k) {
        boolean[] keep = new boolean[values.length];
        int[] order = ranking();
        for (int i = 0; i < Math.min(k, order.length); i++) {
            if (!Double.isNaN(values[order[i]])) {
                keep[order[i]] = true;
            }
        }
        return keep;
    }

    /** Edges with |score| >= threshold. */
    public boolean[] atLeast(double threshold) {
        boolean[] keep = new boolean[values.length];
        for (int i = 0; i < values.length; i++) {
            keep[i] = !Double.isNaN(values[i]) && Math.abs(values[i]) >= threshold;
        }
        return keep;
    }

    /** Node scores: the sum of the scores of a node's outgoing edges (first-order effect of patching the node). */
    public double[] nodeScoresBySource() {
        double[] out = new double[graph.nSources()];
        for (Edge e : graph.edges()) {
            if (!Double.isNaN(values[e.index()])) {
                out[e.source().sourceIndex()] += values[e.index()];
            }
        }
        return out;
    }
}

package io.circuitscope.core.graph;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * One number per edge of a graph, with the one definition of ranking every selector, ROC curve and
 * renderer uses: by importance, largest first, ties broken by edge index, NaN (unscored) last.
 * By convention a scorer's score estimates {@code m(edge patched) - m(clean)}: the change in the metric
 * when the edge alone carries its patched value; ACDC's scores are instead {@code m(after) - m(before)} of removing
 * the edge from the circuit as it stood when tried. An edge's importance is |score| unless the scorer
 * ranks by something else than its estimate: AtP* estimates with the QK fix and ranks by the larger
 * of that estimate's size and GradDrop's cancellation-proof magnitude, which is no signed estimate.
 * Nodes likewise: a node's score is the sum of its out-edges' scores, its importance the size of
 * that sum unless the scorer ranks nodes by something else (AtP*: GradDrop per node).
 */
public final class EdgeScores {
    private final ComputationGraph graph;
    private final double[] values;
    private final double[] importance; // null: |values|
    private final double[] nodeImportance; // per source; null: |nodeScoresBySource()|

    public EdgeScores(ComputationGraph graph, double[] values) {
        this(graph, values, null, null);
    }

    private EdgeScores(ComputationGraph graph, double[] values, double[] importance, double[] nodeImportance) {
        if (values.length != graph.nEdges()) {
            throw new IllegalArgumentException("need " + graph.nEdges() + " scores, got " + values.length);
        }
        if (importance != null) {
            if (importance.length != values.length) {
                throw new IllegalArgumentException("need " + values.length + " importances, got " + importance.length);
            }
            for (int i = 0; i < importance.length; i++) {
                if (importance[i] < 0 || Double.isNaN(importance[i]) != Double.isNaN(values[i])) {
                    throw new IllegalArgumentException("importance of edge " + graph.edges().get(i).name() + " is "
                            + importance[i] + " for score " + values[i] + ": it must be >= 0, and NaN exactly where the score is");
                }
            }
        }
        if (nodeImportance != null) {
            if (nodeImportance.length != graph.nSources()) {
                throw new IllegalArgumentException("need " + graph.nSources() + " node importances, got "
                        + nodeImportance.length);
            }
            for (Node n : graph.sources()) {
                if (!(nodeImportance[n.sourceIndex()] >= 0)) {
                    throw new IllegalArgumentException("importance of node " + n.name() + " is "
                            + nodeImportance[n.sourceIndex()] + ": it must be a number >= 0");
                }
            }
        }
        this.graph = graph;
        this.values = values.clone();
        this.importance = importance == null ? null : importance.clone();
        this.nodeImportance = nodeImportance == null ? null : nodeImportance.clone();
    }

    /** Scores ranked by their own {@code importance} (non-negative; NaN where the score is NaN). */
    public static EdgeScores ranked(ComputationGraph graph, double[] values, double[] importance) {
        return new EdgeScores(graph, values, java.util.Objects.requireNonNull(importance, "importance"), null);
    }

    /**
     * Scores ranked by their own edge {@code importance} and their own {@code nodeImportance} (one
     * non-negative number per source node); either may be null, and then ranks by |score| as usual.
     */
    public static EdgeScores ranked(ComputationGraph graph, double[] values, double[] importance,
            double[] nodeImportance) {
        return new EdgeScores(graph, values, importance, nodeImportance);
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

    /** How important an edge is for ranking: |score| unless the scorer gave its own importance. */
    public double importance(int edge) {
        return importance == null ? Math.abs(values[edge]) : importance[edge];
    }

    /** Every edge's {@link #importance(int)}. */
    public double[] importances() {
        double[] out = new double[values.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = importance(i);
        }
        return out;
    }

    /** Whether the scorer ranks by something else than |score| (then files record the importance too). */
    public boolean hasOwnImportance() {
        return importance != null;
    }

    /** Edge indices from most to least important (importance descending; NaN last; ties by index). */
    public int[] ranking() {
        return IntStream.range(0, values.length).boxed()
                .sorted(Comparator.<Integer>comparingDouble(i -> Double.isNaN(values[i]) ? Double.NEGATIVE_INFINITY
                        : importance(i)).reversed().thenComparingInt(i -> i))
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

    /**
     * How many edges have a non-zero importance. Only exact zeros count as no evidence: tiny scores are not
     * rounding residue to cut at some fraction of the largest (EAP's ~1e-23 on planted:ioi are gradients
     * through saturated attention, on exactly the planted edges), but among zeros the order is by index alone.
     */
    public int withEvidence() {
        return nonZero(importances());
    }

    /** How many of {@code importances} are above zero (NaN is not). */
    static int nonZero(double[] importances) {
        int n = 0;
        for (double v : importances) {
            if (v > 0) {
                n++;
            }
        }
        return n;
    }

    /** Edges with importance (|score| unless the scorer gave its own) >= threshold. */
    public boolean[] atLeast(double threshold) {
        boolean[] keep = new boolean[values.length];
        for (int i = 0; i < values.length; i++) {
            keep[i] = !Double.isNaN(values[i]) && importance(i) >= threshold;
        }
        return keep;
    }

    /** How important each source node is for ranking: |node score| unless the scorer gave its own. */
    public double[] nodeImportances() {
        if (nodeImportance != null) {
            return nodeImportance.clone();
        }
        double[] out = nodeScoresBySource();
        for (int i = 0; i < out.length; i++) {
            out[i] = Math.abs(out[i]);
        }
        return out;
    }

    /** Whether the scorer ranks nodes by something else than |node score| (then files record it too). */
    public boolean hasOwnNodeImportance() {
        return nodeImportance != null;
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

package io.circuitscope.core.graph;

import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * One number per source node (input, heads, MLPs), or per node and token position in a
 * position-aware graph. Same convention as {@link EdgeScores}: a score estimates
 * {@code m(node patched) - m(clean)}, and rankings are by absolute value, largest first.
 */
public final class NodeScores {
    private final ComputationGraph graph;
    private final double[] values; // [source * positions + position]

    public NodeScores(ComputationGraph graph, double[] values) {
        int cells = graph.nSources() * Math.max(1, graph.positions());
        if (values.length != cells) {
            throw new IllegalArgumentException("need " + cells + " node scores, got " + values.length);
        }
        this.graph = graph;
        this.values = values.clone();
    }

    public ComputationGraph graph() {
        return graph;
    }

    private int positions() {
        return Math.max(1, graph.positions());
    }

    /** A node's score summed over positions. */
    public double get(Node node) {
        double sum = 0;
        for (int p = 0; p < positions(); p++) {
            sum += values[node.sourceIndex() * positions() + p];
        }
        return sum;
    }

    /** A node's score at one position (position-aware graphs; position 0 otherwise). */
    public double get(Node node, int position) {
        return values[node.sourceIndex() * positions() + position];
    }

    /** Per node, summed over positions, in source order. */
    public double[] perNode() {
        double[] out = new double[graph.nSources()];
        for (Node n : graph.sources()) {
            out[n.sourceIndex()] = get(n);
        }
        return out;
    }

    /** Cells (node x position) from most to least important. */
    public int[] ranking() {
        return IntStream.range(0, values.length).boxed()
                .sorted(Comparator.<Integer>comparingDouble(i -> Math.abs(values[i])).reversed().thenComparingInt(i -> i))
                .mapToInt(Integer::intValue).toArray();
    }

    /**
     * The circuit of the {@code k} top-ranked nodes (node-positions in a position-aware graph): every
     * edge from a kept node to a kept node or to the logits. By position, an edge at position q is kept
     * when its source is kept at q and its destination needs q: the logits, an MLP or a head's query at q
     * itself, a head's key or value at q whenever the head is kept at q or any later position it attends
     * from (without those, a kept head would lose what it reads from earlier tokens).
     * The input counts as a node like any other.
     */
    public Circuit circuitOfTop(int k, EdgeScores edgeScores) {
        return circuitOfTop(k, edgeScores, null);
    }

    /**
     * As {@link #circuitOfTop(int, EdgeScores)}, with the logits kept only at {@code targetPositions} (null: at
     * every position) in a position-aware graph: an edge into the logits at a position no target reads carries
     * nothing the metric sees. Position-free graphs ignore them.
     */
    public Circuit circuitOfTop(int k, EdgeScores edgeScores, int[] targetPositions) {
        boolean[] logitsKept = new boolean[positions()];
        if (targetPositions == null || !graph.isByPosition()) {
            Arrays.fill(logitsKept, true);
        } else {
            for (int p : targetPositions) {
                logitsKept[p] = true;
            }
        }
        boolean[] kept = new boolean[values.length];
        int[] order = ranking();
        for (int i = 0; i < Math.min(k, order.length); i++) {
            kept[order[i]] = true;
        }
        int[] lastKept = new int[graph.nSources()]; // the latest position at which each node is kept, -1 if none
        Arrays.fill(lastKept, -1);
        for (int cell = 0; cell < kept.length; cell++) {
            if (kept[cell]) {
                lastKept[cell / positions()] = Math.max(lastKept[cell / positions()], cell % positions());
            }
        }
        BitSet edges = new BitSet(graph.nEdges());
        for (Edge e : graph.edges()) {
            int p = e.byPosition() ? e.position() : 0;
            Node to = e.destination().node();
            Port port = e.destination().port();
            boolean sourceKept = kept[e.source().sourceIndex() * positions() + p];
            boolean destinationKept = to.kind() == NodeKind.LOGITS ? logitsKept[p]
                    : (port == Port.K || port == Port.V ? lastKept[to.sourceIndex()] >= p
                            : kept[to.sourceIndex() * positions() + p]);
            if (sourceKept && destinationKept) {
                edges.set(e.index());
            }
        }
        return new Circuit(graph, edges, edgeScores);
    }

    /** How many cells have a non-zero score (see {@link EdgeScores#withEvidence()}). */
    public int withEvidence() {
        double[] sizes = new double[values.length];
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = Math.abs(values[i]);
        }
        return EdgeScores.nonZero(sizes);
    }

    public double[] values() {
        return Arrays.copyOf(values, values.length);
    }
}

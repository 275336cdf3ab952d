package io.circuitscope.core.graph;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.jgrapht.Graph;
import org.jgrapht.graph.DirectedMultigraph;
import org.jgrapht.graph.EdgeReversedGraph;
import org.jgrapht.traverse.BreadthFirstIterator;

/**
 * A subgraph of a model's computational graph: a set of kept edges over a fixed complete graph,
 * plus optional per-edge scores. Nodes are in the circuit when a kept edge touches them.
 * Immutable.
 */
public final class Circuit {
    private final ComputationGraph graph;
    private final BitSet edges;
    private final EdgeScores scores;

    public Circuit(ComputationGraph graph, BitSet edges, EdgeScores scores) {
        if (edges.length() > graph.nEdges()) {
            throw new IllegalArgumentException("edge index " + (edges.length() - 1) + " outside the graph");
        }
        this.graph = graph;
        this.edges = (BitSet) edges.clone();
        this.scores = scores == null ? EdgeScores.unscored(graph) : scores;
    }

    public static Circuit of(ComputationGraph graph, boolean[] keep, EdgeScores scores) {
        BitSet b = new BitSet(graph.nEdges());
        for (int i = 0; i < keep.length; i++) {
            if (keep[i]) {
                b.set(i);
            }
        }
        return new Circuit(graph, b, scores);
    }

    public static Circuit ofEdgeNames(ComputationGraph graph, Iterable<String> names) {
        BitSet b = new BitSet(graph.nEdges());
        for (String n : names) {
            b.set(graph.edge(n).index());
        }
        return new Circuit(graph, b, null);
    }

    public static Circuit full(ComputationGraph graph) {
        BitSet b = new BitSet(graph.nEdges());
        b.set(0, graph.nEdges());
        return new Circuit(graph, b, null);
    }

    public static Circuit empty(ComputationGraph graph) {
        return new Circuit(graph, new BitSet(), null);
    }

    public ComputationGraph graph() {
        return graph;
    }

    public EdgeScores scores() {
        return scores;
    }

    public boolean contains(int edge) {
        return edges.get(edge);
    }

    public boolean contains(String edge) {
        return graph.hasEdge(edge) && edges.get(graph.edge(edge).index());
    }

    public int edgeCount() {
        return edges.cardinality();
    }

    public boolean[] keepMask() {
        boolean[] keep = new boolean[graph.nEdges()];
        edges.stream().forEach(i -> keep[i] = true);
        return keep;
    }

    public List<Edge> edges() {
        List<Edge> out = new ArrayList<>();
        edges.stream().forEach(i -> out.add(graph.edges().get(i)));
        return out;
    }

    public List<String> edgeNames() {
        return edges().stream().map(Edge::name).toList();
    }

    /** Nodes touched by a kept edge, in topological order. */
    public Set<Node> nodes() {
        Set<Node> touched = new LinkedHashSet<>();
        for (Edge e : edges()) {
            touched.add(e.source());
            touched.add(e.destination().node());
        }
        Set<Node> ordered = new LinkedHashSet<>();
        for (Node n : graph.nodes()) {
            if (touched.contains(n)) {
                ordered.add(n);
            }
        }
        return ordered;
    }

    /**
     * A position-aware circuit seen without positions: an edge is kept when it is kept at any position,
     * and its score is the sum of its per-position scores (unscored positions count as 0; NaN if none is
     * scored); a scorer's own importances are summed likewise. Used to compare with position-agnostic references. A position-agnostic circuit is returned as is.
     */
    public Circuit acrossPositions() {
        if (!graph.isByPosition()) {
            return this;
        }
        ComputationGraph whole = ComputationGraph.of(graph.config());
        double[] sums = new double[whole.nEdges()];
        double[] importance = new double[whole.nEdges()];
        boolean[] scored = new boolean[whole.nEdges()];
        BitSet kept = new BitSet(whole.nEdges());
        for (Edge e : graph.edges()) {
            int target = whole.edgeIndex(e.source().sourceIndex(), e.destination().index());
            double v = scores.get(e.index());
            if (!Double.isNaN(v)) {
                sums[target] += v;
                importance[target] += scores.importance(e.index());
                scored[target] = true;
            }
            if (edges.get(e.index())) {
                kept.set(target);
            }
        }
        for (int i = 0; i < sums.length; i++) {
            if (!scored[i]) {
                sums[i] = Double.NaN;
                importance[i] = Double.NaN;
            }
        }
        // nodes are the same in both graphs, so a node's own importance carries over as it is
        EdgeScores wholeScores = EdgeScores.ranked(whole, sums, scores.hasOwnImportance() ? importance : null,
                scores.hasOwnNodeImportance() ? scores.nodeImportances() : null);
        return new Circuit(whole, kept, wholeScores);
    }

    public Circuit withScores(EdgeScores newScores) {
        return new Circuit(graph, edges, newScores);
    }

    public Circuit without(int edge) {
        BitSet b = (BitSet) edges.clone();
        b.clear(edge);
        return new Circuit(graph, b, scores);
    }

    /**
     * Drops kept edges that cannot change the logits under {@code ablation}, so the circuit computes what
     * it computed before. Two kinds go:
     * <ul>
     * <li>under every ablation, edges into a node that reaches no logits through kept edges: every path
     * from that node to the logits passes a removed edge, which carries the ablated value instead, so
     * what the node computes, and so its inputs, cannot matter;
     * <li>under resampling only, edges out of a node the input does not reach through kept edges: such
     * a node reads only corrupted values, so it outputs its corrupted output, which is what a removed
     * edge carries. Under mean or zero ablation it outputs f(ablated input), which is not the mean or
     * zero a removed edge carries, so these edges stay.
     * </ul>
     */
    public Circuit pruned(Ablation ablation) {
        return pruned(ablation == Ablation.RESAMPLE);
    }

    /**
     * Both kinds of {@link #pruned(Ablation)} whatever the ablation, as EAP-IG's {@code evaluate_graph}
     * prunes a graph before running it (edges from nodes the input does not reach, or into nodes that
     * reach no logits). For judging an EAP-IG file as EAP-IG would; under mean or zero ablation this can
     * change the metric.
     */
    public Circuit prunedAsEapIg() {
        return pruned(true);
    }

    private Circuit pruned(boolean alsoCutOffFromInput) {
        // a graph of the kept edges only: the whole graph's JGraphT view would hold every edge of a
        // large (position-aware) graph in memory for the life of the graph, to walk a few kept ones
        Graph<Node, Edge> kept = new DirectedMultigraph<>(null, null, false);
        graph.nodes().forEach(kept::addVertex);
        edges().forEach(e -> kept.addEdge(e.source(), e.destination().node(), e));
        Set<Node> fromInput = reachable(kept, graph.node("input"));
        Set<Node> toLogits = reachable(new EdgeReversedGraph<>(kept), graph.node("logits"));
        BitSet b = new BitSet(graph.nEdges());
        for (Edge e : kept.edgeSet()) {
            boolean reached = !alsoCutOffFromInput || fromInput.contains(e.source());
            if (reached && toLogits.contains(e.destination().node())) {
                b.set(e.index());
            }
        }
        return new Circuit(graph, b, scores);
    }

    private static Set<Node> reachable(Graph<Node, Edge> g, Node from) {
        Set<Node> reached = new HashSet<>();
        new BreadthFirstIterator<>(g, from).forEachRemaining(reached::add);
        return reached;
    }

    @Override
    public String toString() {
        return "Circuit[" + edgeCount() + " of " + graph.nEdges() + " edges, " + nodes().size() + " nodes]";
    }
}

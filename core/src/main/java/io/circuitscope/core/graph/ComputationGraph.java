package io.circuitscope.core.graph;

import ai.djl.ndarray.types.Shape;
import io.circuitscope.core.model.ModelConfig;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jgrapht.Graph;
import org.jgrapht.graph.DirectedMultigraph;

/**
 * The model as a graph: sources (input, every head, every MLP), destinations (each head's q, k and
 * v inputs, each MLP's input, the logits) and every edge from an earlier source to a later
 * destination through the residual stream. Built once per config; everything is index based, with
 * object views and a JGraphT graph on top.
 *
 * <p>Order: sources are {@code input}, then per layer the heads and the MLP; destinations are per
 * layer all q inputs, all k inputs, all v inputs, the MLP input, and finally the logits. Every
 * destination reads a prefix of the sources ({@link #upstreamCount}), which the patched forward uses.
 *
 * <p>Position-aware graphs ({@link #byPosition}) split every edge by token position: edge
 * {@code a0.h1->a2.h3<k>@5} carries only position 5 of a0.h1's output into position 5 of a2.h3's key
 * input (attention moves information between positions inside a head, never along an edge). Edges
 * are ordered by destination, then source, then position, so the edges into one destination stay
 * contiguous. Such a graph fits tasks whose prompts all have {@link #positions()} tokens.
 */
public final class ComputationGraph {
    private final ModelConfig config;
    private final int positions;
    private final List<Node> sources;
    private final List<Node> nodes;
    private final List<Destination> destinations;
    private final List<Edge> edges;
    private final int[] upstreamCount;
    private final int[][] edgeIndex; // position-agnostic index of the (source, destination) pair, or -1
    private final List<List<Edge>> edgesOutOf = new ArrayList<>();
    private final Map<String, Node> nodesByName = new HashMap<>();
    private final Map<String, Edge> edgesByName = new HashMap<>();
    private final Map<String, Destination> destinationsByName = new HashMap<>();
    private Graph<Node, Edge> jgrapht;

    private ComputationGraph(ModelConfig config, int positions) {
        if (positions < 0) {
            throw new IllegalArgumentException("positions must be >= 1 for a position-aware graph, got " + positions);
        }
        requireFitsInMemory(config, positions);
        this.config = config;
        this.positions = positions;
        int layers = config.nLayers();
        int heads = config.nHeads();
        List<Node> src = new ArrayList<>();
        src.add(new Node("input", NodeKind.INPUT, -1, -1, 0));
        for (int l = 0; l < layers; l++) {
            for (int h = 0; h < heads; h++) {
                src.add(new Node(Node.headName(l, h), NodeKind.HEAD, l, h, src.size()));
            }
            src.add(new Node(Node.mlpName(l), NodeKind.MLP, l, -1, src.size()));
        }
        Node logits = new Node("logits", NodeKind.LOGITS, layers, -1, -1);
        this.sources = List.copyOf(src);
        List<Node> all = new ArrayList<>(src);
        all.add(logits);
        this.nodes = List.copyOf(all);
        nodes.forEach(n -> nodesByName.put(n.name(), n));

        List<Destination> dst = new ArrayList<>();
        List<Integer> upstream = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            int beforeLayer = 1 + l * (heads + 1);
            for (Port port : new Port[] {Port.Q, Port.K, Port.V}) {
                for (int h = 0; h < heads; h++) {
                    dst.add(new Destination(src.get(1 + l * (heads + 1) + h), port, dst.size()));
                    upstream.add(beforeLayer);
                }
            }
            dst.add(new Destination(src.get(1 + l * (heads + 1) + heads), Port.IN, dst.size()));
            upstream.add(config.parallelAttnMlp() ? beforeLayer : beforeLayer + heads);
        }
        dst.add(new Destination(logits, Port.IN, dst.size()));
        upstream.add(src.size());
        this.destinations = List.copyOf(dst);
        destinations.forEach(d -> destinationsByName.put(d.name(), d));
        this.upstreamCount = upstream.stream().mapToInt(Integer::intValue).toArray();

        List<Edge> e = new ArrayList<>();
        this.edgeIndex = new int[src.size()][dst.size()];
        for (int[] row : edgeIndex) {
            java.util.Arrays.fill(row, -1);
        }
        int pairs = 0;
        for (Destination d : destinations) {
            for (int s = 0; s < upstreamCount[d.index()]; s++) {
                edgeIndex[s][d.index()] = pairs++;
                if (positions == 0) {
                    e.add(new Edge(src.get(s), d, e.size()));
                } else {
                    for (int p = 0; p < positions; p++) {
                        e.add(new Edge(src.get(s), d, e.size(), p));
                    }
                }
            }
        }
        this.edges = List.copyOf(e);
        edges.forEach(x -> edgesByName.put(x.name(), x));
        for (int s = 0; s < src.size(); s++) {
            edgesOutOf.add(new ArrayList<>());
        }
        edges.forEach(x -> edgesOutOf.get(x.source().sourceIndex()).add(x));
    }

    /**
     * Heap one edge takes, graph and lookup tables together: measured 153-159 bytes on GPT-2 small (32k edges), a
     * 32 x 32 shape (1.6M edges) and GPT-2 small split by 20 positions; the low end, so that only a graph that
     * cannot fit is refused.
     */
    static final long BYTES_PER_EDGE = 150;

    /**
     * The edges of {@code config}'s graph split by {@code positions} (0: position-agnostic), counted without building
     * it; {@link Long#MAX_VALUE} when the count overflows. Layer l's q, k and v inputs (3 per head) read the
     * 1 + l(heads + 1) sources before the layer, its MLP those and the layer's heads (unless attention and MLP run in
     * parallel), and the logits read every source.
     */
    public static long edgeCount(ModelConfig config, int positions) {
        try {
            long layers = config.nLayers();
            long heads = config.nHeads();
            long before = Math.addExact(layers, Math.multiplyExact(heads + 1, layers * (layers - 1) / 2));
            long edges = Math.multiplyExact(3 * heads + 1, before);
            edges = Math.addExact(edges, config.parallelAttnMlp() ? 0 : Math.multiplyExact(heads, layers));
            edges = Math.addExact(edges, 1 + Math.multiplyExact(layers, heads + 1));
            return Math.multiplyExact(edges, Math.max(1, positions));
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    /**
     * Refuses, before anything is allocated, a graph whose edges cannot be indexed by an int or cannot fit in the
     * heap this JVM may use (a shape read from a file, 100,000 layers, ran out of memory with a stack trace).
     */
    private static void requireFitsInMemory(ModelConfig config, int positions) {
        long edges = edgeCount(config, positions);
        long heap = Runtime.getRuntime().maxMemory();
        if (edges > Integer.MAX_VALUE || edges > heap / BYTES_PER_EDGE) {
            String shape = config.nLayers() + " layers x " + config.nHeads() + " heads"
                    + (positions > 0 ? " split by " + positions + " positions" : "");
            throw new GraphTooLargeException(String.format(java.util.Locale.ROOT, "the graph of %s has %s edges, "
                    + "more than fit in the %.1f GB of memory Java may use here (about %d bytes each)", shape,
                    edges == Long.MAX_VALUE ? "more than 9.2e18" : String.format(java.util.Locale.ROOT, "%,d", edges),
                    heap / 1e9, BYTES_PER_EDGE));
        }
    }

    /** The position-agnostic graph: each edge carries every token position. */
    public static ComputationGraph of(ModelConfig config) {
        return new ComputationGraph(config, 0);
    }

    /** The position-aware graph for prompts of {@code positions} tokens: every edge split by position. */
    public static ComputationGraph byPosition(ModelConfig config, int positions) {
        if (positions < 1) {
            throw new IllegalArgumentException("a position-aware graph needs at least one position, got " + positions);
        }
        return new ComputationGraph(config, positions);
    }

    public ModelConfig config() {
        return config;
    }

    /** Token positions each edge is split into, or 0 for a position-agnostic graph. */
    public int positions() {
        return positions;
    }

    public boolean isByPosition() {
        return positions > 0;
    }

    /**
     * Shape of the patching coefficients for {@code masks} variants: [M, nSources, nDestinations], or
     * [M, nSources, nDestinations, positions] for a position-aware graph.
     */
    public Shape coefficientShape(int masks) {
        return positions == 0 ? new Shape(masks, nSources(), nDestinations())
                : new Shape(masks, nSources(), nDestinations(), positions);
    }

    /** Flat index of an edge's cell within one mask of {@link #coefficientShape} coefficients. */
    public int coefficientIndex(Edge e) {
        int pair = e.source().sourceIndex() * nDestinations() + e.destination().index();
        return positions == 0 ? pair : pair * positions + e.position();
    }

    /** Number of cells in one mask of {@link #coefficientShape} coefficients. */
    public int coefficientCells() {
        return nSources() * nDestinations() * Math.max(1, positions);
    }

    /** Nodes with an output: input, heads, MLPs. */
    public List<Node> sources() {
        return sources;
    }

    /** Every node including logits, in topological order. */
    public List<Node> nodes() {
        return nodes;
    }

    public List<Destination> destinations() {
        return destinations;
    }

    public List<Edge> edges() {
        return edges;
    }

    public int nSources() {
        return sources.size();
    }

    public int nDestinations() {
        return destinations.size();
    }

    public int nEdges() {
        return edges.size();
    }

    /** How many sources (a prefix of {@link #sources()}) feed destination {@code d}. */
    public int upstreamCount(int destination) {
        return upstreamCount[destination];
    }

    /** The edge from source {@code s} to destination {@code d}, or -1 when there is none (position-agnostic graphs). */
    public int edgeIndex(int source, int destination) {
        if (positions != 0) {
            throw new IllegalStateException("this graph is split by position; use edgeIndex(source, destination, position)");
        }
        return edgeIndex[source][destination];
    }

    /** The edge from source {@code s} to destination {@code d} at {@code position}, or -1 when there is none. */
    public int edgeIndex(int source, int destination, int position) {
        if (positions == 0) {
            return edgeIndex[source][destination];
        }
        if (position < 0 || position >= positions) {
            throw new IllegalArgumentException("position " + position + " is outside [0, " + positions + ")");
        }
        int pair = edgeIndex[source][destination];
        return pair < 0 ? -1 : pair * positions + position;
    }

    /** Every edge out of a source node (all positions), in index order. */
    public List<Edge> edgesOutOf(Node source) {
        if (!source.isSource()) {
            return List.of();
        }
        return Collections.unmodifiableList(edgesOutOf.get(source.sourceIndex()));
    }

    public Node node(String name) {
        Node n = nodesByName.get(name);
        if (n == null) {
            throw new IllegalArgumentException("no node '" + name + "' in this graph (" + config.nLayers()
                    + " layers x " + config.nHeads() + " heads)");
        }
        return n;
    }

    public Edge edge(String name) {
        Edge e = edgesByName.get(name);
        if (e == null) {
            throw new IllegalArgumentException("no edge '" + name + "' in this graph");
        }
        return e;
    }

    public boolean hasEdge(String name) {
        return edgesByName.containsKey(name);
    }

    public Destination destination(String name) {
        Destination d = destinationsByName.get(name);
        if (d == null) {
            throw new IllegalArgumentException("no destination '" + name + "' in this graph");
        }
        return d;
    }

    /** Source index of head h in layer l. */
    public int headSource(int layer, int head) {
        return 1 + layer * (config.nHeads() + 1) + head;
    }

    public int mlpSource(int layer) {
        return 1 + layer * (config.nHeads() + 1) + config.nHeads();
    }

    /** Destination index of head h's q, k or v input in layer l. */
    public int headDestination(int layer, Port port, int head) {
        int perLayer = 3 * config.nHeads() + 1;
        return layer * perLayer + port.ordinal() * config.nHeads() + head;
    }

    public int mlpDestination(int layer) {
        return layer * (3 * config.nHeads() + 1) + 3 * config.nHeads();
    }

    public int logitsDestination() {
        return destinations.size() - 1;
    }

    /** The graph as a JGraphT directed multigraph (parallel edges for q, k and v). */
    public synchronized Graph<Node, Edge> asJGraphT() {
        if (jgrapht == null) {
            DirectedMultigraph<Node, Edge> g = new DirectedMultigraph<>(null, null, false);
            nodes.forEach(g::addVertex);
            edges.forEach(e -> g.addEdge(e.source(), e.destination().node(), e));
            jgrapht = g;
        }
        return jgrapht;
    }

    /** Every edge into a destination (all sources, all positions), in index order. */
    public List<Edge> edgesInto(Destination d) {
        int perPair = Math.max(1, positions);
        int first = edgeIndex[0][d.index()] * perPair;
        return Collections.unmodifiableList(edges.subList(first, first + upstreamCount[d.index()] * perPair));
    }

    @Override
    public String toString() {
        return "ComputationGraph[" + nodes.size() + " nodes, " + sources.size() + " sources, " + destinations.size()
                + " destinations, " + edges.size() + " edges" + (positions > 0 ? ", by position over " + positions + " tokens" : "")
                + "]";
    }
}

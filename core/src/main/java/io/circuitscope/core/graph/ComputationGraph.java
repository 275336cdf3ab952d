package io.circuitscope.core.graph;

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
 */
public final class ComputationGraph {
    private final ModelConfig config;
    private final List<Node> sources;
    private final List<Node> nodes;
    private final List<Destination> destinations;
    private final List<Edge> edges;
    private final int[] upstreamCount;
    private final int[][] edgeIndex;
    private final Map<String, Node> nodesByName = new HashMap<>();
    private final Map<String, Edge> edgesByName = new HashMap<>();
    private final Map<String, Destination> destinationsByName = new HashMap<>();
    private Graph<Node, Edge> jgrapht;

    private ComputationGraph(ModelConfig config) {
        this.config = config;
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
        for (Destination d : destinations) {
            for (int s = 0; s < upstreamCount[d.index()]; s++) {
                Edge edge = new Edge(src.get(s), d, e.size());
                edgeIndex[s][d.index()] = edge.index();
                e.add(edge);
            }
        }
        this.edges = List.copyOf(e);
        edges.forEach(x -> edgesByName.put(x.name(), x));
    }

    public static ComputationGraph of(ModelConfig config) {
        return new ComputationGraph(config);
    }

    public ModelConfig config() {
        return config;
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

    /** The edge from source {@code s} to destination {@code d}, or -1 when there is none. */
    public int edgeIndex(int source, int destination) {
        return edgeIndex[source][destination];
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

    /** The destination of a head's q/k/v input or an MLP's / the logits' input. */
    public Destination destinationOf(Node node, Port port) {
        return destination(node.name() + port.suffix());
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

    public List<Edge> edgesInto(Destination d) {
        return Collections.unmodifiableList(edges.subList(firstEdgeOf(d.index()), firstEdgeOf(d.index()) + upstreamCount[d.index()]));
    }

    private int firstEdgeOf(int destination) {
        return edgeIndex[0][destination];
    }

    @Override
    public String toString() {
        return "ComputationGraph[" + nodes.size() + " nodes, " + sources.size() + " sources, " + destinations.size()
                + " destinations, " + edges.size() + " edges]";
    }
}

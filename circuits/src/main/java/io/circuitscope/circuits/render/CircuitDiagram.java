package io.circuitscope.circuits.render;

import static io.circuitscope.circuits.render.Text.fmt;
import static io.circuitscope.circuits.render.Text.html;

import io.circuitscope.circuits.io.CircuitDocument;
import io.circuitscope.core.graph.Circuit;
import io.circuitscope.core.graph.Edge;
import io.circuitscope.core.graph.Node;
import io.circuitscope.core.graph.NodeKind;
import io.circuitscope.core.graph.Port;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A circuit as a Graphviz DOT diagram, read bottom to top: {@code input} at the bottom, one rank
 * per layer (its heads and its MLP on the same row), {@code logits} at the top.
 *
 * <ul>
 *   <li>Node fill: the node's role from the {@code roles} section ({@link Roles}), white otherwise;
 *       heads are ellipses, MLPs boxes, input and logits rounded grey boxes.</li>
 *   <li>Edge width: |score| (summed over the edges a line draws) relative to the largest; colour: blue when the
 *       score is positive, red when negative, grey when unscored (purple for merged edges of mixed sign). The legend
 *       says what each sign means under the run's metric: a score is the metric's change when the edge is patched, so
 *       under KL a positive score supports the behaviour, under logit-diff a negative one.
 *       A score is what the method stored ({@link ScoreMeaning}): a scorer's estimate of m(edge patched) - m(clean),
 *       exact patching's exact value, or ACDC's effect of removing the edge from the circuit as it stood when tried.
 *       A node's score (tooltip) is the sum of its out-edges' scores.</li>
 *   <li>An edge into a head is labelled at its head with the input it enters: q, k or v.</li>
 *   <li>Collapsed by layer, all heads of layer l become one node {@code a{l}}; edges between the
 *       same pair of drawn nodes merge, with summed |score| and the set of ports as label. Circuits
 *       with more nodes than {@link Options#collapseAbove()}, or more edges to draw than
 *       {@link Options#collapseAboveEdges()}, are collapsed automatically, with a note.</li>
 * </ul>
 */
public final class CircuitDiagram {
    static final String POSITIVE = "#2166ac";
    static final String NEGATIVE = "#b2182b";
    static final String UNSCORED = "#999999";
    static final String MIXED = "#7b3294";

    /**
     * @param collapseLayers     always merge the heads of a layer into one node
     * @param collapseAbove      merge them automatically when the circuit has more nodes than this
     * @param collapseAboveEdges merge them automatically when more edges than this would be drawn (edges between
     *                           the same two nodes, into different ports or positions, are drawn as one)
     * @param title              graph title; null for none
     */
    public record Options(boolean collapseLayers, int collapseAbove, int collapseAboveEdges, String title) {
        public static final int DEFAULT_COLLAPSE_ABOVE = 80;
        /**
         * The bundled Graphviz engine has 16 MB of memory. Measured with 80 circuit nodes on 12 to 48 layers, it
         * drew every diagram of 500 edges (in 3-8 s) but failed from 600 edges on 48 layers, 700 on 32 and 1,200
         * on 12 (GPT-2 small's shape); beyond a few hundred edges a diagram is unreadable anyway.
         */
        public static final int DEFAULT_COLLAPSE_ABOVE_EDGES = 500;

        public Options(boolean collapseLayers, int collapseAbove, String title) {
            this(collapseLayers, collapseAbove, DEFAULT_COLLAPSE_ABOVE_EDGES, title);
        }

        public static Options defaults() {
            return new Options(false, DEFAULT_COLLAPSE_ABOVE, null);
        }

        public Options withCollapseLayers(boolean collapse) {
            return new Options(collapse, collapseAbove, collapseAboveEdges, title);
        }

        public Options withTitle(String newTitle) {
            return new Options(collapseLayers, collapseAbove, collapseAboveEdges, newTitle);
        }
    }

    /**
     * @param dot         the DOT source
     * @param nodeCount   drawn circuit nodes (the legend not counted)
     * @param edgeCount   drawn edges (merged ones counted once)
     * @param circuitNodes nodes of the circuit before any collapse
     * @param collapsed   whether heads were merged per layer
     * @param note        why and how the diagram was simplified, or null
     */
    public record Diagram(String dot, int nodeCount, int edgeCount, int circuitNodes, boolean collapsed, String note) {
    }

    private CircuitDiagram() {
    }

    /** The diagram of a circuit document, coloured by its roles section, titled with model, task and method. */
    public static Diagram of(CircuitDocument doc, Options options) {
        Options o = options.title() != null ? options : options.withTitle(title(doc));
        return of(doc.circuit(), Roles.of(doc), o, metric(doc));
    }

    /** The metric the circuit's scores were computed with, as its file records it; null when it records none. */
    static String metric(CircuitDocument doc) {
        Object m = doc.summary().getOrDefault("metric", doc.method().get("metric"));
        return m == null ? null : m.toString();
    }

    /**
     * What a positive and a negative score mean under {@code metric}: a score is the metric's change when the edge is
     * patched (or removed), so under KL (lower is better) a positive score is an edge the behaviour needs, and under a
     * metric where higher is better (logit-diff) a negative one. Unknown metric: the sign alone.
     */
    static String[] signMeanings(String metric) {
        String important = ScoreMeaning.importantSign(metric);
        if (important == null) {
            return new String[] {"positive score", "negative score"};
        }
        boolean higherIsBetter = important.equals("negative");
        // two short lines each: the bundled engine measures text narrower than it draws, so long lines overflow the box
        String helps = "the edge supports the behaviour";
        String hinders = "the edge works against it";
        String br = "<BR ALIGN=\"LEFT\"/>";
        return new String[] {
            "score &gt; 0: patching raises " + html(metric) + br + (higherIsBetter ? hinders : helps) + br,
            "score &lt; 0: patching lowers " + html(metric) + br + (higherIsBetter ? helps : hinders) + br};
    }

    public static Diagram of(Circuit circuit, Roles roles, Options options) {
        return of(circuit, roles, options, null);
    }

    static String title(CircuitDocument doc) {
        return "circuit: " + doc.task().getOrDefault("name", "?") + " on " + doc.model().getOrDefault("name", "?")
                + " (" + doc.method().getOrDefault("key", "?") + ")";
    }

    private static final class DNode {
        final String id;
        final NodeKind kind;
        final int layer;
        final List<String> members = new ArrayList<>();
        double score;
        boolean scored;

        DNode(String id, NodeKind kind, int layer) {
            this.id = id;
            this.kind = kind;
            this.layer = layer;
        }
    }

    private static final class DEdge {
        final DNode from;
        final DNode to;
        // per destination port (IN for a non-attention node), the token positions it is kept at (none: position-free)
        final Map<Port, java.util.SortedSet<Integer>> positionsByPort = new java.util.EnumMap<>(Port.class);
        final List<String> names = new ArrayList<>();
        double signedSum;
        double absSum;
        int scored;
        boolean positive;
        boolean negative;

        DEdge(DNode from, DNode to) {
            this.from = from;
            this.to = to;
        }
    }

    /** A node's shape, DOT style, fill before its role's colour, and label lines. */
    private record NodeLook(String shape, String style, String fill, List<String> label) {
    }

    /**
     * Whether each layer's heads are drawn as one node, and the note under the title saying why (or that the circuit
     * is empty); null: no note.
     */
    private record Simplification(boolean collapse, String note) {
        static Simplification of(Circuit circuit, Options options) {
            int circuitNodes = circuit.nodes().size();
            int edgesToDraw = edgesToDraw(circuit);
            boolean tooManyNodes = circuitNodes > options.collapseAbove();
            boolean tooManyEdges = edgesToDraw > options.collapseAboveEdges();
            String dangling = danglingNote(circuit);
            if (options.collapseLayers()) {
                return new Simplification(true, join("collapsed by layer: the heads of each layer are one node", dangling));
            }
            if (tooManyNodes) {
                return new Simplification(true, join("collapsed by layer: " + circuitNodes + " nodes is more than "
                        + options.collapseAbove()
                        + "; the heads of each layer are one node (use --collapse-above to change)", dangling));
            }
            if (tooManyEdges) {
                return new Simplification(true, join("collapsed by layer: " + edgesToDraw + " edges to draw is more than "
                        + options.collapseAboveEdges() + "; the heads of each layer are one node", dangling));
            }
            return new Simplification(false, circuit.edgeCount() == 0 ? "the circuit is empty" : dangling);
        }

        /**
         * How many of the circuit's edges lead into a node that reaches no logits through the circuit's edges, or
         * null for none: such edges cannot change the output under any ablation (discover prunes them; a hand-made
         * file may hold them), yet they were drawn like every other, with nothing to tell them apart.
         */
        static String danglingNote(Circuit circuit) {
            int dangling = circuit.edgeCount() - circuit.pruned(io.circuitscope.core.graph.Ablation.MEAN).edgeCount();
            if (dangling == 0) {
                return null;
            }
            return dangling + " of the circuit's " + circuit.edgeCount() + (dangling == 1
                    ? " edges leads into a node that reaches no logits through it, so it cannot change the output"
                    : " edges lead into nodes that reach no logits through it, so they cannot change the output");
        }

        private static String join(String note, String more) {
            return more == null ? note : note + "; " + more;
        }
    }

    /** @param metric the metric the scores were computed with, which says what their sign means; null: unknown */
    public static Diagram of(Circuit circuit, Roles roles, Options options, String metric) {
        Simplification simplification = Simplification.of(circuit, options);
        boolean collapse = simplification.collapse();
        Map<Node, DNode> nodeOf = drawnNodes(circuit, collapse);
        // collapsed heads share a drawn node: each once, in the order first reached
        Set<DNode> drawn = new LinkedHashSet<>(nodeOf.values());
        Collection<DEdge> edges = mergedEdges(circuit, nodeOf);
        double maxAbs = edges.stream().mapToDouble(d -> d.absSum).max().orElse(0);
        // a drawn line stands for several scored edges: its width is their summed |score|
        boolean merged = edges.stream().anyMatch(d -> d.scored > 1);

        StringBuilder dot = new StringBuilder();
        appendGraphAttributes(dot, options.title(), simplification.note());
        Set<String> usedRoles = appendNodes(dot, drawn, roles, collapse);
        appendRanks(dot, drawn);
        Set<String> colours = appendEdges(dot, edges, maxAbs);
        dot.append("  legend [shape=plaintext, style=\"\", label=<")
                .append(legendTable(roles, usedRoles, colours.contains(MIXED), colours.contains(UNSCORED), maxAbs, merged,
                        collapse, signMeanings(metric)))
                .append(">];\n");
        dot.append("}\n");
        return new Diagram(dot.toString(), drawn.size(), edges.size(), circuit.nodes().size(), collapse,
                simplification.note());
    }

    /** Each circuit node's drawn node (collapsed: one per layer's heads), with the node scores summed into it. */
    private static Map<Node, DNode> drawnNodes(Circuit circuit, boolean collapse) {
        Set<Node> nodes = new LinkedHashSet<>(circuit.nodes());
        if (nodes.isEmpty()) { // an empty circuit still shows where it would run from and to
            nodes.add(circuit.graph().node("input"));
            nodes.add(circuit.graph().node("logits"));
        }
        Map<String, DNode> byId = new LinkedHashMap<>();
        Map<Node, DNode> nodeOf = new LinkedHashMap<>();
        for (Node n : nodes) {
            String id = collapse && n.kind() == NodeKind.HEAD ? "a" + n.layer() : n.name();
            DNode d = byId.computeIfAbsent(id, k -> new DNode(k, n.kind(), n.layer()));
            d.members.add(n.name());
            nodeOf.put(n, d);
        }
        addNodeScores(circuit, nodeOf);
        return nodeOf;
    }

    /** A source node's score is the sum of its out-edges' scores; it counts as scored when any of them is. */
    private static void addNodeScores(Circuit circuit, Map<Node, DNode> nodeOf) {
        double[] nodeScores = circuit.scores().nodeScoresBySource();
        for (Map.Entry<Node, DNode> entry : nodeOf.entrySet()) {
            Node n = entry.getKey();
            if (n.isSource()) {
                boolean any = false;
                for (Edge e : circuit.graph().edgesOutOf(n)) {
                    if (!Double.isNaN(circuit.scores().get(e.index()))) {
                        any = true;
                        break;
                    }
                }
                entry.getValue().score += nodeScores[n.sourceIndex()];
                entry.getValue().scored |= any;
            }
        }
    }

    /** The circuit's edges, one per pair of drawn nodes: their ports, positions and scores gathered. */
    private static Collection<DEdge> mergedEdges(Circuit circuit, Map<Node, DNode> nodeOf) {
        Map<String, DEdge> edges = new LinkedHashMap<>();
        for (Edge e : circuit.edges()) {
            DNode from = nodeOf.get(e.source());
            DNode to = nodeOf.get(e.destination().node());
            DEdge d = edges.computeIfAbsent(from.id + "\u0000" + to.id, k -> new DEdge(from, to));
            d.names.add(e.name());
            java.util.SortedSet<Integer> positions = d.positionsByPort.computeIfAbsent(e.destination().port(),
                    k -> new java.util.TreeSet<>());
            if (e.byPosition()) {
                positions.add(e.position());
            }
            double s = circuit.scores().get(e.index());
            if (!Double.isNaN(s)) {
                d.scored++;
                d.signedSum += s;
                d.absSum += Math.abs(s);
                d.positive |= s >= 0;
                d.negative |= s < 0;
            }
        }
        return edges.values();
    }

    /** The digraph's opening: bottom-to-top layout, the title with the note under it, node and edge defaults. */
    private static void appendGraphAttributes(StringBuilder dot, String title, String note) {
        dot.append("digraph circuit {\n");
        dot.append("  graph [rankdir=BT, fontname=\"Helvetica\", nodesep=0.3, ranksep=0.55, newrank=true");
        List<String> titleLines = new ArrayList<>();
        if (title != null && !title.isEmpty()) {
            titleLines.add(title);
        }
        if (note != null) {
            titleLines.add(note);
        }
        if (!titleLines.isEmpty()) {
            dot.append(", labelloc=t, fontsize=14, label=").append(quoteLines(titleLines));
        }
        dot.append("];\n");
        dot.append("  node [fontname=\"Helvetica\", fontsize=11, style=filled, fillcolor=\"#ffffff\", color=\"#444444\"];\n");
        dot.append("  edge [fontname=\"Helvetica\", fontsize=9, arrowsize=0.6];\n");
    }

    /** One DOT node per drawn node, filled with its members' most common role; returns the roles drawn, for the legend. */
    private static Set<String> appendNodes(StringBuilder dot, Set<DNode> drawn, Roles roles, boolean collapse) {
        Set<String> usedRoles = new LinkedHashSet<>();
        for (DNode d : drawn) {
            List<String> memberRoles = new ArrayList<>();
            for (String m : d.members) {
                if (roles.roleOf(m) != null) {
                    memberRoles.add(roles.roleOf(m));
                }
            }
            String role = mostCommon(memberRoles);
            NodeLook look = look(d, collapse);
            String fill = look.fill();
            if (role != null) {
                usedRoles.add(role);
                fill = roles.colour(role);
            }
            dot.append("  ").append(quote(d.id)).append(" [label=").append(quoteLines(look.label()))
                    .append(", shape=").append(look.shape()).append(", style=").append(look.style())
                    .append(", fillcolor=").append(quote(fill))
                    .append(", tooltip=").append(quote(nodeTooltip(d, memberRoles))).append("];\n");
        }
        return usedRoles;
    }

    /** Input and logits rounded grey boxes, MLPs boxes, heads ellipses; a collapsed layer's heads say how many they are. */
    private static NodeLook look(DNode d, boolean collapse) {
        return switch (d.kind) {
            case INPUT, LOGITS -> new NodeLook("box", "\"rounded,filled\"", "#e0e0e0", List.of(d.id));
            case MLP -> new NodeLook("box", "filled", "#f5f5f5", List.of(d.id));
            default -> new NodeLook("ellipse", "filled", "#ffffff", d.members.size() > 1 || collapse
                    ? List.of(d.id + ".*", d.members.size() + (d.members.size() == 1 ? " head" : " heads"))
                    : List.of(d.id));
        };
    }

    private static String nodeTooltip(DNode d, List<String> memberRoles) {
        StringBuilder tip = new StringBuilder(String.join(", ", d.members));
        if (!memberRoles.isEmpty()) {
            tip.append(" | role: ").append(String.join(", ", new LinkedHashSet<>(memberRoles)));
        }
        if (d.scored) {
            tip.append(" | node score (").append(ScoreMeaning.NODE).append(") ").append(fmt(d.score));
        }
        return tip.toString();
    }

    /** One rank per layer: input (with the legend beside it) at the bottom, logits at the top. */
    private static void appendRanks(StringBuilder dot, Set<DNode> drawn) {
        TreeMap<Integer, List<DNode>> byLayer = new TreeMap<>();
        for (DNode d : drawn) {
            byLayer.computeIfAbsent(d.kind == NodeKind.INPUT ? -1 : d.layer, k -> new ArrayList<>()).add(d);
        }
        for (Map.Entry<Integer, List<DNode>> layer : byLayer.entrySet()) {
            dot.append("  { rank=same;");
            for (DNode d : layer.getValue()) {
                dot.append(' ').append(quote(d.id)).append(';');
            }
            if (layer.getKey() == -1) {
                dot.append(" legend;");
            }
            dot.append(" }\n");
        }
    }

    /** One DOT edge per drawn edge, its width relative to {@code maxAbs}; returns the colours drawn, for the legend. */
    private static Set<String> appendEdges(StringBuilder dot, Collection<DEdge> edges, double maxAbs) {
        Set<String> colours = new LinkedHashSet<>();
        for (DEdge d : edges) {
            String colour = colour(d);
            colours.add(colour);
            double width = d.scored == 0 || maxAbs == 0 ? 1.0 : 0.6 + 5.4 * d.absSum / maxAbs;
            dot.append("  ").append(quote(d.from.id)).append(" -> ").append(quote(d.to.id))
                    .append(" [color=").append(quote(colour))
                    .append(", penwidth=").append(String.format(Locale.ROOT, "%.2f", width));
            String head = headLabel(d.positionsByPort);
            if (!head.isEmpty()) {
                dot.append(", headlabel=").append(quote(head))
                        .append(", fontcolor=").append(quote(colour)).append(", labeldistance=1.4");
            }
            dot.append(", tooltip=").append(quote(edgeTooltip(d))).append("];\n");
        }
        return colours;
    }

    private static String colour(DEdge d) {
        if (d.scored == 0) {
            return UNSCORED;
        }
        if (d.positive && d.negative) {
            return MIXED;
        }
        return d.negative ? NEGATIVE : POSITIVE;
    }

    private static String edgeTooltip(DEdge d) {
        if (d.names.size() == 1) {
            return d.names.get(0) + (d.scored == 0 ? " (unscored)" : ": score " + fmt(d.signedSum));
        }
        return d.from.id + " -> " + d.to.id + ": " + d.names.size() + " edges, sum |score| " + fmt(d.absSum)
                + ", sum score " + fmt(d.signedSum);
    }

    /**
     * A drawn edge's ports, each with its own positions as ranges ({@code q@6-8 k@0-4,7,8}; {@code @0-4,7} into a
     * non-attention node): merged, they claimed every port at every position, and one by one a long prompt made
     * labels of thousands of characters. Position-free: the ports alone ({@code q,k}).
     */
    static String headLabel(Map<Port, java.util.SortedSet<Integer>> positionsByPort) {
        List<String> parts = new ArrayList<>();
        boolean byPosition = false;
        for (Map.Entry<Port, java.util.SortedSet<Integer>> entry : positionsByPort.entrySet()) {
            String port = entry.getKey() == Port.IN ? "" : entry.getKey().name().toLowerCase(Locale.ROOT);
            if (!entry.getValue().isEmpty()) {
                byPosition = true;
                parts.add(port + "@" + ranges(entry.getValue()));
            } else if (!port.isEmpty()) {
                parts.add(port);
            }
        }
        return String.join(byPosition ? " " : ",", parts);
    }

    /** Ascending positions with runs of three or more as {@code a-b}: {@code 0-4,7,8}. */
    static String ranges(java.util.SortedSet<Integer> positions) {
        StringBuilder out = new StringBuilder();
        Integer start = null;
        int previous = 0;
        for (int p : positions) {
            if (start != null && p == previous + 1) {
                previous = p;
                continue;
            }
            if (start != null) {
                appendRun(out, start, previous);
            }
            start = p;
            previous = p;
        }
        if (start != null) {
            appendRun(out, start, previous);
        }
        return out.toString();
    }

    private static void appendRun(StringBuilder out, int first, int last) {
        if (out.length() > 0) {
            out.append(',');
        }
        if (last - first >= 2) {
            out.append(first).append('-').append(last);
        } else {
            out.append(first);
            if (last > first) {
                out.append(',').append(last);
            }
        }
    }

    /** Edges the uncollapsed diagram would draw: one per pair of nodes, whatever ports and positions it carries. */
    private static int edgesToDraw(Circuit circuit) {
        Set<String> pairs = new java.util.HashSet<>();
        for (Edge e : circuit.edges()) {
            pairs.add(e.source().name() + "\u0000" + e.destination().node().name());
        }
        return pairs.size();
    }

    private static String legendTable(Roles roles, Set<String> usedRoles, boolean mixed, boolean unscored, double maxAbs,
            boolean merged, boolean collapsed, String[] signs) {
        StringBuilder t = new StringBuilder();
        t.append("<TABLE BORDER=\"1\" COLOR=\"#888888\" CELLBORDER=\"0\" CELLSPACING=\"2\" CELLPADDING=\"2\">");
        t.append("<TR><TD COLSPAN=\"2\"><B>legend</B></TD></TR>");
        for (String role : usedRoles) {
            t.append("<TR><TD BGCOLOR=\"").append(roles.colour(role)).append("\" WIDTH=\"22\"> </TD><TD ALIGN=\"LEFT\">")
                    .append(html(role)).append("</TD></TR>");
        }
        row(t, POSITIVE, signs[0]);
        row(t, NEGATIVE, signs[1]);
        if (unscored) {
            row(t, UNSCORED, "unscored");
        }
        if (mixed) {
            row(t, MIXED, "merged, mixed sign");
        }
        // the width is drawn from the summed |score| of the edges a line stands for: the legend says so when it sums
        t.append("<TR><TD COLSPAN=\"2\" ALIGN=\"LEFT\">width: ").append(merged ? "|score|, summed if merged"
                : "|score|").append(maxAbs > 0 ? " (max " + html(fmt(maxAbs)) + ")" : "").append("</TD></TR>");
        t.append("<TR><TD COLSPAN=\"2\" ALIGN=\"LEFT\">q, k, v: head input entered</TD></TR>");
        if (collapsed) {
            t.append("<TR><TD COLSPAN=\"2\" ALIGN=\"LEFT\">aL.*: all heads of layer L</TD></TR>");
        }
        t.append("</TABLE>");
        return t.toString();
    }

    private static void row(StringBuilder t, String colour, String text) {
        t.append("<TR><TD BGCOLOR=\"").append(colour).append("\" HEIGHT=\"4\" WIDTH=\"22\"> </TD><TD ALIGN=\"LEFT\">")
                .append(text).append("</TD></TR>");
    }

    private static String mostCommon(List<String> values) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        values.forEach(v -> counts.merge(v, 1, Integer::sum));
        return counts.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(null);
    }

    /**
     * A DOT double-quoted string that Graphviz shows as written: backslashes escaped too, so that a name holding
     * {@code \"}, {@code \N}, {@code \G} or {@code \l} neither ends the string early nor is expanded; characters XML
     * cannot hold are replaced ({@link Text#clean}), as Graphviz copies them into the SVG.
     */
    static String quote(String s) {
        return "\"" + escape(s) + "\"";
    }

    /** Lines shown as one centred DOT label: each line escaped as in {@link #quote}, joined by DOT's {@code \n}. */
    static String quoteLines(List<String> lines) {
        return "\"" + String.join("\\n", lines.stream().map(CircuitDiagram::escape).toList()) + "\"";
    }

    private static String escape(String s) {
        return Text.clean(s).replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}

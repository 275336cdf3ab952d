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

    /** @param metric the metric the scores were computed with, which says what their sign means; null: unknown */
    public static Diagram of(Circuit circuit, Roles roles, Options options, String metric) {
        Set<Node> nodes = new LinkedHashSet<>(circuit.nodes());
        if (nodes.isEmpty()) {
            nodes.add(circuit.graph().node("input"));
            nodes.add(circuit.graph().node("logits"));
        }
        int circuitNodes = circuit.nodes().size();
        int edgesToDraw = edgesToDraw(circuit);
        boolean tooManyNodes = circuitNodes > options.collapseAbove();
        boolean tooManyEdges = edgesToDraw > options.collapseAboveEdges();
        boolean collapse = options.collapseLayers() || tooManyNodes || tooManyEdges;
        String note = null;
        if (collapse && !options.collapseLayers() && tooManyNodes) {
            note = "collapsed by layer: " + circuitNodes + " nodes is more than " + options.collapseAbove()
                    + "; the heads of each layer are one node (use --collapse-above to change)";
        } else if (collapse && !options.collapseLayers()) {
            note = "collapsed by layer: " + edgesToDraw + " edges to draw is more than " + options.collapseAboveEdges()
                    + "; the heads of each layer are one node";
        } else if (collapse) {
            note = "collapsed by layer: the heads of each layer are one node";
        } else if (circuit.edgeCount() == 0) {
            note = "the circuit is empty";
        }

        double[] nodeScores = circuit.scores().nodeScoresBySource();
        Map<String, DNode> drawn = new LinkedHashMap<>();
        Map<Node, DNode> nodeOf = new LinkedHashMap<>();
        for (Node n : nodes) {
            String id = collapse && n.kind() == NodeKind.HEAD ? "a" + n.layer() : n.name();
            DNode d = drawn.computeIfAbsent(id, k -> new DNode(k, n.kind(), n.layer()));
            d.members.add(n.name());
            nodeOf.put(n, d);
        }
        for (Node n : nodes) {
            if (n.isSource()) {
                boolean any = false;
                for (Edge e : circuit.graph().edgesOutOf(n)) {
                    if (!Double.isNaN(circuit.scores().get(e.index()))) {
                        any = true;
                        break;
                    }
                }
                DNode d = nodeOf.get(n);
                d.score += nodeScores[n.sourceIndex()];
                d.scored |= any;
            }
        }
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
        double maxAbs = 0;
        boolean merged = false; // a drawn line stands for several scored edges: its width is their summed |score|
        for (DEdge d : edges.values()) {
            maxAbs = Math.max(maxAbs, d.absSum);
            merged |= d.scored > 1;
        }

        StringBuilder dot = new StringBuilder();
        dot.append("digraph circuit {\n");
        dot.append("  graph [rankdir=BT, fontname=\"Helvetica\", nodesep=0.3, ranksep=0.55, newrank=true");
        List<String> titleLines = new ArrayList<>();
        if (options.title() != null && !options.title().isEmpty()) {
            titleLines.add(options.title());
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

        Set<String> usedRoles = new LinkedHashSet<>();
        for (DNode d : drawn.values()) {
            List<String> memberRoles = new ArrayList<>();
            for (String m : d.members) {
                if (roles.roleOf(m) != null) {
                    memberRoles.add(roles.roleOf(m));
                }
            }
            String role = mostCommon(memberRoles);
            if (role != null) {
                usedRoles.add(role);
            }
            String shape;
            String fill;
            String style = "filled";
            List<String> nodeLabel = List.of(d.id);
            switch (d.kind) {
                case INPUT, LOGITS -> {
                    shape = "box";
                    style = "\"rounded,filled\"";
                    fill = "#e0e0e0";
                }
                case MLP -> {
                    shape = "box";
                    fill = "#f5f5f5";
                }
                default -> {
                    shape = "ellipse";
                    fill = "#ffffff";
                    if (d.members.size() > 1 || collapse) {
                        nodeLabel = List.of(d.id + ".*", d.members.size() + (d.members.size() == 1 ? " head" : " heads"));
                    }
                }
            }
            if (role != null) {
                fill = roles.colour(role);
            }
            StringBuilder tip = new StringBuilder(String.join(", ", d.members));
            if (!memberRoles.isEmpty()) {
                tip.append(" | role: ").append(String.join(", ", new LinkedHashSet<>(memberRoles)));
            }
            if (d.scored) {
                tip.append(" | node score (").append(ScoreMeaning.NODE).append(") ").append(fmt(d.score));
            }
            dot.append("  ").append(quote(d.id)).append(" [label=").append(quoteLines(nodeLabel))
                    .append(", shape=").append(shape).append(", style=").append(style)
                    .append(", fillcolor=").append(quote(fill))
                    .append(", tooltip=").append(quote(tip.toString())).append("];\n");
        }

        // one rank per layer: input at the bottom, logits at the top
        TreeMap<Integer, List<DNode>> byLayer = new TreeMap<>();
        for (DNode d : drawn.values()) {
            byLayer.computeIfAbsent(d.kind == NodeKind.INPUT ? -1 : d.layer, k -> new ArrayList<>()).add(d);
        }
        boolean legend = true;
        for (Map.Entry<Integer, List<DNode>> layer : byLayer.entrySet()) {
            dot.append("  { rank=same;");
            for (DNode d : layer.getValue()) {
                dot.append(' ').append(quote(d.id)).append(';');
            }
            if (layer.getKey() == -1 && legend) {
                dot.append(" legend;");
                legend = false;
            }
            dot.append(" }\n");
        }

        boolean mixed = false;
        boolean anyUnscored = false;
        for (DEdge d : edges.values()) {
            String colour;
            if (d.scored == 0) {
                colour = UNSCORED;
                anyUnscored = true;
            } else if (d.positive && d.negative) {
                colour = MIXED;
                mixed = true;
            } else {
                colour = d.negative ? NEGATIVE : POSITIVE;
            }
            double width = d.scored == 0 || maxAbs == 0 ? 1.0 : 0.6 + 5.4 * d.absSum / maxAbs;
            String tip = d.names.size() == 1
                    ? d.names.get(0) + (d.scored == 0 ? " (unscored)" : ": score " + fmt(d.signedSum))
                    : d.from.id + " -> " + d.to.id + ": " + d.names.size() + " edges, sum |score| " + fmt(d.absSum)
                            + ", sum score " + fmt(d.signedSum);
            dot.append("  ").append(quote(d.from.id)).append(" -> ").append(quote(d.to.id))
                    .append(" [color=").append(quote(colour))
                    .append(", penwidth=").append(String.format(Locale.ROOT, "%.2f", width));
            String head = headLabel(d.positionsByPort);
            if (!head.isEmpty()) {
                dot.append(", headlabel=").append(quote(head))
                        .append(", fontcolor=").append(quote(colour)).append(", labeldistance=1.4");
            }
            dot.append(", tooltip=").append(quote(tip)).append("];\n");
        }
        dot.append("  legend [shape=plaintext, style=\"\", label=<")
                .append(legendTable(roles, usedRoles, mixed, anyUnscored, maxAbs, merged, collapse, signMeanings(metric)))
                .append(">];\n");
        dot.append("}\n");
        return new Diagram(dot.toString(), drawn.size(), edges.size(), circuitNodes, collapse, note);
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
     * {@code \"}, {@code \N}, {@code \G} or {@code \l} neither ends the string early nor is expanded.
     */
    static String quote(String s) {
        return "\"" + escape(s) + "\"";
    }

    /** Lines shown as one centred DOT label: each line escaped as in {@link #quote}, joined by DOT's {@code \n}. */
    static String quoteLines(List<String> lines) {
        return "\"" + String.join("\\n", lines.stream().map(CircuitDiagram::escape).toList()) + "\"";
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}

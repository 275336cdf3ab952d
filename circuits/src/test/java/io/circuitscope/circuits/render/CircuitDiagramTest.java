package io.circuitscope.circuits.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.circuits.io.CircuitDocument;
import io.circuitscope.core.graph.Circuit;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.model.ModelConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class CircuitDiagramTest {
    static final Pattern NODE = Pattern.compile("(?m)^  \"([^\"]+)\" \\[label=");
    static final Pattern RANK = Pattern.compile("\\{ rank=same;([^}]*)\\}");

    static List<String> nodes(String dot) {
        List<String> out = new ArrayList<>();
        Matcher m = NODE.matcher(dot);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    @Test
    void dotHasOneNodePerCircuitNodeAndOneRankPerLayer() {
        CircuitDocument doc = RenderFixtures.document();
        assertEquals(20, doc.circuit().nodes().size());
        CircuitDiagram.Diagram d = CircuitDiagram.of(doc, CircuitDiagram.Options.defaults());
        assertEquals(RenderFixtures.nodeNames(), nodes(d.dot()));
        assertEquals(20, d.nodeCount());
        assertFalse(d.collapsed());
        List<String> ranks = new ArrayList<>();
        Matcher m = RANK.matcher(d.dot());
        while (m.find()) {
            ranks.add(m.group(1).trim());
        }
        // input (with the legend beside it), layers 0..3, logits
        assertEquals(6, ranks.size(), d.dot());
        assertEquals("\"input\"; legend;", ranks.get(0));
        assertEquals("\"a0.h0\"; \"a0.h1\"; \"a0.h2\"; \"a0.h3\"; \"m0\";", ranks.get(1));
        assertEquals("\"a2.h0\"; \"a2.h1\"; \"a2.h2\"; \"m2\";", ranks.get(3));
        assertEquals("\"logits\";", ranks.get(5));
        assertTrue(d.dot().contains("rankdir=BT"));
    }

    @Test
    void edgesCarryPortSignAndWidthAndNodesTheirRoleColour() {
        CircuitDocument doc = RenderFixtures.document();
        Circuit c = doc.circuit();
        String dot = CircuitDiagram.of(doc, CircuitDiagram.Options.defaults()).dot();
        int edgeLines = (int) dot.lines().filter(l -> l.contains("\" -> \"")).count();
        assertEquals(c.edgeCount(), edgeLines);
        assertTrue(dot.contains("headlabel=\"q\"") && dot.contains("headlabel=\"k\"") && dot.contains("headlabel=\"v\""));
        assertTrue(dot.contains("color=\"" + CircuitDiagram.POSITIVE + "\""));
        assertTrue(dot.contains("color=\"" + CircuitDiagram.NEGATIVE + "\""));
        assertTrue(dot.contains("penwidth=6.00"), "the largest |score| gets the widest edge");
        String moverLine = dot.lines().filter(l -> l.startsWith("  \"a3.h0\" [")).findFirst().orElseThrow();
        assertTrue(moverLine.contains("fillcolor=\"" + Roles.of(doc).colour("name mover") + "\""), moverLine);
        assertTrue(dot.contains(">name mover</TD>") && dot.contains(">S-inhibition</TD>"), "legend lists the roles");
    }

    @Test
    void unscoredEdgesAreGrey() {
        Circuit c = Circuit.ofEdgeNames(RenderFixtures.GRAPH, List.of("input->a0.h0<v>", "a0.h0->logits"));
        String dot = CircuitDiagram.of(c, Roles.none(), CircuitDiagram.Options.defaults()).dot();
        assertEquals(2, dot.lines().filter(l -> l.contains("color=\"" + CircuitDiagram.UNSCORED + "\"")).count());
        assertTrue(dot.contains(">unscored</TD>"));
    }

    /**
     * Edges into a node that reaches no logits through the circuit cannot change the output, but a hand-made file that
     * holds them was drawn with no word: a head dangling under the logits looked like part of the mechanism. The
     * diagram's note (under its title, on render's stderr and in the report) now counts them; a circuit without
     * any has no note.
     */
    @Test
    void edgesIntoNodesThatReachNoLogitsAreCountedInTheNote() {
        io.circuitscope.core.graph.ComputationGraph g = RenderFixtures.GRAPH;
        io.circuitscope.core.graph.Circuit connected = io.circuitscope.core.graph.Circuit.ofEdgeNames(g,
                List.of("input->a1.h0<v>", "a1.h0->logits"));
        assertEquals(null, CircuitDiagram.of(connected, Roles.none(), CircuitDiagram.Options.defaults()).note());
        io.circuitscope.core.graph.Circuit dangling = io.circuitscope.core.graph.Circuit.ofEdgeNames(g,
                List.of("input->a1.h0<v>", "a1.h0->logits", "input->a0.h0<q>", "input->a0.h0<k>"));
        CircuitDiagram.Diagram d = CircuitDiagram.of(dangling, Roles.none(), CircuitDiagram.Options.defaults());
        assertEquals("2 of the circuit's 4 edges lead into nodes that reach no logits through it, so they cannot change "
                + "the output", d.note());
        assertTrue(d.dot().contains(d.note()), "under the title");
        CircuitDiagram.Diagram collapsed = CircuitDiagram.of(dangling, Roles.none(),
                CircuitDiagram.Options.defaults().withCollapseLayers(true));
        assertEquals("collapsed by layer: the heads of each layer are one node; " + d.note(), collapsed.note());
        io.circuitscope.core.graph.Circuit one = io.circuitscope.core.graph.Circuit.ofEdgeNames(g, List.of("input->a0.h0<q>"));
        assertEquals("1 of the circuit's 1 edges leads into a node that reaches no logits through it, so it cannot change "
                + "the output", CircuitDiagram.of(one, Roles.none(), CircuitDiagram.Options.defaults()).note());
    }

    @Test
    void collapsingByLayerMergesHeadsAndSumsAbsoluteScores() {
        CircuitDocument doc = RenderFixtures.document();
        CircuitDiagram.Diagram d = CircuitDiagram.of(doc, CircuitDiagram.Options.defaults().withCollapseLayers(true));
        List<String> nodes = nodes(d.dot());
        assertEquals(List.of("input", "a0", "m0", "a1", "m1", "a2", "m2", "a3", "m3", "logits"), nodes);
        assertTrue(d.nodeCount() < 20);
        assertTrue(d.collapsed());
        assertNotNull(d.note());
        // every merged edge pair appears once, and the tooltip of a merged edge states the sum of |score|
        long distinctPairs = doc.circuit().edges().stream().map(e -> key(e.source().name()) + ">" + key(e.destination().node().name()))
                .distinct().count();
        assertEquals(distinctPairs, d.dot().lines().filter(l -> l.contains("\" -> \"")).count());
        double sum = doc.circuit().edges().stream().filter(e -> e.source().layer() == 0 && e.source().head() >= 0
                && e.destination().node().layer() == 1 && e.destination().node().head() >= 0)
                .mapToDouble(e -> Math.abs(doc.circuit().scores().get(e.index()))).sum();
        assertTrue(d.dot().contains("sum |score| " + Text.fmt(sum)), "a0 -> a1 merged with sum " + sum);
    }

    private static String key(String node) {
        return node.startsWith("a") ? node.substring(0, node.indexOf('.')) : node;
    }

    @Test
    void bigCircuitsCollapseAutomaticallyWithANote() {
        CircuitDocument doc = RenderFixtures.document();
        CircuitDiagram.Diagram d = CircuitDiagram.of(doc, new CircuitDiagram.Options(false, 12, null));
        assertTrue(d.collapsed());
        assertTrue(d.note().contains("20 nodes is more than 12"), d.note());
        assertTrue(d.dot().contains(d.note()), "the note is in the diagram's title");
        assertFalse(CircuitDiagram.of(doc, new CircuitDiagram.Options(false, 20, null)).collapsed());
    }

    /**
     * A dense circuit of few nodes was drawn whole: 80 nodes of GPT-2 small with 2,764 edges to draw overflowed the
     * bundled Graphviz engine's 16 MB. Edges between the same two nodes (q, k, v) count once.
     */
    @Test
    void circuitsWithMoreEdgesToDrawThanTheLimitCollapseWithANote() {
        ComputationGraph g = ComputationGraph.of(ModelConfig.builder("gpt2").setSizes(48, 6, 8, 32, 50, 16).build());
        Circuit full = Circuit.full(g);
        long pairs = full.edges().stream().map(e -> e.source().name() + ">" + e.destination().node().name()).distinct()
                .count();
        assertTrue(full.nodes().size() <= CircuitDiagram.Options.DEFAULT_COLLAPSE_ABOVE, "few nodes: " + full.nodes().size());
        assertTrue(pairs > CircuitDiagram.Options.DEFAULT_COLLAPSE_ABOVE_EDGES && pairs < full.edgeCount(), pairs + " pairs");
        CircuitDiagram.Diagram d = CircuitDiagram.of(full, Roles.none(), CircuitDiagram.Options.defaults());
        assertTrue(d.collapsed());
        assertEquals("collapsed by layer: " + pairs + " edges to draw is more than "
                + CircuitDiagram.Options.DEFAULT_COLLAPSE_ABOVE_EDGES + "; the heads of each layer are one node", d.note());
        assertEquals(6 * 2 + 2, d.nodeCount());
        CircuitDiagram.Diagram whole = CircuitDiagram.of(full, Roles.none(),
                new CircuitDiagram.Options(false, CircuitDiagram.Options.DEFAULT_COLLAPSE_ABOVE, (int) pairs, null));
        assertFalse(whole.collapsed());
        assertEquals(pairs, whole.edgeCount());
    }

    /**
     * The title shows task and model names as written: a backslash in them was passed to Graphviz unescaped, so
     * {@code ioi\"x.jsonl} ended the label early (a syntax error) and {@code \G}, {@code \N}, {@code \l} were expanded.
     */
    @Test
    void titlesShowBackslashesAndQuotesAsWritten() {
        CircuitDocument fixture = RenderFixtures.document();
        java.util.Map<String, Object> task = new java.util.LinkedHashMap<>(fixture.task());
        task.put("name", "ioi\\\"x.jsonl");
        java.util.Map<String, Object> model = new java.util.LinkedHashMap<>(fixture.model());
        model.put("name", "C:\\models\\Gpt2 \\G \\N \\l");
        CircuitDocument doc = new CircuitDocument(fixture.circuit(), model, task, fixture.method(), fixture.summary(),
                fixture.extra());
        String title = "circuit: ioi\\\"x.jsonl on C:\\models\\Gpt2 \\G \\N \\l (" + doc.method().get("key") + ")";
        assertEquals(title, CircuitDiagram.title(doc));
        CircuitDiagram.Diagram d = CircuitDiagram.of(doc, new CircuitDiagram.Options(false, 12, null));
        String escaped = "circuit: ioi\\\\\\\"x.jsonl on C:\\\\models\\\\Gpt2 \\\\G \\\\N \\\\l (" + doc.method().get("key") + ")";
        assertTrue(d.dot().contains("label=\"" + escaped + "\\n" + d.note() + "\""),
                d.dot().lines().skip(1).findFirst().orElseThrow());
        String svg = GraphvizRenderer.svg(d.dot());
        assertTrue(svg.contains(">circuit: ioi\\&quot;x.jsonl on C:\\models\\Gpt2 \\G \\N \\l ("), svg);
        assertTrue(svg.contains(">collapsed by layer: 20 nodes is more than 12;"), "the note on a line of its own");
    }

    /**
     * A task, model or role name holding characters XML cannot hold (a NUL, U+FFFF, a lone surrogate, as a hand-edited
     * circuit.json can) made circuit.svg XML that no parser reads, and report.html failed to be written ("Input length
     * = 1"). They are drawn as U+FFFD now: the SVG parses, alone and in the report, which is written.
     */
    @Test
    void namesWithCharactersXmlCannotHoldMakeWellFormedSvgAndAReport() throws Exception {
        CircuitDocument fixture = RenderFixtures.document();
        java.util.Map<String, Object> task = new java.util.LinkedHashMap<>(fixture.task());
        task.put("name", "t\u0000a\uFFFFs\uD800k <&>");
        java.util.Map<String, Object> model = new java.util.LinkedHashMap<>(fixture.model());
        model.put("name", "m\u0001");
        com.fasterxml.jackson.databind.node.ObjectNode roles = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance
                .objectNode().put("a0.h0", "r\u0002\uFFFE");
        CircuitDocument doc = new CircuitDocument(fixture.circuit(), model, task, fixture.method(), fixture.summary(),
                fixture.extra()).withExtra("roles", roles);
        CircuitDiagram.Diagram d = CircuitDiagram.of(doc, CircuitDiagram.Options.defaults());
        String svg = GraphvizRenderer.svg(d.dot());
        javax.xml.parsers.DocumentBuilderFactory factory = javax.xml.parsers.DocumentBuilderFactory.newInstance();
        factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        org.w3c.dom.Document parsed = factory.newDocumentBuilder().parse(new org.xml.sax.InputSource(new java.io.StringReader(svg)));
        assertTrue(parsed.getDocumentElement().getTextContent().contains("circuit: t\uFFFDa\uFFFDs\uFFFDk <&> on m\uFFFD"),
                parsed.getDocumentElement().getTextContent());
        assertTrue(parsed.getDocumentElement().getTextContent().contains("r\uFFFD\uFFFD"), "the role in the legend");
        String html = HtmlReport.render(doc, HtmlReport.Options.defaults());
        assertTrue(java.nio.charset.StandardCharsets.UTF_8.newEncoder().canEncode(html), "report.html has a UTF-8 form");
        assertTrue(html.contains("<h1>circuit: t\uFFFDa\uFFFDs\uFFFDk &lt;&amp;&gt; on m\uFFFD"), html.substring(0, 2000));
        String inline = html.substring(html.indexOf("<svg class=\"circuit\""), html.indexOf("</svg>") + 6);
        factory.newDocumentBuilder().parse(new org.xml.sax.InputSource(new java.io.StringReader(inline)));
    }
}

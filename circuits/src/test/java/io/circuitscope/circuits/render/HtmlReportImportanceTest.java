package io.circuitscope.circuits.render;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.circuits.io.CircuitDocument;
import io.circuitscope.core.graph.Circuit;
import io.circuitscope.core.graph.EdgeScores;
import org.junit.jupiter.api.Test;

/** A scorer that ranks by its own importance (AtP*) gets its edge table ranked, labelled and shown by it. */
class HtmlReportImportanceTest {
    @Test
    void edgeTableFollowsTheScorersImportance() {
        CircuitDocument plain = RenderFixtures.document();
        Circuit c = plain.circuit();
        double[] scores = c.scores().values();
        double[] importance = new double[scores.length];
        int smallest = -1;
        for (int i = 0; i < scores.length; i++) {
            importance[i] = Math.abs(scores[i]);
            if (c.contains(i) && (smallest < 0 || Math.abs(scores[i]) < Math.abs(scores[smallest]))) {
                smallest = i;
            }
        }
        importance[smallest] = 10; // the circuit edge with the smallest |score| is the most important
        java.util.Map<String, Object> atpStar = new java.util.LinkedHashMap<>(plain.method());
        atpStar.put("key", "atp-star");
        CircuitDocument ranked = new CircuitDocument(c.withScores(EdgeScores.ranked(c.graph(), scores, importance)),
                plain.model(), plain.task(), atpStar, plain.summary(), plain.extra());
        String html = HtmlReport.render(ranked, HtmlReport.Options.defaults());
        assertTrue(html.contains("Top edges by importance"), "heading");
        assertTrue(html.contains("GradDrop"), "explains what the importance is");
        // the same ranking from the pipeline (eap-ig, then ACDC) is explained as ACDC's damage, not GradDrop
        String pipelineHtml = HtmlReport.render(new CircuitDocument(ranked.circuit(), plain.model(), plain.task(),
                plain.method(), plain.summary(), plain.extra()), HtmlReport.Options.defaults());
        assertTrue(pipelineHtml.contains("the damage their removal did") && !pipelineHtml.contains("GradDrop"),
                "pipeline: " + plain.method());
        String name = c.graph().edges().get(smallest).name().replace("<", "&lt;").replace(">", "&gt;");
        int table = html.indexOf("Top edges by importance");
        int firstRow = html.indexOf("<tr><td>1</td>", table);
        assertTrue(firstRow > 0 && html.indexOf(name, firstRow) == html.indexOf("<td class=\"mono\">", firstRow)
                + "<td class=\"mono\">".length(), "the most important edge is first: " + name);
        assertTrue(html.contains(">10.0000<"), "its importance is shown");

        String plainHtml = HtmlReport.render(plain, HtmlReport.Options.defaults());
        assertTrue(plainHtml.contains("Top edges by |score|") && !plainHtml.contains("GradDrop"));
    }

    /** Nodes likewise: ranked by the scorer's node importance when it has one (AtP*'s GradDrop), else by |score|. */
    @Test
    void nodeTableFollowsTheScorersNodeImportance() {
        CircuitDocument plain = RenderFixtures.document();
        Circuit c = plain.circuit();
        String plainHtml = HtmlReport.render(plain, HtmlReport.Options.defaults());
        assertTrue(plainHtml.contains("Top nodes by |score|"), "heading");

        double[] nodeImportance = c.scores().nodeImportances();
        io.circuitscope.core.graph.Node last = c.graph().sources().get(c.graph().sources().size() - 1);
        nodeImportance[last.sourceIndex()] = 99; // the last node becomes the most important
        CircuitDocument ranked = new CircuitDocument(c.withScores(EdgeScores.ranked(c.graph(), c.scores().values(), null,
                nodeImportance)), plain.model(), plain.task(), plain.method(), plain.summary(), plain.extra());
        String html = HtmlReport.render(ranked, HtmlReport.Options.defaults());
        int table = html.indexOf("Top nodes by importance");
        assertTrue(table > 0, "heading");
        int firstRow = html.indexOf("<tr><td>1</td>", table);
        assertTrue(html.startsWith("<td class=\"mono\">" + last.name() + "</td>", firstRow + "<tr><td>1</td>".length()),
                "the most important node is first: " + last.name());
        assertTrue(html.indexOf(">99.0000<", table) > 0, "its importance is shown");
        assertTrue(html.indexOf(">input<", table) < 0, "the input is no component");
    }
}

package io.circuitscope.circuits.render;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.circuits.io.CircuitDocument;
import io.circuitscope.core.graph.Circuit;
import io.circuitscope.core.graph.EdgeScores;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The legend said "blue: positive effect, red: negative effect", but which sign supports the behaviour depends on the
 * metric (KL: positive, logit-diff: negative), and "width: |score| (max 18.9)" was the sum over merged edges, larger than
 * any edge's |score|. The legend now says what each sign means under the run's metric, and that a width sums.
 */
class DiagramLegendTest {
    private static CircuitDocument withMetric(CircuitDocument d, String metric) {
        Map<String, Object> summary = new LinkedHashMap<>(d.summary());
        summary.put("metric", metric);
        return new CircuitDocument(d.circuit(), d.model(), d.task(), d.method(), summary, d.extra());
    }

    @Test
    void theSignsAreExplainedUnderTheRunsMetric() {
        String logitDiff = CircuitDiagram.of(withMetric(RenderFixtures.document(), "logit-diff"),
                CircuitDiagram.Options.defaults()).dot();
        assertTrue(logitDiff.contains("score &gt; 0: patching raises logit-diff<BR ALIGN=\"LEFT\"/>the edge works against it"), logitDiff);
        assertTrue(logitDiff.contains("score &lt; 0: patching lowers logit-diff<BR ALIGN=\"LEFT\"/>the edge supports the behaviour"));
        assertFalse(logitDiff.contains("positive effect"));
        String kl = CircuitDiagram.of(withMetric(RenderFixtures.document(), "kl"), CircuitDiagram.Options.defaults()).dot();
        assertTrue(kl.contains("score &gt; 0: patching raises kl<BR ALIGN=\"LEFT\"/>the edge supports the behaviour"), kl);
        assertTrue(kl.contains("score &lt; 0: patching lowers kl<BR ALIGN=\"LEFT\"/>the edge works against it"));
        String html = HtmlReport.render(withMetric(RenderFixtures.document(), "kl"), HtmlReport.Options.defaults());
        assertTrue(html.contains("under kl a positive score supports the behaviour"), "the report's note too");
    }

    @Test
    void aWidthThatSumsMergedEdgesSaysSo() {
        CircuitDocument doc = RenderFixtures.document();
        String collapsed = CircuitDiagram.of(doc, CircuitDiagram.Options.defaults().withCollapseLayers(true)).dot();
        assertTrue(collapsed.contains("width: |score|, summed if merged (max "), collapsed);
        // one edge per line: the plain |score|
        Circuit c = doc.circuit();
        double[] scores = new double[c.graph().nEdges()];
        scores[c.graph().edge("input->logits").index()] = -2.5;
        Circuit one = Circuit.ofEdgeNames(c.graph(), List.of("input->logits")).withScores(new EdgeScores(c.graph(), scores));
        String single = CircuitDiagram.of(new CircuitDocument(one, doc.model(), doc.task(), doc.method(), doc.summary(),
                Map.of()), CircuitDiagram.Options.defaults()).dot();
        assertTrue(single.contains("width: |score| (max 2.5000)"), single);
    }
}

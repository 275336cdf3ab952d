package io.circuitscope.circuits.render;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.circuits.io.CircuitDocument;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The report and the diagram said every score is "m(edge patched) - m(clean)" and every node score "the first-order
 * estimate of patching the node", but ACDC and the pipeline store m(after) - m(before) of removing the edge from the
 * shrinking circuit, and a node's score is just the sum of its out-edges' scores. Each now says what its method stored.
 */
class ScoreMeaningTest {
    private static String report(String key, String scorer) {
        CircuitDocument plain = RenderFixtures.document();
        Map<String, Object> method = new LinkedHashMap<>(plain.method());
        method.put("key", key);
        if (scorer == null) {
            method.remove("scorer");
        } else {
            method.put("scorer", scorer);
        }
        return HtmlReport.render(new CircuitDocument(plain.circuit(), plain.model(), plain.task(), method, plain.summary(),
                plain.extra()), HtmlReport.Options.defaults());
    }

    @Test
    void eachMethodsScoresAreDescribedAsWhatItStored() {
        String pipeline = report("pipeline", "eap-ig");
        assertTrue(pipeline.contains("for the candidates ACDC verified, a score is ACDC&#39;s exact effect of removing the "
                + "edge from the circuit as it stood when the edge was tried, m(after) - m(before)")
                || pipeline.contains("for the candidates ACDC verified, a score is ACDC's exact effect of removing the "
                        + "edge from the circuit as it stood when the edge was tried, m(after) - m(before)"), "pipeline");
        assertTrue(pipeline.contains("for the other edges it is eap-ig"), "pipeline's other edges");
        assertFalse(pipeline.contains("a score estimates m(edge patched) - m(clean)"), "the old claim");
        assertFalse(pipeline.contains("the first-order estimate of patching the node"), "ACDC's node sums estimate no patch");
        assertTrue(pipeline.contains("A node&#39;s score is the sum of its out-edges&#39; scores")
                || pipeline.contains("A node's score is the sum of its out-edges' scores"), "node score");

        String acdc = report("acdc", null);
        assertTrue(acdc.contains("m(after) - m(before)") && !acdc.contains("estimate of m(edge patched)"), "acdc");
        String exact = report("exact", null);
        assertTrue(exact.contains("a score is the exact m(edge patched) - m(clean)"), "exact");
        String eap = report("eap", null);
        assertTrue(eap.contains("a score is eap&#39;s estimate of m(edge patched) - m(clean)")
                || eap.contains("a score is eap's estimate of m(edge patched) - m(clean)"), "a scorer");
        assertTrue(eap.contains("which for EAP&#39;s linear estimates is the first-order estimate of patching the node")
                || eap.contains("which for EAP's linear estimates is the first-order estimate of patching the node"), "EAP");
    }

    @Test
    void theDiagramsNodeTooltipSaysTheScoreIsTheOutEdgeSum() {
        String dot = CircuitDiagram.of(RenderFixtures.document(), CircuitDiagram.Options.defaults()).dot();
        assertTrue(dot.contains("node score (the sum of its out-edges' scores) "), "tooltip");
    }
}

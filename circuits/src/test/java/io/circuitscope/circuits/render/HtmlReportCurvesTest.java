package io.circuitscope.circuits.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.circuitscope.circuits.io.CircuitDocument;
import io.circuitscope.core.graph.Circuit;
import io.circuitscope.core.graph.EdgeScores;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The report plotted one "faithfulness by circuit size" curve, ranked by |score| (CMD's), beside a CPR that is the
 * area under another curve, ranked by signed score: CPR 1.2583 with every plotted point at most 1. Both are drawn
 * now, each named by its ranking, with a note saying which area each of CPR and CMD is.
 */
class HtmlReportCurvesTest {
    private static CircuitDocument withCurves(boolean signed) {
        CircuitDocument doc = RenderFixtures.document();
        ObjectNode cmp = ((ObjectNode) doc.extra().get("comparison")).deepCopy();
        cmp.put("cpr", 1.2583).put("cmd", 0.0412);
        double[] fractions = {.001, .01, .1, 1};
        ArrayNode abs = cmp.putArray("faithfulness_by_size");
        for (double f : fractions) {
            abs.addObject().put("fraction", f).put("faithfulness", Math.min(1, 0.5 + f));
        }
        if (signed) {
            ArrayNode s = cmp.putArray("faithfulness_by_size_signed");
            for (double f : fractions) {
                s.addObject().put("fraction", f).put("faithfulness", 1.3 - 0.3 * f);
            }
        }
        return doc.withExtra("comparison", cmp);
    }

    @Test
    void drawsBothCurvesAndSaysWhichAreaEachMetricIs() {
        String html = HtmlReport.render(withCurves(true), HtmlReport.Options.defaults());
        assertTrue(html.contains("faithfulness, edges ranked by signed score"), "CPR's curve is drawn");
        assertTrue(html.contains("faithfulness, edges ranked by |score|"), "CMD's curve is drawn");
        assertTrue(html.contains("CPR (1.2583) is the area under the curve with edges ranked by signed score"), "CPR's area");
        assertTrue(html.contains("CMD (0.0412) is the area between 1 and the curve with edges ranked by |score|"), "CMD's area");
        assertEquals(3, html.split("<polyline", -1).length - 1, "ROC and the two curves");
        assertTrue(!html.contains("<h3>faithfulness_by_size"), "the plotted curves are not repeated as tables");
    }

    /** A file written before the signed curve was recorded still draws its |score| curve, labelled as such. */
    @Test
    void anOlderFileDrawsItsOneCurveAndSaysCprsIsMissing() {
        String html = HtmlReport.render(withCurves(false), HtmlReport.Options.defaults());
        assertTrue(html.contains("faithfulness, edges ranked by |score|"));
        assertTrue(!html.contains("faithfulness, edges ranked by signed score"));
        assertTrue(html.contains("by signed score (higher better); this file does not hold that curve"), "says so");
    }

    /**
     * CMD's curve ranks the edges by EdgeScores.ranking(), which is |score| only for scores without an importance of
     * their own: ACDC's rank by the damage their removal did, the pipeline's verified edges likewise, AtP*'s by
     * GradDrop. The report said "ranked by |score|" for all of them; it now names the importance and what it is.
     */
    @Test
    void cmdsCurveIsNamedByTheRankingItUses() {
        String acdc = "edges ACDC tried rank by the damage their removal did when tried (ACDC's criterion, 0 when it "
                + "helped), so the edges it kept come first";
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("acdc", acdc);
        expected.put("pipeline", acdc + "; the others by |score|");
        expected.put("atp-star", "the larger of |score| and GradDrop's cancellation-proof magnitude");
        for (Map.Entry<String, String> method : expected.entrySet()) {
            String html = HtmlReport.render(withImportance(withCurves(true), method.getKey()), HtmlReport.Options.defaults());
            assertTrue(html.contains("faithfulness, edges ranked by importance"), method.getKey() + ": the curve's title");
            assertFalse(html.contains("ranked by |score|</"), method.getKey() + ": no |score| title");
            assertTrue(html.contains(Text.html("CMD (0.0412) is the area between 1 and the curve with edges ranked by "
                    + "importance (lower better; importance: " + method.getValue() + ")")), method.getKey() + ": " + html.substring(html.indexOf("CMD (")));
        }
    }

    /**
     * A curve point without a finite x and y (a hand-edited null or string, a Python-written NaN or Infinity) was drawn
     * at 0 in the {fpr: [..], tpr: [..]} form, and as "NaN" coordinates in the others, which broke the whole chart
     * (an infinite y made every point NaN). Such points are left out now, and the chart's title says how many.
     */
    @Test
    void pointsWithoutAFiniteValueAreLeftOutAndCounted() throws Exception {
        CircuitDocument doc = withCurves(true);
        ObjectNode cmp = ((ObjectNode) doc.extra().get("comparison")).deepCopy();
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper()
                .enable(com.fasterxml.jackson.core.json.JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS.mappedFeature());
        cmp.set("roc", json.readTree("{\"fpr\": [0, null, 0.5, \"x\", 1], \"tpr\": [0, 0.5, 0.75, 0.9, 1]}"));
        ((ObjectNode) cmp.get("faithfulness_by_size").get(1)).put("faithfulness", Double.POSITIVE_INFINITY);
        cmp.set("faithfulness_by_size_signed", json.readTree("[[0.001, 1.3], [0.01, NaN], [0.1, 1.2], [1, 1]]"));
        String html = HtmlReport.render(doc.withExtra("comparison", cmp), HtmlReport.Options.defaults());
        assertFalse(html.contains("NaN") || html.contains("Infinity"), "no coordinate of a point without a value");
        assertTrue(html.contains("ROC, AUC 0.8700 (2 points without a finite value left out)"), "the ROC's title counts them");
        assertTrue(html.contains("faithfulness, edges ranked by |score| (1 point without a finite value left out)"));
        assertTrue(html.contains("faithfulness, edges ranked by signed score (1 point without a finite value left out)"));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("<polyline[^>]*points=\"([^\"]*)\"").matcher(html);
        java.util.List<Integer> counts = new java.util.ArrayList<>();
        while (m.find()) {
            counts.add(m.group(1).split(" ").length);
        }
        assertEquals(java.util.List.of(3, 3, 3), counts, "ROC: (0, 0), (0.5, 0.75), (1, 1); each curve its 3 finite points");
        assertTrue(html.contains("<polyline fill=\"none\" stroke=\"#2166ac\" stroke-width=\"2\" points=\"46.0,214.0 161.0,71.5 "
                + "276.0,24.0\"/>"), "the ROC's points where they are, none drawn at 0: "
                + html.substring(html.indexOf("<polyline")));
    }

    /** The document with its circuit's scores carrying an importance of their own, as {@code method} writes them. */
    private static CircuitDocument withImportance(CircuitDocument doc, String method) {
        double[] values = doc.circuit().scores().values();
        double[] importance = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            importance[i] = Math.max(0, values[i]); // KL damage: 0 where the removal helped
        }
        Circuit c = doc.circuit().withScores(EdgeScores.ranked(doc.circuit().graph(), values, importance));
        Map<String, Object> m = new LinkedHashMap<>(doc.method());
        m.put("key", method);
        m.put("scorer", method.equals("pipeline") ? "eap-ig" : null);
        return new CircuitDocument(c, doc.model(), doc.task(), m, doc.summary(), doc.extra());
    }
}

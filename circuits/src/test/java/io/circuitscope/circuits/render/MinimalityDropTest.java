package io.circuitscope.circuits.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.circuitscope.circuits.io.CircuitDocument;
import io.circuitscope.circuits.io.ValidationSections;
import io.circuitscope.validation.Estimate;
import io.circuitscope.validation.ValidationReport;
import io.circuitscope.validation.ValidationSettings;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * validation.minimality[].score is a drop in faithfulness, but it shared the key and the report's column label "score"
 * with the KL-unit edge and node scores. It is written as faithfulness_drop (score kept for older readers) and the
 * report's column reads "faithfulness drop", for older files too.
 */
class MinimalityDropTest {
    private static ObjectNode section() {
        ValidationSettings s = ValidationSettings.defaults();
        ValidationReport r = new ValidationReport(1, 0, Estimate.point(1), Estimate.point(0.95), Estimate.point(0.05),
                true, true, List.of(new ValidationReport.ComponentScore("a0.h1->logits", false, 0.4, true),
                        new ValidationReport.ComponentScore("a0.h1", true, 0.005, false)),
                Estimate.point(0), 0, s, 4);
        return ValidationSections.validation(r);
    }

    @Test
    void theDropIsWrittenAndShownAsAFaithfulnessDrop() {
        ObjectNode v = section();
        assertEquals(0.4, v.get("minimality").get(0).get("faithfulness_drop").asDouble());
        assertEquals(0.4, v.get("minimality").get(0).get("score").asDouble(), "kept for older readers");
        CircuitDocument doc = RenderFixtures.document().withExtra("validation", v);
        String html = HtmlReport.render(doc, HtmlReport.Options.defaults());
        int table = html.indexOf("<h3>minimality</h3>");
        String header = html.substring(table, html.indexOf("</tr>", table));
        assertTrue(header.contains("<th>faithfulness drop</th>"), header);
        assertFalse(header.contains("<th>score</th>") || header.contains("faithfulness_drop"), "one column: " + header);
    }

    @Test
    void anOlderFilesScoreColumnIsLabelledAsTheDrop() {
        ObjectNode v = section();
        for (com.fasterxml.jackson.databind.JsonNode row : (ArrayNode) v.get("minimality")) {
            ((ObjectNode) row).remove("faithfulness_drop");
        }
        String html = HtmlReport.render(RenderFixtures.document().withExtra("validation", v), HtmlReport.Options.defaults());
        int table = html.indexOf("<h3>minimality</h3>");
        String header = html.substring(table, html.indexOf("</tr>", table));
        assertTrue(header.contains("<th>faithfulness drop</th>") && !header.contains("<th>score</th>"), header);
    }
}

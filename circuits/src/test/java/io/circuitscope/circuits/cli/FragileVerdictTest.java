package io.circuitscope.circuits.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.circuitscope.circuits.io.ValidationSections;
import io.circuitscope.circuits.render.HtmlReport;
import io.circuitscope.circuits.render.RenderFixtures;
import io.circuitscope.validation.Estimate;
import io.circuitscope.validation.ValidationReport;
import io.circuitscope.validation.ValidationSettings;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A verdict that holds at the estimate but not over its whole interval is said so: on screen, in circuit.json, in the report. */
class FragileVerdictTest {
    private static ValidationReport report(Estimate faithfulness, Estimate complement) {
        ValidationSettings s = ValidationSettings.defaults();
        return new ValidationReport(1, 0, Estimate.point(1), faithfulness, complement,
                faithfulness.value() >= s.sufficiencyThreshold(), complement.value() <= s.necessityThreshold(), List.of(),
                Estimate.point(0), 0, s, 4);
    }

    @Test
    void verdictsTheIntervalStraddlesGetANoteAndAFlag() {
        ValidationReport r = report(new Estimate(0.85, 0.75, 0.95), new Estimate(0.1, 0.05, 0.3));
        List<String> notes = ValidationNotes.fragileVerdicts(r);
        assertEquals(2, notes.size(), notes.toString());
        assertTrue(notes.get(0).contains("sufficient is true at the estimate but false over the whole interval "
                + "0.8500 [0.7500, 0.9500] (threshold 0.8)"), notes.get(0));
        assertTrue(notes.get(1).contains("necessary is true at the estimate but false over the whole interval "
                + "0.1000 [0.0500, 0.3000] (threshold 0.2)"), notes.get(1));
        ObjectNode json = ValidationSections.validation(r);
        assertTrue(json.get("sufficient").asBoolean());
        assertFalse(json.get("sufficient_over_interval").asBoolean());
        assertFalse(json.get("necessary_over_interval").asBoolean());
        assertFalse(json.get("metrics").get(0).get("pass_over_interval").asBoolean());
        assertTrue(json.get("metrics").get(0).get("pass").asBoolean());
        String html = HtmlReport.render(RenderFixtures.document().withExtra("validation", json),
                HtmlReport.Options.defaults());
        int table = html.indexOf("<th>pass_over_interval</th>");
        assertTrue(table > 0, "the report has the column");
        int row = html.indexOf("<td>faithfulness</td>", table);
        int fail = html.indexOf("<span class=\"no\">fail</span>", row);
        assertTrue(row > 0 && fail > row && fail < html.indexOf("</tr>", row), "the faithfulness row fails over the interval");
    }

    @Test
    void verdictsTheWholeIntervalSupportsGetNoNote() {
        ValidationReport r = report(new Estimate(0.95, 0.9, 1.0), new Estimate(0.05, 0.0, 0.1));
        assertTrue(ValidationNotes.fragileVerdicts(r).isEmpty());
        ObjectNode json = ValidationSections.validation(r);
        assertTrue(json.get("sufficient_over_interval").asBoolean());
        assertTrue(json.get("necessary_over_interval").asBoolean());
    }
}

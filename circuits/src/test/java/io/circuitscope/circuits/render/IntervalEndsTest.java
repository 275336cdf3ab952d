package io.circuitscope.circuits.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.circuitscope.validation.Estimate;
import org.junit.jupiter.api.Test;

/**
 * The report printed a judged row's interval ends with Decimals.fixed at the decimals digitsAgainst asked for, so an
 * interval from the double just above a threshold of 0.8 read "[0.8000000000000002, 0.9500000000000000]", while the
 * console and validate (Estimate.toString(threshold), through Decimals.fixedAgainst) print "[0.8000000000000002,
 * 0.95]": past 6 decimals, each end's exact shortest form. Both now print the ends with Decimals.intervalAgainst.
 */
class IntervalEndsTest {
    private static String reportWithInterval(double value, double low, double high, String rule) {
        ObjectNode validation = RenderFixtures.JSON.createObjectNode();
        ArrayNode metrics = validation.putArray("metrics");
        metrics.addObject().put("name", "faithfulness").put("value", value).put("ci_low", low).put("ci_high", high)
                .put("pass", true).put("rule", rule);
        return HtmlReport.render(RenderFixtures.document().withExtra("validation", validation),
                HtmlReport.Options.defaults());
    }

    @Test
    void anEndTooCloseToItsThresholdPrintsExactlyAsOnTheConsole() {
        double justAbove = Math.nextUp(0.8);
        String html = reportWithInterval(0.9, justAbove, 0.95, ">= 0.8");
        String console = new Estimate(0.9, justAbove, 0.95).toString(0.8);
        assertEquals("0.9000 [0.8000000000000002, 0.95]", console);
        assertTrue(html.contains("<td>0.9000</td><td>[0.8000000000000002, 0.95]</td>"), "the row as the console reads: "
                + html.substring(html.indexOf("<td>faithfulness</td>"), html.indexOf("</tr>", html.indexOf("<td>faithfulness</td>"))));
    }

    @Test
    void endsThatFourDecimalsSeparateKeepFourAndNoSignOnZero() {
        String html = reportWithInterval(0.1, -1e-9, 0.15, "<= 0.2");
        assertEquals("0.1000 [0.0000, 0.1500]", new Estimate(0.1, -1e-9, 0.15).toString(0.2));
        assertTrue(html.contains("<td>0.1000</td><td>[0.0000, 0.1500]</td>"), "never -0.0000");
    }
}

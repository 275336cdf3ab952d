package io.circuitscope.circuits.render;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.circuits.io.CircuitDocument;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * report.html's summary showed {@code summary.candidate_rounds.rounds} (from {@code --candidates bound}) as a raw list,
 * "[{k=64, unverified_edges=198, ...}]"; it shows the line discover prints instead. The cost shows both kinds of pass.
 */
class ReportSummaryLinesTest {
    private static CircuitDocument withSummary(Map<String, Object> extra) {
        CircuitDocument doc = RenderFixtures.document();
        Map<String, Object> summary = new LinkedHashMap<>(doc.summary());
        summary.putAll(extra);
        return new CircuitDocument(doc.circuit(), doc.model(), doc.task(), doc.method(), summary, doc.extra());
    }

    /** As circuit.json holds it after a {@code --candidates bound} run on planted:ioi that stopped at the first round. */
    private static Map<String, Object> rounds() {
        Map<String, Object> round = new LinkedHashMap<>();
        round.put("k", 64);
        round.put("unverified_edges", 198);
        round.put("sampled", 59);
        round.put("found_above_tau", 0);
        round.put("found_edges", List.of());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("budget", "bound:0.05");
        m.put("max_fraction", 0.05);
        m.put("confidence", 0.95);
        m.put("sample_size", 59);
        m.put("rounds", List.of(round));
        m.put("candidates", 64);
        m.put("stopped_by_bound", true);
        return m;
    }

    private static String render(CircuitDocument doc) {
        return HtmlReport.render(doc, HtmlReport.Options.defaults()).replace("&#39;", "'");
    }

    @Test
    void candidateRoundsReadAsDiscoversLine() {
        String html = render(withSummary(Map.of("candidate_rounds", rounds())));
        assertTrue(html.contains("<th>candidate_rounds</th><td>candidates by AtP*'s bound: 64, stopped at 64: round 1 found "
                + "none of 59 sampled from the 198 unverified (no bound: the false-negatives line bounds them, on a "
                + "sample of its own)</td>"), html);
        assertFalse(html.contains("k=64") || html.contains("candidate_rounds.rounds"), "no raw list");
    }

    @Test
    void aCandidateRoundsSectionNotInDiscoversFormIsShownKeyByKey() {
        Map<String, Object> odd = new LinkedHashMap<>(rounds());
        odd.remove("rounds");
        String html = render(withSummary(Map.of("candidate_rounds", odd)));
        assertTrue(html.contains("<th>candidate_rounds.budget</th><td>bound:0.05</td>"), html);
    }

    @Test
    void theCostShowsForwardAndGradientPasses() {
        Map<String, Object> cost = new LinkedHashMap<>();
        cost.put("forward_passes", 99);
        cost.put("gradient_passes", 3);
        String html = render(withSummary(cost));
        assertTrue(html.contains("<th>forward_passes</th><td>99</td>"), html);
        assertTrue(html.contains("<th>gradient_passes</th><td>3</td>"), html);
    }
}

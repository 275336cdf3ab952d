package io.circuitscope.circuits.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.validation.Estimate;
import io.circuitscope.validation.ScoreAgreement;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a comparison accepts, and what compare-scorers prints of it on numbers set by hand (those reviewers quoted from real runs). */
class ScorerComparisonTest {
    private static ScoreAgreement agreement(double edgePearson, double edgeSpearman, double nodePearson, double nodeSpearman) {
        return new ScoreAgreement(0.9, edgePearson, edgeSpearman, nodePearson, nodeSpearman, 10, 8, 10, 50, 40, 48, 2461, 2461);
    }

    private static ScorerComparison.Entry entry(String scorer, ScoreAgreement a, ScoreAgreement.Gap edgeGap,
            ScoreAgreement.Gap nodeGap, ScoreAgreement.Gap materialGap) {
        return new ScorerComparison.Entry(scorer, a, new ScorerComparison.Cost(0, 4, 1.5), edgeGap, nodeGap,
                new ScoreAgreement.MaterialEdges(0.004, 2, Double.NaN, Double.NaN), materialGap, scorer.equals("atp-star"));
    }

    /** The IOI toy's relp: the point-value verdict, then each difference with its interval's reading beside it. */
    static ScorerComparison.Result ioiToyRelp() {
        ScoreAgreement.Gap edgeGap = new ScoreAgreement.Gap(new Estimate(0.099, 0.005, 0.247), new Estimate(-0.027, -0.110, 0.057));
        ScoreAgreement.Gap nodeGap = new ScoreAgreement.Gap(new Estimate(0.05, -0.02, 0.1), new Estimate(-0.2, -0.3, -0.1));
        ScoreAgreement.Gap none = new ScoreAgreement.Gap(Estimate.point(Double.NaN), Estimate.point(Double.NaN));
        List<ScorerComparison.Entry> entries = List.of(entry("eap", agreement(0.4, 0.7, 0.5, 0.6), null, null, null),
                entry("relp", agreement(0.499, 0.673, 0.55, 0.4), edgeGap, nodeGap, none));
        return new ScorerComparison.Result(2461, 2461, 0, false, 45, 20.0, 2507, entries, null, 0.001);
    }

    private static String printed(java.util.function.BiConsumer<PrintWriter, ScorerComparison.Result> print,
            ScorerComparison.Result r) {
        StringWriter text = new StringWriter();
        print.accept(new PrintWriter(text), r);
        return text.toString();
    }

    /**
     * relp read "edges NO" with "(worse beyond the interval)" after the node Spearman, while its edge Pearson was
     * better beyond the interval and its edge Spearman showed no difference: now each number has its own reading.
     */
    @Test
    void eachDifferenceFromEapSaysWhatItsIntervalShows() {
        String out = printed(ScorerComparison::printVersusBaseline, ioiToyRelp());
        assertTrue(out.contains("relp at least eap on Pearson and Spearman (point values): edges NO (0.4990 vs 0.4000, "
                + "0.6730 vs 0.7000), nodes NO"), out);
        assertTrue(out.contains("edge Pearson +0.099 [+0.005, +0.247] (better), Spearman -0.027 [-0.110, +0.057] (no "
                + "difference shown); node Pearson +0.050 [-0.020, +0.100] (no difference shown), Spearman -0.200 "
                + "[-0.300, -0.100] (worse)\n"), out);
        assertTrue(out.contains("on the 2 edges that matter: edge Pearson n/a, Spearman n/a\n"), out);
        assertFalse(out.contains("beyond the interval"), out);
    }

    /**
     * An interval read better or worse shows its ends on their side of 0: AtP*'s edge Spearman on planted:ioi (1.0000 vs
     * 0.9999) read "+0.000 [+0.000, +0.000] (better)". Float rounding (below 1e-6) is no difference.
     */
    @Test
    void aDifferenceReadAsBetterNeverShowsAsZero() {
        ScoreAgreement.Gap tiny = new ScoreAgreement.Gap(new Estimate(6e-5, 1.2e-5, 1e-4), new Estimate(2e-10, 1e-10, 3e-10));
        ScoreAgreement.Gap none = new ScoreAgreement.Gap(Estimate.point(Double.NaN), Estimate.point(Double.NaN));
        ScorerComparison.Result r = new ScorerComparison.Result(2461, 2461, 0, false, 45, 20.0, 2507, List.of(
                entry("eap", agreement(0.4, 0.7, 0.5, 0.6), null, null, null),
                entry("atp-star", agreement(0.4, 0.7, 0.5, 0.6), tiny, tiny, none)), null, 0.001);
        String out = printed(ScorerComparison::printVersusBaseline, r);
        assertTrue(out.contains("edge Pearson +0.00006 [+0.00001, +0.00010] (better), Spearman +0.000 [+0.000, +0.000] "
                + "(no difference shown);"), out);
    }

    /** A scorer given twice was scored twice and its second row replaced the first: refused, before any patching. */
    @Test
    void aScorerGivenTwiceIsRefused() {
        io.circuitscope.core.planted.PlantedModel planted = io.circuitscope.core.planted.PlantedModels.byName("ioi");
        try (io.circuitscope.core.model.HookedTransformer model = planted.build();
             io.circuitscope.core.graph.TaskPatcher tp = new io.circuitscope.core.graph.TaskPatcher(
                     new io.circuitscope.core.graph.EdgePatcher(model), planted.task(0, 8),
                     io.circuitscope.core.task.Metrics.LOGIT_DIFF, io.circuitscope.core.graph.Ablation.RESAMPLE, 8)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ScorerComparison.run(tp,
                    List.of(new io.circuitscope.discovery.Eap(), new io.circuitscope.discovery.Eap()), 5, 5,
                    io.circuitscope.core.progress.Progress.NONE));
            assertEquals("scorer eap given twice", e.getMessage());
        }
    }

    /**
     * The markdown table had no seconds column and none of the plain table's caption lines: what the numbers are
     * over (edge and node counts, k), that AtP* ranks by GradDrop, a sample's caveat, and which edges matter. Both
     * tables now print the same cells and captions, the markdown one after what was compared.
     */
    @Test
    void theMarkdownTableHasThePlainTablesSecondsAndCaptions() {
        ScoreAgreement.Gap none = new ScoreAgreement.Gap(Estimate.point(Double.NaN), Estimate.point(Double.NaN));
        ScorerComparison.Result r = new ScorerComparison.Result(2461, 300, 0, false, 45, 20.0, 2507, List.of(
                entry("eap", agreement(0.4, 0.7, 0.5, 0.6), null, null, null),
                entry("atp-star", agreement(0.6, 0.8, 0.45, 0.65), none, none, none)),
                new EdgeSample.Coverage(0.25, 200, 1, 2161, 0.02), 0.001);
        String subject = "model stories260K.bin, task induction (16 examples), metric logit-diff, resample ablation";
        String markdown = printed((out, result) -> ScorerComparison.printMarkdown(out, result, subject), r);
        String plain = printed(ScorerComparison::print, r);
        List<String> lines = markdown.lines().toList();
        assertTrue(lines.get(0).endsWith("| forward / gradient passes | seconds |"), markdown);
        assertEquals("|---|---|---|---|---|---|---|---|---|---|---|", lines.get(1));
        assertEquals("| atp-star | 0.900 | 0.600 | 0.800 | 0.450 | 0.650 | 8/10, 10/10 | 40/50, 48/50 | NaN / NaN (2) | 0 / 4 "
                + "| 1.5 |", lines.get(3));
        assertEquals("", lines.get(4), "a caption is no table row");
        assertEquals(subject, lines.get(5));
        List<String> captions = lines.subList(6, lines.size());
        assertEquals(3, captions.size(), markdown);
        assertTrue(captions.get(0).startsWith("(2461 edges, 45 component nodes; AUC against the exact top 50 edges; k = 10 "
                + "nodes, 50 edges; AUC and recall rank by |score|, atp-star's edges and nodes by the larger of |score| and "
                + "GradDrop)"), captions.get(0));
        assertTrue(captions.get(1).startsWith("(sampled: 300 of 2461 edges patched exactly"), captions.get(1));
        assertEquals("edges that matter (|exact effect| >= 0.004000, 0.1% of the task's effect): 2 of 300 patched",
                captions.get(2));
        for (String caption : captions) {
            assertTrue(plain.contains(caption), "the plain table's caption too: " + caption + "\n" + plain);
        }
        assertTrue(plain.lines().anyMatch(l -> l.matches("^atp-star .* 1\\.5$")), "the same seconds: " + plain);
    }
}

package io.circuitscope.circuits.run;

import io.circuitscope.core.Decimals;
import io.circuitscope.validation.ScoreAgreement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The words and cells of a {@link ScorerComparison.Result}, formatted once for both its plain and its markdown table:
 * each scorer's cells, and the caption lines that say what the numbers are over.
 */
final class ScorerTableText {
    private ScorerTableText() {
    }

    /** One scorer's cells, as both tables show them. */
    record Row(String scorer, String auc, String edgePearson, String edgeSpearman, String nodePearson, String nodeSpearman,
            String nodesInTopK, String nodesInTop2K, String edgesInTopK, String edgesInTop2K, String material,
            String passes, String seconds) {
        static Row of(ScorerComparison.Entry e) {
            ScoreAgreement a = e.agreement();
            ScoreAgreement.MaterialEdges m = e.material();
            return new Row(e.scorer(), Double.isNaN(a.auc()) ? "n/a" : three(a.auc()), three(a.edgePearson()),
                    three(a.edgeSpearman()), three(a.nodePearson()), three(a.nodeSpearman()),
                    a.nodesInTopK() + "/" + a.topNodes(), a.nodesInTop2K() + "/" + a.topNodes(),
                    a.edgesInTopK() + "/" + a.topEdges(), a.edgesInTop2K() + "/" + a.topEdges(),
                    three(m.pearson()) + " / " + three(m.spearman()) + " (" + m.edges() + ")",
                    e.cost().forwardPasses() + " / " + e.cost().gradientPasses(),
                    String.format(Locale.ROOT, "%.1f", e.seconds()));
        }
    }

    /**
     * The first lines under either table: the counts and k, how AtP* ranks, and with a sample what it means for the
     * numbers. {@link #material} follows them.
     */
    static List<String> captions(ScorerComparison.Result r) {
        List<String> lines = new ArrayList<>();
        ScoreAgreement a = r.entries().get(0).agreement();
        // the only scorer that ranks by something else than |score| is AtP*, by GradDrop
        List<String> ownRanking = r.entries().stream().filter(ScorerComparison.Entry::ownRanking)
                .map(ScorerComparison.Entry::scorer).toList();
        lines.add(String.format(Locale.ROOT, "(%d edges, %d component nodes; AUC against the exact top %d edges; k = %d nodes, "
                + "%d edges%s)", r.edges(), r.componentNodes(), a.topEdges(), a.topNodes(), a.topEdges(), ownRanking.isEmpty()
                        ? "" : "; AUC and recall rank by |score|, " + String.join(" and ", ownRanking)
                                + "'s edges and nodes by the larger of |score| and GradDrop"));
        if (r.topCoverage() != null) {
            lines.add(coverage(r));
        }
        return lines;
    }

    /**
     * Which edges matter: the threshold, as an effect and as a fraction of the task's, and how many reach it (the
     * scorers' correlations over them are the markdown table's column, and the plain table's line goes on with them).
     */
    static String material(ScorerComparison.Result r) {
        ScoreAgreement.MaterialEdges first = r.entries().get(0).material();
        return String.format(Locale.ROOT, "edges that matter (|exact effect| >= %.4g, %s%% of the task's effect): %d of %d%s",
                first.threshold() + 0.0, // -0.0 as 0.0
                new java.math.BigDecimal(100 * r.materialFraction()).round(new java.math.MathContext(4))
                        .stripTrailingZeros().toPlainString(), first.edges(), r.exactEdges(),
                r.exactEdges() < r.edges() ? " patched" : "");
    }

    /** What a sample of exact edges means for the numbers: which edges, weighted how, and what the top edges are. */
    private static String coverage(ScorerComparison.Result r) {
        EdgeSample.Coverage c = r.topCoverage();
        return String.format(Locale.ROOT, "(sampled: %d of %d edges patched exactly, every scorer's top edges and %d drawn from "
                + "the others; edge correlations weighted to stand for every edge. The exact top edges are the top of the "
                + "patched ones (smallest |effect| %.4g): %d of the %d drawn edges reach it, so at most %d of the %d "
                + "unpatched edges do (95%%, Clopper-Pearson); any that do are missing from the top edges, and the edge AUC "
                + "and recall then read high)", r.exactEdges(), r.edges(), c.sampled(), c.threshold() + 0.0, c.reaching(),
                c.sampled(), c.upperCount(), c.unpatched());
    }

    /** A correlation or AUC as the tables show it: 3 decimals, never "-0.000" (as {@link Decimals#fixed}). */
    static String three(double v) {
        return Decimals.fixed(v, 3);
    }
}

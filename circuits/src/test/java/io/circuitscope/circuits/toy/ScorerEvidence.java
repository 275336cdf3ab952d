package io.circuitscope.circuits.toy;

import io.circuitscope.core.graph.EdgeScores;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.progress.Progress;
import io.circuitscope.discovery.AtpStar;
import io.circuitscope.discovery.Eap;
import io.circuitscope.discovery.EapIg;
import io.circuitscope.discovery.EdgeScorer;
import io.circuitscope.discovery.RelP;
import io.circuitscope.validation.RocCurve;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.commons.math3.stat.correlation.PearsonsCorrelation;
import org.apache.commons.math3.stat.correlation.SpearmansCorrelation;

/**
 * The cheap scorers (EAP, EAP-IG with 5 steps, AtP*, RelP) against exact patching on one model and
 * task: ROC AUC against the exact top-50 edges, Pearson and Spearman correlation of edge scores and
 * of node scores, and recall of the exact top nodes and edges (issues #5 and #7).
 *
 * <p>Nodes are the component nodes (heads and MLPs; the input is left out, its effect is the whole
 * corruption). A node's exact effect is patching all its out-edges at once; a scorer's node score
 * is the sum of its out-edge scores ({@link EdgeScores#nodeScoresBySource()}).
 */
final class ScorerEvidence {
    static final int TOP_EDGES = 50;
    static final int TOP_NODES = 10;

    /** One scorer's numbers. */
    record Row(String scorer, double auc, double edgePearson, double edgeSpearman, double nodePearson,
            double nodeSpearman, int nodesInTop10, int nodesInTop20, int edgesInTop50, int edgesInTop100) {
    }

    private ScorerEvidence() {
    }

    static List<EdgeScorer> scorers() {
        return List.of(new Eap(), new EapIg(5), new AtpStar(), new RelP(false));
    }

    /** Every scorer's row; {@code exactNodeEffects} is indexed by source (input at 0). */
    static List<Row> measure(TaskPatcher tp, EdgeScores exact, double[] exactNodeEffects) {
        boolean[] exactTopEdges = exact.topK(TOP_EDGES);
        int[] exactTopNodes = topComponents(exactNodeEffects, TOP_NODES);
        double[] exactNodes = components(exactNodeEffects);
        List<Row> rows = new ArrayList<>();
        for (EdgeScorer scorer : scorers()) {
            EdgeScores s = scorer.score(tp, Progress.NONE);
            double[] nodes = s.nodeScoresBySource();
            int[] scorerTopNodes = topComponents(nodes, 2 * TOP_NODES);
            rows.add(new Row(scorer.key(), RocCurve.of(s, exactTopEdges).auc(),
                    pearson(s.values(), exact.values()), spearman(s.values(), exact.values()),
                    pearson(components(nodes), exactNodes), spearman(components(nodes), exactNodes),
                    overlap(exactTopNodes, scorerTopNodes, TOP_NODES),
                    overlap(exactTopNodes, scorerTopNodes, 2 * TOP_NODES),
                    overlap(exactTopEdges, s.topK(TOP_EDGES)), overlap(exactTopEdges, s.topK(2 * TOP_EDGES))));
        }
        return rows;
    }

    static void print(PrintWriter out, List<Row> rows, int componentNodes) {
        int topNodes = Math.min(TOP_NODES, componentNodes);
        out.printf("%-9s %6s %13s %14s %13s %14s %9s %9s %9s %10s%n", "scorer", "AUC", "edge Pearson",
                "edge Spearman", "node Pearson", "node Spearman", "nodes@10", "nodes@20", "edges@50", "edges@100");
        for (Row r : rows) {
            out.printf("%-9s %6.3f %13.3f %14.3f %13.3f %14.3f %9s %9s %9s %10s%n", r.scorer(), r.auc(),
                    r.edgePearson(), r.edgeSpearman(), r.nodePearson(), r.nodeSpearman(),
                    r.nodesInTop10() + "/" + topNodes, r.nodesInTop20() + "/" + topNodes,
                    r.edgesInTop50() + "/" + TOP_EDGES, r.edgesInTop100() + "/" + TOP_EDGES);
        }
        out.printf("(nodes: %d components, input left out; edges: exact top %d)%n", componentNodes, TOP_EDGES);
        out.flush();
    }

    /** A markdown table of the rows, as recorded in benchmarks/RESULTS.md. */
    static void printMarkdown(PrintWriter out, List<Row> rows, int componentNodes) {
        int topNodes = Math.min(TOP_NODES, componentNodes);
        out.println("| scorer | ROC AUC | edge Pearson | edge Spearman | node Pearson | node Spearman "
                + "| exact top-10 nodes in top 10 / 20 | exact top-50 edges in top 50 / 100 |");
        out.println("|---|---|---|---|---|---|---|---|");
        for (Row r : rows) {
            out.printf("| %s | %.3f | %.3f | %.3f | %.3f | %.3f | %d/%d, %d/%d | %d/%d, %d/%d |%n", r.scorer(), r.auc(),
                    r.edgePearson(), r.edgeSpearman(), r.nodePearson(), r.nodeSpearman(), r.nodesInTop10(), topNodes,
                    r.nodesInTop20(), topNodes, r.edgesInTop50(), TOP_EDGES, r.edgesInTop100(), TOP_EDGES);
        }
        out.flush();
    }

    /**
     * Issue #5's comparison, printed and returned (not asserted: it does not hold everywhere): is each
     * of RelP and AtP* at least as correlated with exact patching as EAP (AtP) on both Pearson and
     * Spearman, for edges and for nodes?
     */
    static boolean printIssue5Verdict(PrintWriter out, List<Row> rows) {
        Row eap = rows.stream().filter(r -> r.scorer().equals("eap")).findFirst().orElseThrow();
        boolean all = true;
        for (Row r : rows) {
            if (!r.scorer().equals("relp") && !r.scorer().equals("atp-star")) {
                continue;
            }
            boolean edges = r.edgePearson() >= eap.edgePearson() && r.edgeSpearman() >= eap.edgeSpearman();
            boolean nodes = r.nodePearson() >= eap.nodePearson() && r.nodeSpearman() >= eap.nodeSpearman();
            out.printf("issue #5, %s not worse than eap on Pearson and Spearman: edges %s (%.3f vs %.3f, %.3f vs %.3f), "
                    + "nodes %s (%.3f vs %.3f, %.3f vs %.3f)%n", r.scorer(), edges ? "yes" : "NO", r.edgePearson(),
                    eap.edgePearson(), r.edgeSpearman(), eap.edgeSpearman(), nodes ? "yes" : "NO", r.nodePearson(),
                    eap.nodePearson(), r.nodeSpearman(), eap.nodeSpearman());
            all &= edges && nodes;
        }
        out.flush();
        return all;
    }

    private static double pearson(double[] a, double[] b) {
        return new PearsonsCorrelation().correlation(a, b);
    }

    private static double spearman(double[] a, double[] b) {
        return new SpearmansCorrelation().correlation(a, b);
    }

    /** Node values without the input (source 0). */
    static double[] components(double[] bySource) {
        return java.util.Arrays.copyOfRange(bySource, 1, bySource.length);
    }

    /** Source indices of the k component nodes with the largest |value|. */
    static int[] topComponents(double[] bySource, int k) {
        return IntStream.range(1, bySource.length).boxed()
                .sorted((a, b) -> Double.compare(Math.abs(bySource[b]), Math.abs(bySource[a])))
                .limit(k).mapToInt(Integer::intValue).toArray();
    }

    /** How many of {@code exactTop} are among the first {@code k} of {@code scorerTop}. */
    private static int overlap(int[] exactTop, int[] scorerTop, int k) {
        int n = 0;
        for (int x : exactTop) {
            for (int j = 0; j < Math.min(k, scorerTop.length); j++) {
                n += x == scorerTop[j] ? 1 : 0;
            }
        }
        return n;
    }

    private static int overlap(boolean[] reference, boolean[] kept) {
        int n = 0;
        for (int i = 0; i < reference.length; i++) {
            n += reference[i] && kept[i] ? 1 : 0;
        }
        return n;
    }
}

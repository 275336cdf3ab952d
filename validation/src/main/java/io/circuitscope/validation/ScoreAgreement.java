package io.circuitscope.validation;

import io.circuitscope.core.graph.EdgeScores;
import java.util.Arrays;
import java.util.function.ToDoubleFunction;
import java.util.stream.IntStream;
import org.apache.commons.math3.stat.correlation.PearsonsCorrelation;
import org.apache.commons.math3.stat.correlation.SpearmansCorrelation;

/**
 * How well cheap scores agree with exact patching (the evidence issue #5 asks for): ROC AUC of the
 * scorer's ranking against the exact top edges; Pearson and Spearman correlation of the signed edge
 * scores with the exact edge effects, and of node scores with exact node effects; and recall of the
 * exact top nodes and edges among the scorer's top k and 2k (items it scores 0 are never among them: no evidence).
 *
 * <p>Nodes are the component nodes (heads and MLPs); the input node is left out, since patching it
 * is the whole corruption. A scorer's node score is the sum of its out-edge scores
 * ({@link EdgeScores#nodeScoresBySource()}); the exact node effect is patching all of a node's
 * out-edges at once. Rankings use each scorer's importance ({@link EdgeScores#ranking()},
 * {@link EdgeScores#nodeImportances()}), correlations its signed estimates.
 *
 * <p>Exact effects may cover a sample of the edges only (the others NaN): then the edge correlations
 * are over the sampled edges (weighted, if weights are given), and the exact top edges for AUC and
 * recall are the top of the patched edges, which are the graph's exact top edges only if none of
 * them went unpatched (the caller that sampled the edges checks that).
 *
 * @param auc ROC AUC against the exact top edges (NaN when no edge has an exact effect)
 * @param topNodes size of the exact top node set (nodes with an effect only)
 * @param nodesInTopK exact top-{@code topNodes} nodes among the scorer's top {@code topNodes}
 * @param nodesInTop2K the same among the scorer's top {@code 2 topNodes}
 * @param topEdges size of the exact top edge set (edges with an effect only)
 * @param edges the graph's edges
 * @param exactEdges how many of them have an exact effect to compare with (all, or a sample)
 */
public record ScoreAgreement(double auc, double edgePearson, double edgeSpearman, double nodePearson,
        double nodeSpearman, int topNodes, int nodesInTopK, int nodesInTop2K, int topEdges, int edgesInTopK,
        int edgesInTop2K, int edges, int exactEdges) {

    /** Whether the exact effects cover only a sample of the edges (then the exact top edges are those of the sample). */
    public boolean sampled() {
        return exactEdges < edges;
    }

    /**
     * @param exactNodeEffects exact effect of each source node, indexed by source (the input at 0)
     * @param topEdges size of the exact edge set for AUC and recall (50 in the issue); edges with no exact
     *                 effect at all are left out of it, so it can be smaller (recorded in {@link #topEdges()})
     * @param topNodes size of the exact node set for recall (10 in the issue), likewise without nodes of
     *                 no effect and never more than the model's component nodes
     */
    public static ScoreAgreement of(EdgeScores scores, EdgeScores exact, double[] exactNodeEffects, int topEdges,
            int topNodes) {
        return of(scores, exact, null, exactNodeEffects, topEdges, topNodes);
    }

    /**
     * @param edgeWeights for exact effects of a sample drawn with unequal probabilities: per edge, the
     *                    inverse of its probability of being patched, so that the weighted edge
     *                    correlations estimate those over every edge ({@link WeightedCorrelation}); null
     *                    for a uniform sample or every edge
     */
    public static ScoreAgreement of(EdgeScores scores, EdgeScores exact, double[] edgeWeights, double[] exactNodeEffects,
            int topEdges, int topNodes) {
        if (scores.size() != exact.size()) {
            throw new IllegalArgumentException("scores cover " + scores.size() + " edges, exact effects " + exact.size());
        }
        if (exactNodeEffects.length != scores.graph().nSources()) {
            throw new IllegalArgumentException("need an exact effect for each of " + scores.graph().nSources()
                    + " source nodes, got " + exactNodeEffects.length);
        }
        int[] patched = IntStream.range(0, exact.size()).filter(i -> !Double.isNaN(exact.get(i))).toArray();
        // Edges and nodes without any exact effect are no reference: ranking them among themselves is arbitrary.
        boolean[] exactTopEdges = exact.topK(topEdges); // with a sample: the top of the patched edges
        int edges = 0;
        for (int i = 0; i < exactTopEdges.length; i++) {
            exactTopEdges[i] &= exact.get(i) != 0;
            edges += exactTopEdges[i] ? 1 : 0;
        }
        int[] exactTopNodes = Arrays.stream(topComponents(exactNodeEffects, topNodes))
                .filter(s -> exactNodeEffects[s] != 0).toArray();
        int nodes = exactTopNodes.length;
        double[] nodeScores = scores.nodeScoresBySource();
        // a node or edge the scorer scores 0 is no evidence (discover keeps none): never among its top, where the
        // zeros' order by index would credit it with whichever exact top items have low indices
        double[] nodeImportance = scores.nodeImportances();
        int[] scorerTopNodes = Arrays.stream(topComponents(nodeImportance, 2 * nodes)).filter(s -> nodeImportance[s] > 0)
                .toArray();
        double auc = edges == 0 || edges == exactTopEdges.length ? Double.NaN : RocCurve.of(scores, exactTopEdges).auc();
        double[] scored = at(scores.values(), patched);
        double[] truth = at(exact.values(), patched);
        double[] weights = edgeWeights == null ? null : at(edgeWeights, patched);
        return new ScoreAgreement(auc, pearson(scored, truth, weights), spearman(scored, truth, weights),
                pearson(components(nodeScores), components(exactNodeEffects)),
                spearman(components(nodeScores), components(exactNodeEffects)),
                nodes, overlap(exactTopNodes, scorerTopNodes, nodes), overlap(exactTopNodes, scorerTopNodes, 2 * nodes),
                edges, overlap(exactTopEdges, withEvidence(scores, edges)), overlap(exactTopEdges, withEvidence(scores, 2 * edges)),
                exact.size(), patched.length);
    }

    /**
     * How much better (positive) or worse a scorer's correlations with the exact effects are than a
     * baseline's, each with a 95% paired percentile bootstrap interval: edges (or nodes) are resampled
     * with replacement and both scorers' correlations recomputed on the same resample. Edges share
     * sources and destinations, so they are not independent and the intervals are narrower than the
     * truth: read an interval that excludes 0 as "probably", one that includes it as "no difference
     * this measurement can show".
     */
    public record Gap(Estimate pearson, Estimate spearman) {
    }

    /**
     * What one difference's 95% interval shows ({@link Gap}): better when the whole interval is above 0, worse when
     * it is below 0, and no difference shown when it includes 0, or when there is no interval or no difference at all
     * (an undefined correlation). An end within {@link #ROUNDING} of 0 counts as 0, as in {@link #edgesAtLeast}: float
     * rounding (relp:none against eap) is no difference. The point values alone decide {@link #edgesAtLeast} and
     * {@link #nodesAtLeast}.
     */
    public enum Reading {
        BETTER("better"), WORSE("worse"), NO_DIFFERENCE_SHOWN("no difference shown");

        private final String words;

        Reading(String words) {
            this.words = words;
        }

        /** As printed beside the difference. */
        public String words() {
            return words;
        }

        /** The reading of a difference from the baseline (NaN bounds compare false: no difference shown). */
        public static Reading of(Estimate difference) {
            return difference.low() > ROUNDING ? BETTER : difference.high() < -ROUNDING ? WORSE : NO_DIFFERENCE_SHOWN;
        }
    }

    /**
     * Edges whose exact effect is below this fraction of the task's effect (|clean - corrupted| on the
     * metric) are too small to matter to a circuit: faithfulness is a fraction of that effect, reported to
     * three decimals, and no such edge alone moves it. A correlation over every edge is mostly decided by
     * how such edges are ordered among themselves (half of a small model's edges lie below 0.02% of the
     * effect), so the comparison also reports correlations over the edges at or above it.
     */
    public static final double MATERIAL_FRACTION = 1e-3;

    /**
     * Correlations of the signed scores with the exact effects over the edges that matter: those whose
     * exact effect reaches {@code threshold} in magnitude ({@link #MATERIAL_FRACTION} of the task's effect).
     *
     * @param edges how many edges with an exact effect reach the threshold (of a sample: how many of the sample)
     * @param pearson NaN when fewer than 3 edges reach it
     */
    public record MaterialEdges(double threshold, int edges, double pearson, double spearman) {
    }

    /** The exact effects that reach {@code threshold} in magnitude; every other edge NaN (not compared). */
    public static EdgeScores materialOnly(EdgeScores exact, double threshold) {
        double[] kept = exact.values(); // a copy
        for (int i = 0; i < kept.length; i++) {
            if (!(Math.abs(kept[i]) >= threshold)) {
                kept[i] = Double.NaN;
            }
        }
        return new EdgeScores(exact.graph(), kept);
    }

    /** {@link MaterialEdges} of {@code scores}; {@code edgeWeights} as in {@link #of(EdgeScores, EdgeScores, double[], double[], int, int)}. */
    public static MaterialEdges material(EdgeScores scores, EdgeScores exact, double[] edgeWeights, double threshold) {
        EdgeScores material = materialOnly(exact, threshold);
        int[] kept = IntStream.range(0, material.size()).filter(i -> !Double.isNaN(material.get(i))).toArray();
        if (kept.length < 3) {
            return new MaterialEdges(threshold, kept.length, Double.NaN, Double.NaN);
        }
        double[] scored = at(scores.values(), kept);
        double[] truth = at(material.values(), kept);
        double[] weights = edgeWeights == null ? null : at(edgeWeights, kept);
        return new MaterialEdges(threshold, kept.length, pearson(scored, truth, weights), spearman(scored, truth, weights));
    }

    /** Resamples of the bootstrap behind {@link Gap}; fixed, and seeded, so reports are reproducible. */
    public static final int GAP_RESAMPLES = 1000;

    /**
     * {@link Gap} of {@code scores} over {@code baseline} on the edges with an exact effect (all, or a
     * sample); with {@code edgeWeights} (see {@link #of(EdgeScores, EdgeScores, double[], double[], int, int)})
     * the correlations are weighted and the bootstrap resamples each group of equal weight on its own,
     * as the sample was drawn.
     */
    public static Gap edgeGap(EdgeScores scores, EdgeScores baseline, EdgeScores exact, double[] edgeWeights, long seed) {
        int[] patched = IntStream.range(0, exact.size()).filter(i -> !Double.isNaN(exact.get(i))).toArray();
        return gap(at(scores.values(), patched), at(baseline.values(), patched), at(exact.values(), patched),
                edgeWeights == null ? null : at(edgeWeights, patched), seed);
    }

    /** {@link Gap} of node scores over the baseline's on the component nodes (input left out). */
    public static Gap nodeGap(EdgeScores scores, EdgeScores baseline, double[] exactNodeEffects, long seed) {
        return gap(components(scores.nodeScoresBySource()), components(baseline.nodeScoresBySource()),
                components(exactNodeEffects), null, seed);
    }

    private static Gap gap(double[] a, double[] b, double[] truth, double[] weights, long seed) {
        if (truth.length < 3) { // no correlation to speak of (e.g. hardly any edge matters)
            return new Gap(Estimate.point(Double.NaN), Estimate.point(Double.NaN));
        }
        ToDoubleFunction<int[]> pearson = idx -> {
            double[] w = weights == null ? null : at(weights, idx);
            return pearson(at(a, idx), at(truth, idx), w) - pearson(at(b, idx), at(truth, idx), w);
        };
        ToDoubleFunction<int[]> spearman = idx -> {
            double[] w = weights == null ? null : at(weights, idx);
            return spearman(at(a, idx), at(truth, idx), w) - spearman(at(b, idx), at(truth, idx), w);
        };
        if (weights == null) {
            return new Gap(Bootstrap.estimate(truth.length, pearson, GAP_RESAMPLES, 0.95, seed),
                    Bootstrap.estimate(truth.length, spearman, GAP_RESAMPLES, 0.95, seed));
        }
        int[] stratum = strata(weights);
        return new Gap(Bootstrap.estimateStratified(stratum, pearson, GAP_RESAMPLES, 0.95, seed),
                Bootstrap.estimateStratified(stratum, spearman, GAP_RESAMPLES, 0.95, seed));
    }

    /** Observations of equal weight were drawn together: one stratum per distinct weight. */
    private static int[] strata(double[] weights) {
        java.util.Map<Double, Integer> ids = new java.util.HashMap<>();
        int[] out = new int[weights.length];
        for (int i = 0; i < weights.length; i++) {
            out[i] = ids.computeIfAbsent(weights[i], k -> ids.size());
        }
        return out;
    }

    private static double[] at(double[] values, int[] indices) {
        double[] out = new double[indices.length];
        for (int i = 0; i < indices.length; i++) {
            out[i] = values[indices[i]];
        }
        return out;
    }

    /** Differences below this are float rounding, not a worse correlation (tables show three decimals). */
    public static final double ROUNDING = 1e-6;

    /**
     * Whether the edge scores correlate at least as well as {@code baseline}'s on both Pearson and Spearman, by point
     * value (issue #5 read strictly; differences below {@link #ROUNDING} count as equal). Whether a difference is more
     * than measurement noise is {@link Reading}'s question.
     */
    public boolean edgesAtLeast(ScoreAgreement baseline) {
        return edgePearson >= baseline.edgePearson - ROUNDING && edgeSpearman >= baseline.edgeSpearman - ROUNDING;
    }

    /** Whether at least as many of the exact top nodes and edges are in this scorer's top k and 2k as in the baseline's. */
    public boolean recallAtLeast(ScoreAgreement baseline) {
        return nodesInTopK >= baseline.nodesInTopK && nodesInTop2K >= baseline.nodesInTop2K
                && edgesInTopK >= baseline.edgesInTopK && edgesInTop2K >= baseline.edgesInTop2K;
    }

    /** As {@link #edgesAtLeast}, for the node scores: point values. */
    public boolean nodesAtLeast(ScoreAgreement baseline) {
        return nodePearson >= baseline.nodePearson - ROUNDING && nodeSpearman >= baseline.nodeSpearman - ROUNDING;
    }

    private static double pearson(double[] a, double[] b) {
        return new PearsonsCorrelation().correlation(a, b);
    }

    private static double pearson(double[] a, double[] b, double[] weights) {
        return weights == null ? pearson(a, b) : WeightedCorrelation.pearson(a, b, weights);
    }

    /**
     * Rank correlation; -0.0 and 0.0 tie (Commons Math ranks them apart, and scorers produce both). NaN when a
     * value is NaN, like Pearson's (Commons Math would throw).
     */
    static double spearman(double[] a, double[] b) {
        if (Arrays.stream(a).anyMatch(Double::isNaN) || Arrays.stream(b).anyMatch(Double::isNaN)) {
            return Double.NaN;
        }
        return new SpearmansCorrelation().correlation(unsignedZeros(a), unsignedZeros(b));
    }

    private static double spearman(double[] a, double[] b, double[] weights) {
        return weights == null ? spearman(a, b) : WeightedCorrelation.spearman(a, b, weights);
    }

    private static double[] unsignedZeros(double[] v) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i] + 0.0; // -0.0 + 0.0 == +0.0
        }
        return out;
    }

    /** Node values without the input (source 0). */
    private static double[] components(double[] bySource) {
        return Arrays.copyOfRange(bySource, 1, bySource.length);
    }

    /** Source indices of the k component nodes with the largest |value|, ties by index. */
    private static int[] topComponents(double[] bySource, int k) {
        return IntStream.range(1, bySource.length).boxed()
                .sorted((a, b) -> {
                    int c = Double.compare(Math.abs(bySource[b]), Math.abs(bySource[a]));
                    return c != 0 ? c : Integer.compare(a, b);
                })
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

    /** The scorer's top {@code k} edges, without those of importance 0 (no evidence; see {@link EdgeScores#withEvidence()}). */
    private static boolean[] withEvidence(EdgeScores scores, int k) {
        boolean[] top = scores.topK(k);
        for (int i = 0; i < top.length; i++) {
            top[i] &= scores.importance(i) > 0;
        }
        return top;
    }

    private static int overlap(boolean[] reference, boolean[] kept) {
        int n = 0;
        for (int i = 0; i < reference.length; i++) {
            n += reference[i] && kept[i] ? 1 : 0;
        }
        return n;
    }
}

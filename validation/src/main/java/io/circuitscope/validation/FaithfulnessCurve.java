package io.circuitscope.validation;

import io.circuitscope.core.graph.EdgeScores;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.task.Metric;
import java.util.ArrayList;
import java.util.List;

/**
 * Faithfulness as a function of circuit size, and MIB's summaries of it: circuits keep the top
 * k% of edges for k in {0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100}; CPR is the trapezoid area under
 * f(C_k) with edges ranked by signed contribution to the behaviour (-score for metrics where higher is
 * better, +score for KL or any loss, since a score is m(patched) - m(clean); the metric the scores were computed
 * with decides, not the one faithfulness is measured with), CMD the area under |1 - f(C_k)| with
 * edges ranked by importance, {@link EdgeScores#ranking()} (|score| unless the scores carry an importance of their
 * own, as ACDC's damage and AtP*'s GradDrop-aware magnitude are; lower better, 0 best). The x axis is the fraction of
 * edges. Each top-k circuit is pruned as EAP-IG's evaluate_graph prunes it before MIB evaluates it.
 */
public record FaithfulnessCurve(double[] fractions, double[] signedFaithfulness, double[] absoluteFaithfulness,
        double cpr, double cmd) {

    /** MIB's circuit sizes as fractions of all edges, written as MIB writes them so that sizes match to the edge. */
    public static final double[] MIB_FRACTIONS = {.001, .002, .005, .01, .02, .05, .1, .2, .5, 1};

    /** Edges in the circuit at {@code fraction} of {@code n}: truncated, as MIB's {@code int(pct * n)}. */
    static int edgesAt(double fraction, int n) {
        return (int) (fraction * n);
    }

    /** The curve of scores computed with the metric that {@code task} measures faithfulness with. */
    public static FaithfulnessCurve of(TaskPatcher task, EdgeScores scores) {
        return of(task, scores, task.metric());
    }

    /**
     * @param scoresMetric the metric the scores were computed with: its direction says which sign of a score helps
     *                     the behaviour, so it ranks the edges for CPR, whatever metric {@code task} measures
     *                     faithfulness with (a KL-found circuit validated with logit-diff ranks its scores as KL's)
     */
    public static FaithfulnessCurve of(TaskPatcher task, EdgeScores scores, Metric scoresMetric) {
        return of(task, scores, !scoresMetric.higherIsBetter());
    }

    /**
     * @param higherScoreSupports whether a higher score marks an edge that supports the behaviour, so that CPR ranks
     *                            the edges by +score (true: scores of KL, or of any loss, as EAP-IG's are) or by -score
     *                            (false: scores of a metric where higher is better, such as logit-diff)
     */
    public static FaithfulnessCurve of(TaskPatcher task, EdgeScores scores, boolean higherScoreSupports) {
        int n = scores.size();
        double[] values = scores.values();
        Integer[] signedOrder = new Integer[n];
        for (int i = 0; i < n; i++) {
            signedOrder[i] = i;
        }
        double sign = higherScoreSupports ? 1 : -1;
        java.util.Arrays.sort(signedOrder, (a, b) -> Double.compare(nanLow(sign * values[b]), nanLow(sign * values[a])));
        int[] absOrder = scores.ranking();
        List<boolean[]> masks = new ArrayList<>();
        double[] fractions = MIB_FRACTIONS.clone();
        for (int k = 0; k < fractions.length; k++) {
            int count = edgesAt(fractions[k], n);
            boolean[] signed = new boolean[n];
            boolean[] abs = new boolean[n];
            for (int i = 0; i < count; i++) {
                signed[signedOrder[i]] = true;
                abs[absOrder[i]] = true;
            }
            // MIB evaluates each top-k circuit with EAP-IG's evaluate_graph, which prunes it first (edges from nodes
            // the input does not reach, into nodes that reach no logits): the same metric under resampling, another
            // under mean or zero ablation, where a node cut off from the input outputs f(ablated inputs)
            masks.add(prunedAsMib(task, signed));
            masks.add(prunedAsMib(task, abs));
        }
        double[] v = task.evaluateKeep(masks);
        double[] signedF = new double[fractions.length];
        double[] absF = new double[fractions.length];
        for (int k = 0; k < fractions.length; k++) {
            signedF[k] = task.normalized(v[2 * k]);
            absF[k] = task.normalized(v[2 * k + 1]);
        }
        double cpr = 0;
        double cmd = 0;
        for (int k = 1; k < fractions.length; k++) {
            double w = fractions[k] - fractions[k - 1];
            cpr += w * (signedF[k] + signedF[k - 1]) / 2;
            cmd += w * (Math.abs(1 - absF[k]) + Math.abs(1 - absF[k - 1])) / 2;
        }
        return new FaithfulnessCurve(fractions, signedF, absF, cpr, cmd);
    }

    private static boolean[] prunedAsMib(TaskPatcher task, boolean[] keep) {
        return io.circuitscope.core.graph.Circuit.of(task.graph(), keep, null).prunedAsEapIg().keepMask();
    }

    private static double nanLow(double v) {
        return Double.isNaN(v) ? Double.NEGATIVE_INFINITY : v;
    }
}

package io.circuitscope.circuits.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.circuitscope.core.Decimals;
import io.circuitscope.core.graph.Circuit;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.task.Metric;
import io.circuitscope.validation.CircuitComparison;
import io.circuitscope.validation.Estimate;
import io.circuitscope.validation.FaithfulnessCurve;
import io.circuitscope.validation.ValidationReport;

/**
 * Writes validation results as the "validation" ({@link ValidationReport}) and "comparison" ({@link CircuitComparison})
 * sections of circuit.json.
 */
public final class ValidationSections {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ValidationSections() {
    }

    public static ObjectNode validation(ValidationReport r) {
        ObjectNode o = JSON.createObjectNode();
        ArrayNode rows = o.putArray("metrics");
        row(rows, "faithfulness", r.faithfulness(), r.sufficient(), ">= " + Decimals.threshold(r.settings().sufficiencyThreshold()))
                .put("pass_over_interval", r.sufficientOverInterval());
        row(rows, "complement faithfulness (necessity)", r.complementFaithfulness(), r.necessary(),
                "<= " + Decimals.threshold(r.settings().necessityThreshold())).put("pass_over_interval", r.necessaryOverInterval());
        row(rows, "incompleteness (mean over subsets)", r.incompleteness(), null, null);
        row(rows, "incompleteness (max)", Estimate.point(r.maxIncompleteness()), null, null);
        o.put("sufficient", r.sufficient());
        o.put("necessary", r.necessary());
        o.put("sufficient_over_interval", r.sufficientOverInterval());
        o.put("necessary_over_interval", r.necessaryOverInterval());
        if (r.minimalityApplies()) {
            o.put("minimal", r.minimal());
        } else {
            o.putNull("minimal"); // an empty circuit: no components, no verdict
        }
        o.put("overshoots", r.overshoots());
        o.put("intervals_stable", r.intervalsStable());
        row(rows, "clean-corrupted gap, share of the task's", r.gapShare(), null, null);
        o.put("clean", r.clean());
        o.put("corrupted", r.corrupted());
        ArrayNode components = o.putArray("minimality");
        for (ValidationReport.ComponentScore c : r.components()) {
            ObjectNode n = components.addObject();
            n.put("name", c.name());
            n.put("kind", c.node() ? "node" : "edge");
            n.put("faithfulness_drop", c.score());
            // the same number under the key it had first, for readers of older files; it is no edge or node score
            n.put("score", c.score());
            n.put("minimal", c.minimal());
        }
        ObjectNode settings = o.putObject("settings");
        settings.put("sufficiency_threshold", r.settings().sufficiencyThreshold());
        settings.put("necessity_threshold", r.settings().necessityThreshold());
        settings.put("minimality_threshold", r.settings().minimalityThreshold());
        settings.put("completeness_samples", r.settings().completenessSamples());
        settings.put("bootstrap_samples", r.settings().bootstrapSamples());
        settings.put("confidence", r.settings().confidence());
        settings.put("seed", r.settings().seed());
        o.put("forward_passes", r.forwardPasses());
        return o;
    }

    private static ObjectNode row(ArrayNode rows, String name, Estimate e, Boolean pass, String rule) {
        ObjectNode n = rows.addObject();
        n.put("name", name);
        JsonNumbers.put(n, "value", e.value());
        if (!Double.isNaN(e.low())) {
            n.put("ci_low", e.low());
            n.put("ci_high", e.high());
        }
        if (pass != null) {
            n.put("pass", pass);
            n.put("rule", rule);
        }
        return n;
    }

    /**
     * Faithfulness by circuit size with edges ranked by importance ({@link io.circuitscope.core.graph.EdgeScores#ranking}:
     * |score|, except where the method ranks by its own importance, ACDC's damage or AtP*'s GradDrop): the curve CMD is
     * the area of |1 - f| of.
     */
    public static final String BY_SIZE_ABSOLUTE = "faithfulness_by_size";
    /** Faithfulness by circuit size with edges ranked by signed score: the curve CPR is the area under. */
    public static final String BY_SIZE_SIGNED = "faithfulness_by_size_signed";

    /**
     * Precision/recall of edges and of component nodes (heads and MLPs), ROC of the circuit's scores, and MIB's
     * CPR/CMD, with the two curves they are areas of: {@value #BY_SIZE_SIGNED} (edges ranked by signed score, CPR's)
     * and {@value #BY_SIZE_ABSOLUTE} (ranked by importance, CMD's).
     */
    public static ObjectNode comparison(TaskPatcher task, Circuit circuit, Circuit reference, String referenceName) {
        return comparison(task, circuit, reference, referenceName, task.metric());
    }

    /**
     * @param scoresMetric the metric the circuit's scores were computed with (its {@code method.metric}), which ranks
     *                     them by signed score for CPR; null when unknown (an imported file), when the task's metric
     *                     ranks them. Recorded as {@code scores_metric} beside {@code metric}, the one faithfulness
     *                     is measured with.
     */
    public static ObjectNode comparison(TaskPatcher task, Circuit circuit, Circuit reference, String referenceName,
            Metric scoresMetric) {
        return comparison(task, circuit, reference, referenceName, scoresMetric, false);
    }

    /**
     * What {@code scores_sign} holds when the circuit's scores are an imported EAP-IG file's: EAP-IG attributes with
     * a loss (minus the logit difference, or KL), so a higher score is an edge whose patching raises the loss, one
     * that supports the behaviour, whatever metric judges the circuit.
     */
    public static final String EAP_IG_LOSS_SIGN = "eap-ig loss: higher supports";

    /**
     * @param eapIgScores whether the circuit's scores are EAP-IG's (an imported Graph.to_json file, which records no
     *                    metric): CPR then ranks higher scores first, as a loss's, and {@code scores_sign} records
     *                    {@value #EAP_IG_LOSS_SIGN}; {@code scoresMetric} is then ignored
     */
    public static ObjectNode comparison(TaskPatcher task, Circuit circuit, Circuit reference, String referenceName,
            Metric scoresMetric, boolean eapIgScores) {
        ObjectNode o = JSON.createObjectNode();
        o.put("reference", referenceName);
        o.put("metric", task.metric().name());
        boolean higherScoreSupports;
        if (eapIgScores) {
            o.putNull("scores_metric"); // EAP-IG's file names no metric; its scores are a loss's, whichever
            o.put("scores_sign", EAP_IG_LOSS_SIGN);
            higherScoreSupports = true;
        } else if (scoresMetric != null) {
            o.put("scores_metric", scoresMetric.name());
            higherScoreSupports = !scoresMetric.higherIsBetter();
        } else {
            o.putNull("scores_metric"); // not recorded: ranked as under the metric measuring faithfulness
            higherScoreSupports = !task.metric().higherIsBetter();
        }
        CircuitComparison c = CircuitComparison.of(task, circuit, reference, higherScoreSupports);
        if (c.acrossPositions()) {
            o.put("compared_across_positions", true);
        }
        // 0 / 0 (an empty circuit's precision, an empty reference's recall) is null: JSON has no NaN
        JsonNumbers.put(o, "edge_precision", c.edges().precision());
        JsonNumbers.put(o, "edge_recall", c.edges().recall());
        counts(o.putObject("edge_counts"), c.edges());
        JsonNumbers.put(o, "node_precision", c.nodes().precision());
        JsonNumbers.put(o, "node_recall", c.nodes().recall());
        counts(o.putObject("node_counts"), c.nodes());
        o.put("nodes_compared", CircuitComparison.NODES_COMPARED);
        if (c.roc() != null) {
            JsonNumbers.put(o, "auc", c.roc().auc());
            ArrayNode points = o.putArray("roc");
            for (double[] p : c.roc().points()) {
                points.addArray().add(p[0]).add(p[1]);
            }
        }
        if (c.nodeRoc() != null) { // heads and MLPs ranked by importance, as ACDC's node-level AUCs
            JsonNumbers.put(o, "node_auc", c.nodeRoc().auc());
        }
        FaithfulnessCurve curve = c.curve();
        if (curve == null) { // no edge scored: no ranking, so no ROC, no curves and no areas of them
            o.putNull("cpr");
            o.putNull("cmd");
            o.put("unranked", UNRANKED);
            return o;
        }
        JsonNumbers.put(o, "cpr", curve.cpr());
        JsonNumbers.put(o, "cmd", curve.cmd());
        // CMD's curve (edges ranked by importance), under the key it always had, and CPR's (ranked by signed score)
        ArrayNode absolute = o.putArray(BY_SIZE_ABSOLUTE);
        ArrayNode signed = o.putArray(BY_SIZE_SIGNED);
        for (int i = 0; i < curve.fractions().length; i++) {
            absolute.addObject().put("fraction", curve.fractions()[i]).put("faithfulness", curve.absoluteFaithfulness()[i]);
            signed.addObject().put("fraction", curve.fractions()[i]).put("faithfulness", curve.signedFaithfulness()[i]);
        }
        return o;
    }

    /** Why a comparison of a circuit without scores has no AUC, CPR or CMD ({@code comparison.unranked}). */
    public static final String UNRANKED = "the circuit scores no edge, so no ranking: no ROC AUC, CPR or CMD";

    private static void counts(ObjectNode o, CircuitComparison.Counts counts) {
        o.put("circuit", counts.circuit());
        o.put("reference", counts.reference());
        o.put("both", counts.both());
    }
}

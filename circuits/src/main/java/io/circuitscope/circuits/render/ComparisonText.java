package io.circuitscope.circuits.render;

import com.fasterxml.jackson.databind.JsonNode;
import io.circuitscope.circuits.io.ValidationSections;
import java.util.Locale;

/**
 * How the console (discover, validate) and the report say a circuit.json's {@code comparison} section: its ratios with
 * their counts and the notes on how it was compared.
 */
public final class ComparisonText {
    private ComparisonText() {
    }

    /** Said beside precision and recall when positions were merged: right edges at wrong positions still count. */
    public static final String ACROSS_POSITIONS = "(compared across positions: an edge counts if kept at any position)";

    /** {@link #ACROSS_POSITIONS} with a leading space when {@code comparison} merged positions, else "". */
    public static String acrossPositionsNote(JsonNode comparison) {
        return comparison.path("compared_across_positions").asBoolean(false) ? " " + ACROSS_POSITIONS : "";
    }

    /**
     * Said when the comparison measured faithfulness with another metric than the one the circuit's scores were
     * computed with (or with one its file does not record), naming both, and always for EAP-IG's scores (ranked as a
     * loss's, {@code scores_sign}); null when the metrics are the same, the comparison predates {@code scores_metric},
     * or the circuit scores no edge ({@code unranked}: there is no CPR to rank for).
     */
    public static String scoresMetricNote(JsonNode comparison) {
        JsonNode metric = comparison.get("metric");
        JsonNode scores = comparison.get("scores_metric");
        if (metric == null || !metric.isTextual() || comparison.path("unranked").isTextual()) {
            return null;
        }
        if (ValidationSections.EAP_IG_LOSS_SIGN.equals(comparison.path("scores_sign").asText(null))) {
            return "faithfulness is measured with " + metric.asText() + "; the circuit's scores are EAP-IG's, which "
                    + "attributes with a loss (minus the logit difference, or KL), so CPR ranks them as a loss's: higher = "
                    + "helps the behaviour, whatever metric judges it";
        }
        if (scores == null) {
            return null;
        }
        if (scores.isNull()) {
            return "faithfulness is measured with " + metric.asText() + "; the circuit's file records no metric for its "
                    + "scores, so CPR ranks them as " + metric.asText() + " reads them";
        }
        if (scores.asText().equals(metric.asText())) {
            return null;
        }
        String sign = ScoreMeaning.importantSign(scores.asText());
        return "faithfulness is measured with " + metric.asText() + "; the circuit's scores were computed with "
                + scores.asText() + ", so CPR ranks them as " + scores.asText() + " reads them"
                + (sign == null ? "" : " (" + sign + " = helps the behaviour)");
    }

    /**
     * A precision, recall or other number of the comparison to three decimals; "n/a" where it is undefined: an empty
     * circuit's precision (0 / 0) is null, and files written before that hold the string "NaN".
     */
    public static String ratio(JsonNode value) {
        double v = value == null || value.isNull() ? Double.NaN : value.asDouble();
        return Double.isNaN(v) || value.asText().equals("NaN") ? "n/a" : String.format(Locale.ROOT, "%.3f", v);
    }

    /**
     * "1.000 (12/12)": a precision or recall from the comparison with the counts it divides, when the file has them
     * ({@code edge_counts}, {@code node_counts}); "n/a (0/0)" for 0 / 0.
     */
    public static String ratioWithCounts(JsonNode comparison, String kind, boolean recall) {
        String text = ratio(comparison.get(kind + (recall ? "_recall" : "_precision")));
        JsonNode counts = comparison.get(kind + "_counts");
        if (counts == null || !counts.has("both")) {
            return text;
        }
        return text + " (" + counts.get("both").asInt() + "/" + counts.get(recall ? "reference" : "circuit").asInt() + ")";
    }
}

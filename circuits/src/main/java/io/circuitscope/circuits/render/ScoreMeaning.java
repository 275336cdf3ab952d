package io.circuitscope.circuits.render;

import java.util.Map;

/**
 * What a circuit.json's edge scores are, by the method that stored them: not every method stores
 * m(edge patched) - m(clean). A scorer stores its estimate of it, {@code exact} the exact value, ACDC the exact
 * effect of removing the edge from the circuit as it stood when the edge was tried (m(after) - m(before), in a
 * circuit already shrunk by the removals before it), and the pipeline ACDC's effects for the candidates it verified
 * and the scorer's estimates elsewhere. A node's score is always the sum of its out-edges' scores.
 */
public final class ScoreMeaning {
    private ScoreMeaning() {
    }

    static final String PATCHED = "m(edge patched) - m(clean), the metric's change when that edge alone is patched";
    static final String ACDC = "ACDC's exact effect of removing the edge from the circuit as it stood when the edge "
            + "was tried, m(after) - m(before) (earlier removals had already shrunk the circuit)";

    /** What the edge scores of a circuit found by {@code method} (circuit.json's method section) are. */
    public static String ofEdges(Map<String, Object> method) {
        String key = String.valueOf(method.get("key"));
        switch (key) {
            case "acdc":
                return "a score is " + ACDC + "; edges ACDC never tried are unscored";
            case "exact":
                return "a score is the exact " + PATCHED + " in the full model";
            case "pipeline":
                Object scorer = method.get("scorer");
                return "for the candidates ACDC verified, a score is " + ACDC + "; for the other edges it is "
                        + (scorer != null ? scorer + "'s" : "the scorer's") + " estimate of " + PATCHED;
            case "atp":
                return "a score is EAP's first-order estimate of " + PATCHED;
            case "imported":
                return "a score is the one the imported file records";
            case "null":
                return "a score is the one the file records (its method is not recorded)";
            default:
                return "a score is " + key + "'s estimate of " + PATCHED;
        }
    }

    /** What a node's score is: the sum of its out-edges' scores, whatever those are. */
    public static final String NODE = "the sum of its out-edges' scores";

    /** "A node's score is the sum of its out-edges' scores", and what that sum estimates where it estimates anything. */
    public static String ofNodes(Map<String, Object> method) {
        String key = String.valueOf(method.get("key"));
        // EAP's estimate is linear in the patch, so its out-edges sum to the node's own first-order estimate
        boolean linear = key.equals("eap") || key.equals("atp");
        return "A node's score is " + NODE + (linear ? ", which for EAP's linear estimates is the first-order estimate "
                + "of patching the node" : " (" + ofEdges(method) + ")");
    }

    /** What a node's own importance is, where the file gives one: AtP*'s, or an EAP-IG node attribution's score. */
    public static String ofNodeImportance(Map<String, Object> method) {
        return Boolean.TRUE.equals(method.get(io.circuitscope.circuits.io.CircuitJson.NODE_SCORES_ONLY))
                ? "|the node's score in the imported EAP-IG file| (its node attribution, whose edges all score 0; "
                        + "validate's rewrite keeps the signed scores in imported_node_scores)"
                : "the larger of |score| and GradDrop's per-prompt magnitude";
    }

    /**
     * Which sign of a score the metric named {@code metric} (as a circuit.json records it) calls important,
     * {@link io.circuitscope.core.task.Metric#importantSign()}; null for no metric or one this version does not know.
     */
    static String importantSign(String metric) {
        if (metric == null) {
            return null;
        }
        try {
            return io.circuitscope.core.task.Metrics.byName(metric).importantSign();
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}

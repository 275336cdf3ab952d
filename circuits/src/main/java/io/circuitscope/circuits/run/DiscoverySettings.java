package io.circuitscope.circuits.run;

import io.circuitscope.core.graph.Ablation;
import io.circuitscope.discovery.CandidateBudget;
import io.circuitscope.discovery.Discovery;
import io.circuitscope.discovery.DiscoveryOptions;
import io.circuitscope.discovery.Methods;
import io.circuitscope.discovery.SettingNames;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Settings of one discovery run, with the documented defaults: method pipeline, scorer eap-ig with
 * 5 steps, 200 candidates, tau 0.01, metric kl, resample ablation, 100 edges for scorer-only
 * methods, 10 nodes for atp, batch size 16, seed 0, edges not split by position.
 *
 * <p>Method, scorer, metric and the candidate budget 'all' are taken in any case and kept in lower case, as circuit.json
 * records them ({@code --method ACDC --metric LOGIT-DIFF} is recorded as {@code acdc} and {@code logit-diff}).
 *
 * @param byPosition split every edge by token position (a position-aware circuit; all prompts of the task
 *                   must have the same length)
 */
public record DiscoverySettings(String method, String scorer, String candidates, double tau, String metric,
        Ablation ablation, int igSteps, int edges, int nodes, int batchSize, long seed, boolean byPosition) {

    /**
     * The least value of each whole-number setting, by its name in circuit.json and batch plans; discover's
     * options (--ig-steps, --batch-size, --edges, --nodes) and batch plans both check against these.
     */
    public static final Map<String, Integer> LEAST = Map.of("ig_steps", 1, "batch_size", 1, "edges", 0, "nodes", 0);

    public DiscoverySettings {
        method = Methods.canonical(method);
        scorer = Methods.canonical(scorer);
        // 'all' in any case; a number stays as typed (Double.parseDouble reads NaN and Infinity in their case only)
        candidates = candidates != null && candidates.equalsIgnoreCase("all") ? "all" : candidates;
        metric = metric == null ? null : metric.toLowerCase(java.util.Locale.ROOT); // as Metrics.byName reads it
        Map<String, Integer> whole = new java.util.LinkedHashMap<>(); // checked in this order: the first bad one is named
        whole.put("ig_steps", igSteps);
        whole.put("batch_size", batchSize);
        whole.put("edges", edges);
        whole.put("nodes", nodes);
        for (Map.Entry<String, Integer> setting : whole.entrySet()) {
            if (setting.getValue() < LEAST.get(setting.getKey())) {
                throw new IllegalArgumentException(setting.getKey() + " must be at least " + LEAST.get(setting.getKey())
                        + ", got " + setting.getValue());
            }
        }
        String tauProblem = tauProblem(tau);
        if (tauProblem != null) {
            throw new IllegalArgumentException("tau " + tauProblem);
        }
    }

    /** Why {@code tau} cannot be ACDC's threshold (and a scorer's false-negative bound), or null when it can. */
    public static String tauProblem(double tau) {
        return tau >= 0 && tau < Double.POSITIVE_INFINITY ? null : "must be a finite number >= 0 (the ACDC threshold), got " + tau;
    }

    /**
     * What a tau of 0 does under a metric that is at its least with every edge kept (KL divergence from the clean
     * run, 0 there), where the method uses tau: ACDC (acdc, the pipeline's verification) removes an edge only when
     * the damage is below tau, that is when the removal lowers the metric, which from every edge kept no removal does,
     * so it keeps every edge (with a candidate budget, every candidate whose removal does not lower it); the
     * false-negative check (the pipeline with a budget, scorer-only methods but exact) counts an edge as missed when
     * its damage is tau or more, which from every edge kept is every edge whose patch does not lower the metric,
     * that is every one. Null where none of this applies (tau above 0, a metric that can fall, an unknown metric, a
     * method that uses neither). Tau is named as {@code names} does: "--tau 0 under kl: ..." for discover's option,
     * "tau 0 under kl: ..." for a batch plan's field.
     */
    public String tauZeroNote(SettingNames names) {
        String name = names.of("tau");
        boolean leastWhenKept;
        try {
            leastWhenKept = io.circuitscope.core.task.Metrics.byName(metric).needsCleanReference();
        } catch (IllegalArgumentException e) {
            return null;
        }
        if (tau != 0 || !leastWhenKept) {
            return null;
        }
        boolean acdc = method.equals(Methods.ACDC) || method.equals(Methods.PIPELINE);
        boolean everyEdge = method.equals(Methods.ACDC) || (acdc && candidates.equals("all"));
        boolean bound = (acdc && !everyEdge) || (Methods.isScorer(method) && !method.equals("exact"));
        if (!acdc && !bound) {
            return null;
        }
        java.util.List<String> parts = new java.util.ArrayList<>();
        if (everyEdge) {
            parts.add("ACDC removes an edge only when that lowers " + metric + ", which is 0 with every edge kept and cannot "
                    + "go lower, so it keeps every edge");
        } else if (acdc) {
            parts.add("ACDC keeps every candidate edge whose removal does not lower " + metric);
        }
        if (bound) {
            parts.add("the false-negative check counts as missed every sampled edge whose patch does not lower " + metric
                    + ", and from 0 none does");
        }
        return name + " 0 under " + metric + ": " + String.join("; ", parts) + " (a " + name + " above 0 "
                + (acdc ? "prunes" : "counts only the edges that matter") + ")";
    }

    /**
     * The discovery's own part of these settings ({@link Discovery#find}); the rest prepare its task (metric, ablation,
     * batch size, by position) or record the run ({@link #asMap}).
     */
    public DiscoveryOptions options() {
        return new DiscoveryOptions(method, scorer, candidates, tau, igSteps, edges, nodes, seed);
    }

    public static DiscoverySettings defaults() {
        return new DiscoverySettings("pipeline", "eap-ig", "200", 0.01, "kl", Ablation.RESAMPLE, 5, 100, 10, 16, 0, false);
    }

    /**
     * The candidate budget as circuit.json records it: as given, but AtP*'s bound in its canonical form with F spelt
     * out ('bound' is 'bound:0.05'), so the file says what ran even if the default changes. Left as given when it
     * does not parse ({@code DiscoveryRun.check} refuses it).
     */
    private String recordedCandidates() {
        try {
            return CandidateBudget.parse(candidates) instanceof CandidateBudget.Bound b ? b.text() : candidates;
        } catch (IllegalArgumentException e) {
            return candidates;
        }
    }

    public Map<String, Object> asMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("key", method);
        m.put("scorer", method.equals(Methods.PIPELINE) ? scorer : null);
        m.put("candidates", method.equals(Methods.PIPELINE) ? recordedCandidates() : null);
        // scorer-only methods use tau for their false-negative bound (exact patching needs none)
        m.put("tau", method.equals(Methods.PIPELINE) || method.equals(Methods.ACDC)
                || (Methods.isScorer(method) && !method.equals("exact")) ? tau : null);
        m.put("metric", metric);
        m.put("ablation", ablation.key());
        String scoring = method.equals(Methods.PIPELINE) ? scorer : method;
        m.put("ig_steps", Methods.takesIgSteps(scoring) ? igSteps : null);
        m.put("edges", Methods.isScorer(method) ? edges : null);
        m.put("nodes", method.equals(Methods.ATP) ? nodes : null);
        m.put("batch_size", batchSize);
        m.put("seed", seed);
        m.put("by_position", byPosition);
        return m;
    }
}

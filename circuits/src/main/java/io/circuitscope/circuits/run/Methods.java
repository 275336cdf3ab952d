package io.circuitscope.circuits.run;

import io.circuitscope.discovery.EapIg;
import io.circuitscope.discovery.Eap;
import io.circuitscope.discovery.EdgeScorer;
import io.circuitscope.discovery.ExhaustivePatching;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.IntFunction;

/** The discovery methods and scorers by their command-line keys (data, not an if/else over strings). */
public final class Methods {
    /** Scorers by key; the argument is the number of integrated-gradient steps where one applies. */
    private static final Map<String, IntFunction<EdgeScorer>> SCORERS = new LinkedHashMap<>();

    static {
        SCORERS.put("eap", steps -> new Eap());
        SCORERS.put("eap-ig", EapIg::new);
        SCORERS.put("atp-star", steps -> new io.circuitscope.discovery.AtpStar());
        SCORERS.put("relp", steps -> new io.circuitscope.discovery.RelP(false));
        SCORERS.put("relp-ah", steps -> new io.circuitscope.discovery.RelP(true));
        SCORERS.put("exact", steps -> new ExhaustivePatching(64));
    }

    /** Methods that are not a plain edge scorer. */
    public static final String ACDC = "acdc";
    /** Node-level attribution patching: keeps the top nodes and the edges between them. */
    public static final String ATP = "atp";
    public static final String PIPELINE = "pipeline";

    private Methods() {
    }

    public static EdgeScorer scorer(String key, int igSteps) {
        IntFunction<EdgeScorer> f = SCORERS.get(key);
        if (f == null) {
            throw new IllegalArgumentException("unknown scorer '" + key + "' (known: " + String.join(", ", SCORERS.keySet())
                    + ")");
        }
        return f.apply(igSteps);
    }

    /**
     * Whether the method (or scorer) differentiates the metric at the clean run: node AtP, and every
     * scorer that says so ({@link EdgeScorer#differentiatesAtClean}).
     */
    public static boolean differentiatesAtClean(String key) {
        return key.equals(ATP) || (isScorer(key) && scorer(key, 1).differentiatesAtClean());
    }

    public static boolean isScorer(String key) {
        return SCORERS.containsKey(key);
    }

    public static java.util.Set<String> methodKeys() {
        java.util.Set<String> keys = new java.util.LinkedHashSet<>();
        keys.add(ACDC);
        keys.add(ATP);
        keys.addAll(SCORERS.keySet());
        keys.add(PIPELINE);
        return keys;
    }
}

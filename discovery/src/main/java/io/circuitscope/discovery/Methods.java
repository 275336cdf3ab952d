package io.circuitscope.discovery;

import io.circuitscope.core.model.GradientRules;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntFunction;

/** The discovery methods and scorers by their keys (data, not an if/else over strings). */
public final class Methods {
    /** Exact patching of every edge: a scorer for discover, the ground truth compare-scorers compares with. */
    public static final String EXACT = "exact";

    /** Scorers by key; the argument is the number of integrated-gradient steps where one applies. */
    private static final Map<String, IntFunction<EdgeScorer>> SCORERS = new LinkedHashMap<>();

    static {
        SCORERS.put("eap", steps -> new Eap());
        SCORERS.put("eap-ig", EapIg::new);
        SCORERS.put("eap-ig-inputs", steps -> new EapIg(steps, EapIg.Interpolation.INPUTS));
        SCORERS.put("atp-star", steps -> new AtpStar());
        SCORERS.put("relp", steps -> new RelP(false));
        SCORERS.put("relp-ah", steps -> new RelP(true));
        SCORERS.put(EXACT, steps -> new ExhaustivePatching(64));
    }

    /** Methods that are not a plain edge scorer. */
    public static final String ACDC = "acdc";
    /** Node-level attribution patching: keeps the top nodes and the edges between them. */
    public static final String ATP = "atp";
    public static final String PIPELINE = "pipeline";

    private Methods() {
    }

    /** RelP with a chosen set of LRP rules: {@code relp:} followed by {@link GradientRules#parse}'s names. */
    public static final String RELP_RULES_PREFIX = "relp:";

    /**
     * A method or scorer key as recorded: in lower case. Keys are taken in any case, as metrics, ablations and
     * candidate budgets are ({@code ACDC} is {@code acdc}, {@code relp:LN+Half} is {@code relp:ln+half}).
     */
    public static String canonical(String key) {
        return key == null ? null : key.toLowerCase(Locale.ROOT);
    }

    /** The scorer {@code key} names, in any case ({@link #canonical}). */
    public static EdgeScorer scorer(String key, int igSteps) {
        return scorer(key, igSteps, SCORERS.keySet());
    }

    /**
     * The scorer {@code key} names among {@code offered} (some of {@link #scorerKeys}) or in the {@code relp:RULES}
     * form, in any case: an unknown key's error lists only the offered ones, those the caller accepts.
     */
    public static EdgeScorer scorer(String key, int igSteps, java.util.Set<String> offered) {
        key = canonical(key);
        if (key.startsWith(RELP_RULES_PREFIX)) {
            return new RelP(GradientRules.parse(key.substring(RELP_RULES_PREFIX.length())));
        }
        IntFunction<EdgeScorer> f = offered.contains(key) ? SCORERS.get(key) : null;
        if (f == null) {
            throw new IllegalArgumentException("unknown scorer '" + key + "' (known: " + String.join(", ", offered)
                    + relpRulesForm() + ")");
        }
        return f.apply(igSteps);
    }

    /**
     * Whether the method (or scorer) differentiates the metric at the clean run: node AtP, and every
     * scorer that says so ({@link EdgeScorer#differentiatesAtClean}; for eap-ig, only with one step).
     */
    public static boolean differentiatesAtClean(String key, int igSteps) {
        return canonical(key).equals(ATP) || (isScorer(key) && scorer(key, Math.max(1, igSteps)).differentiatesAtClean());
    }

    /**
     * What to use instead of a scorer that differentiates at the clean run, where KL's gradient is zero, naming the
     * settings as {@code names} does.
     */
    public static String insteadOfCleanGradient(String key, SettingNames names) {
        return isScorer(key) && scorer(key, 1) instanceof EapIg ? "use 2 or more steps (" + names.of("ig_steps")
                + "), or the logit-diff metric"
                : "use " + names.of("metric") + " logit-diff (or another task metric), or eap-ig or eap-ig-inputs";
    }

    /** Whether the method (or pipeline scorer) {@code key} differentiates the metric: AtP and every gradient scorer. */
    public static boolean usesGradients(String key) {
        return canonical(key).equals(ATP) || (isScorer(key) && scorer(key, 1).usesGradients());
    }

    /** Whether the method (or pipeline scorer) {@code key} integrates gradients over steps ({@code --ig-steps}). */
    public static boolean takesIgSteps(String key) {
        return isScorer(key) && scorer(key, 1) instanceof EapIg;
    }

    /** A scorer key: one of the named scorers, or {@code relp:RULES} with valid rules. */
    public static boolean isScorer(String key) {
        try {
            scorer(key, 1); // constructing a scorer does no work
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * Refuses a key that names no method (in any case, {@link #canonical}): an unknown key with the list of known ones, a {@code relp:RULES}
     * key with the rule that is wrong.
     */
    public static void checkMethod(String key) {
        key = canonical(key);
        if (key.equals(ACDC) || key.equals(ATP) || key.equals(PIPELINE) || SCORERS.containsKey(key)) {
            return;
        }
        if (key.startsWith(RELP_RULES_PREFIX)) {
            GradientRules.parse(key.substring(RELP_RULES_PREFIX.length()));
            return;
        }
        throw new IllegalArgumentException("unknown method '" + key + "' (known: " + String.join(", ", methodKeys())
                + relpRulesForm() + ")");
    }

    private static String relpRulesForm() {
        return ", or relp:RULES with RULES from " + String.join(", ", GradientRules.RULE_NAMES) + " joined by '+', or none";
    }

    /** The named scorers (without the relp:RULES form). */
    public static java.util.Set<String> scorerKeys() {
        return java.util.Collections.unmodifiableSet(SCORERS.keySet());
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

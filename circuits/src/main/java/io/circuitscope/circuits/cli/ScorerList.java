package io.circuitscope.circuits.cli;

import io.circuitscope.discovery.Methods;
import io.circuitscope.discovery.EdgeScorer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * compare-scorers' {@code --scorers}: the scorers to compare, each once by its key (whatever the case, and {@code
 * relp:ln+identity+half} is {@code relp}: a repeat would be scored twice and shown once), and never exact patching,
 * which is what they are compared with.
 *
 * @param repeatNote names the scorers given more than once, and how, null when none was
 */
record ScorerList(List<EdgeScorer> scorers, String repeatNote) {
    /** The scorers compare-scorers offers: every named one but exact patching. */
    static final Set<String> OFFERED = offered();

    private static Set<String> offered() {
        Set<String> keys = new LinkedHashSet<>(Methods.scorerKeys());
        keys.remove(Methods.EXACT);
        return java.util.Collections.unmodifiableSet(keys);
    }

    /** The scorers {@code typed} names; an empty list or name, exact or an unknown scorer is refused, naming --scorers. */
    static ScorerList parse(List<String> typed, int igSteps) {
        if (typed.isEmpty()) {
            throw new IllegalArgumentException("--scorers names no scorer; give one or more of " + String.join(", ", OFFERED));
        }
        Map<String, EdgeScorer> byKey = new LinkedHashMap<>();
        Map<String, List<String>> spellings = new LinkedHashMap<>();
        for (String name : typed) {
            String key = name.trim();
            if (key.isEmpty()) {
                throw new IllegalArgumentException("--scorers " + String.join(",", typed) + ": an empty scorer name");
            }
            if (Methods.canonical(key).equals(Methods.EXACT)) {
                throw new IllegalArgumentException("--scorers: '" + key + "' is what the scorers are compared with, not a "
                        + "scorer to compare");
            }
            EdgeScorer scorer;
            try {
                scorer = Methods.scorer(key, igSteps, OFFERED);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--scorers: " + e.getMessage(), e);
            }
            byKey.putIfAbsent(scorer.key(), scorer);
            spellings.computeIfAbsent(scorer.key(), k -> new ArrayList<>()).add(key);
        }
        List<String> repeats = spellings.entrySet().stream().filter(e -> e.getValue().size() > 1)
                .map(e -> e.getKey() + " (" + String.join(", ", e.getValue()) + ")").toList();
        return new ScorerList(List.copyOf(byKey.values()), repeats.isEmpty() ? null
                : "--scorers names " + String.join(" and ", repeats) + " more than once; each is compared once");
    }
}

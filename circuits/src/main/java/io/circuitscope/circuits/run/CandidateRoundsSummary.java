package io.circuitscope.circuits.run;

import io.circuitscope.discovery.CandidateBudget;
import io.circuitscope.discovery.CandidateRounds;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How {@code --candidates bound[:F]} grew the candidate set, as circuit.json's {@code summary.candidate_rounds}
 * ({@link #of}) and as discover's one console line about it ({@link #line}, read back from that map).
 */
public final class CandidateRoundsSummary {
    private CandidateRoundsSummary() {
    }

    public static Map<String, Object> of(CandidateRounds r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("budget", r.bound().text());
        m.put("max_fraction", r.bound().maxFraction());
        m.put("confidence", CandidateBudget.Bound.CONFIDENCE);
        m.put("sample_size", r.bound().sampleSize());
        List<Map<String, Object>> rounds = new ArrayList<>();
        for (CandidateRounds.Round round : r.rounds()) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("k", round.k());
            o.put("unverified_edges", round.unverified());
            o.put("sampled", round.sampled());
            o.put("found_above_tau", round.found());
            o.put("found_edges", round.foundEdges());
            rounds.add(o);
        }
        m.put("rounds", rounds);
        m.put("candidates", r.k());
        m.put("stopped_by_bound", r.stoppedByBound());
        return m;
    }

    /**
     * E.g. "candidates by AtP*'s bound: 64 -> 128 (round 1 found 2 of 59 above tau), stopped at 128: round 2 found
     * none of 59 sampled from the 134 unverified (no bound: the false-negatives line bounds them, on a sample of its
     * own)". The rounds, not a bound: the stopping round always reads "none found", so its sample's Clopper-Pearson
     * bound would be biased ({@link CandidateBudget.Bound}).
     */
    public static String line(Map<?, ?> m) {
        List<?> rounds = (List<?>) m.get("rounds");
        int candidates = ((Number) m.get("candidates")).intValue();
        if (rounds.isEmpty()) {
            return String.format(Locale.ROOT, "candidates by AtP*'s bound: all %d edges (the graph has no more than the "
                    + "first round's %d), no round needed", candidates, CandidateBudget.Bound.FIRST_CANDIDATES);
        }
        StringBuilder s = new StringBuilder("candidates by AtP*'s bound: ").append(number(round(rounds, 0).get("k")));
        for (int i = 0; i < rounds.size(); i++) {
            Map<?, ?> round = round(rounds, i);
            if (number(round.get("found_above_tau")) > 0) {
                int next = i + 1 < rounds.size() ? number(round(rounds, i + 1).get("k")) : candidates;
                s.append(String.format(Locale.ROOT, " -> %d (round %d found %d of %s%d above tau)", next, i + 1,
                        number(round.get("found_above_tau")), exhaustive(round) ? "all " : "",
                        number(round.get("sampled"))));
            }
        }
        Map<?, ?> last = round(rounds, rounds.size() - 1);
        if (!Boolean.TRUE.equals(m.get("stopped_by_bound"))) {
            return s.append(", every edge a candidate").toString();
        }
        if (exhaustive(last)) {
            return s.append(String.format(Locale.ROOT, ", stopped at %d: none of all %d unverified edges found above tau "
                    + "(every one patched)", candidates, number(last.get("unverified_edges")))).toString();
        }
        return s.append(String.format(Locale.ROOT, ", stopped at %d: round %d found none of %d sampled from the %d "
                + "unverified (no bound: the false-negatives line bounds them, on a sample of its own)", candidates,
                rounds.size(), number(last.get("sampled")), number(last.get("unverified_edges")))).toString();
    }

    /**
     * The number (from 1) of the round whose count is {@code summary.false_negative_bound}, or 0 when a check of its
     * own made that bound: the last round patched every edge left outside the final candidates, so the pipeline took
     * its exact count as the bound instead of patching the same edges again ({@code Pipeline.census}).
     */
    public static int boundingRound(Map<?, ?> m) {
        List<?> rounds = (List<?>) m.get("rounds");
        if (rounds.isEmpty()) {
            return 0;
        }
        Map<?, ?> last = round(rounds, rounds.size() - 1);
        return exhaustive(last) && number(last.get("k")) == number(m.get("candidates")) ? rounds.size() : 0;
    }

    private static Map<?, ?> round(List<?> rounds, int i) {
        return (Map<?, ?>) rounds.get(i);
    }

    private static boolean exhaustive(Map<?, ?> round) {
        return number(round.get("sampled")) == number(round.get("unverified_edges"));
    }

    private static int number(Object o) {
        return ((Number) o).intValue();
    }
}

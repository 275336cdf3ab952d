package io.circuitscope.circuits.run;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.circuitscope.core.graph.Ablation;
import io.circuitscope.discovery.CandidateBudget;
import io.circuitscope.discovery.CandidateRounds;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The console line and circuit.json record of {@code --candidates bound[:F]}. */
class CandidateRoundsSummaryTest {
    private static final CandidateBudget.Bound BOUND = new CandidateBudget.Bound(0.05);

    private static boolean[] top(int k, int n) {
        boolean[] b = new boolean[n];
        for (int i = 0; i < k; i++) {
            b[i] = true;
        }
        return b;
    }

    private static CandidateRounds.Round round(int k, int n, int sampled, List<String> found) {
        return new CandidateRounds.Round(k, n - k, sampled, found.size(), found);
    }

    @Test
    void grownThenStoppedBySample() {
        CandidateRounds r = new CandidateRounds(BOUND, List.of(round(64, 262, 59, List.of("a->b", "c->d")),
                round(128, 262, 59, List.of())), top(128, 262));
        assertEquals("candidates by AtP*'s bound: 64 -> 128 (round 1 found 2 of 59 above tau), stopped at 128: round 2 "
                + "found none of 59 sampled from the 134 unverified (no bound: the false-negatives line bounds them, on "
                + "a sample of its own)", CandidateRoundsSummary.line(CandidateRoundsSummary.of(r)));
        var m = CandidateRoundsSummary.of(r);
        assertEquals(0, CandidateRoundsSummary.boundingRound(m), "sampled: the diagnostic bounds the rest");
        // no round carries a bound: the stopping round's would be biased (it always reads "none found")
        for (Object round : (List<?>) m.get("rounds")) {
            assertEquals(List.of("k", "unverified_edges", "sampled", "found_above_tau", "found_edges"),
                    List.copyOf(((java.util.Map<?, ?>) round).keySet()));
        }
        assertEquals("bound:0.05", m.get("budget"));
        assertEquals(59, m.get("sample_size"));
        assertEquals(128, m.get("candidates"));
        assertEquals(true, m.get("stopped_by_bound"));
        assertEquals(2, ((List<?>) m.get("rounds")).size());
    }

    @Test
    void grownToEveryEdgeAndCensusStops() {
        CandidateRounds all = new CandidateRounds(BOUND, List.of(round(64, 262, 59, List.of("a->b")),
                round(261, 262, 1, List.of("c->d"))), top(262, 262));
        assertEquals("candidates by AtP*'s bound: 64 -> 261 (round 1 found 1 of 59 above tau) -> 262 (round 2 found "
                + "1 of all 1 above tau), every edge a candidate", CandidateRoundsSummary.line(CandidateRoundsSummary.of(all)));
        CandidateRounds census = new CandidateRounds(BOUND, List.of(round(64, 110, 46, List.of())), top(64, 110));
        assertEquals("candidates by AtP*'s bound: 64, stopped at 64: none of all 46 unverified edges found above tau "
                + "(every one patched)", CandidateRoundsSummary.line(CandidateRoundsSummary.of(census)));
        assertEquals(1, CandidateRoundsSummary.boundingRound(CandidateRoundsSummary.of(census)), "its count is the bound");
        assertEquals(0, CandidateRoundsSummary.boundingRound(CandidateRoundsSummary.of(all)), "every edge: no bound");
        CandidateRounds none = new CandidateRounds(BOUND, List.of(), top(40, 40));
        assertEquals(0, CandidateRoundsSummary.boundingRound(CandidateRoundsSummary.of(none)));
        assertEquals("candidates by AtP*'s bound: all 40 edges (the graph has no more than the first round's 64), no "
                + "round needed", CandidateRoundsSummary.line(CandidateRoundsSummary.of(none)));
    }

    /** circuit.json's method records the bound canonically, F spelt out; other budgets as given. */
    @Test
    void theBoundIsRecordedInItsCanonicalForm() {
        for (String[] given : new String[][] {{"bound", "bound:0.05"}, {"BOUND:0.050", "bound:0.05"},
                {"bound:2e-2", "bound:0.02"}, {"200", "200"}, {">=0.5", ">=0.5"}, {"bound:0", "bound:0"}}) {
            DiscoverySettings d = DiscoverySettings.defaults();
            DiscoverySettings s = new DiscoverySettings(d.method(), d.scorer(), given[0], d.tau(), d.metric(),
                    Ablation.RESAMPLE, d.igSteps(), d.edges(), d.nodes(), d.batchSize(), d.seed(), false);
            assertEquals(given[1], s.asMap().get("candidates"), given[0]);
        }
    }
}

package io.circuitscope.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.EdgeScores;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.planted.PlantedModel;
import io.circuitscope.core.planted.PlantedModels;
import io.circuitscope.core.progress.Progress;
import io.circuitscope.core.task.Metrics;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code --candidates bound[:F]}: AtP*'s false-negative bound deciding how many top-ranked edges ACDC verifies. */
class BoundCandidatesTest {

    @Test
    void parsesTheBoundFormsAndRefusesFractionsOutsideZeroToOne() {
        assertEquals(new CandidateBudget.Bound(0.05), CandidateBudget.parse("bound"));
        assertEquals(new CandidateBudget.Bound(0.05), CandidateBudget.parse("BOUND"));
        assertEquals(new CandidateBudget.Bound(0.02), CandidateBudget.parse("bound:0.02"));
        assertEquals("bound:0.05", ((CandidateBudget.Bound) CandidateBudget.parse("bound")).text());
        assertEquals("bound:0.05", ((CandidateBudget.Bound) CandidateBudget.parse("Bound:0.050")).text());
        assertEquals("bound:0.001", ((CandidateBudget.Bound) CandidateBudget.parse("bound:1e-3")).text());
        for (String bad : List.of("bound:0", "bound:1", "bound:1.5", "bound:-0.1", "bound:x", "bound:", "bound:NaN",
                "bounds", "bound0.05")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CandidateBudget.parse(bad),
                    bad);
            assertTrue(e.getMessage().contains("'" + bad + "'") && e.getMessage().contains("0 < F < 1")
                    && e.getMessage().contains("'bound:F'") && e.getMessage().contains("'>=SCORE'")
                    && e.getMessage().contains("'all'"), e.getMessage());
        }
        // the message of the other forms names the bound too
        String other = assertThrows(IllegalArgumentException.class, () -> CandidateBudget.parse("lots")).getMessage();
        assertTrue(other.contains("'bound'") && other.contains("'bound:F'"), other);
    }

    /** S = ceil(ln 0.05 / ln(1 - F)): the least sample whose "none found" bounds the fraction at F. */
    @Test
    void theSampleIsTheLeastWhoseEmptyResultBoundsTheFractionAtF() {
        assertEquals(59, new CandidateBudget.Bound(0.05).sampleSize());
        assertEquals(149, new CandidateBudget.Bound(0.02).sampleSize());
        for (double f : new double[] {0.5, 0.2, 0.1, 0.05, 0.03, 0.02, 0.01, 0.001}) {
            int s = new CandidateBudget.Bound(f).sampleSize();
            assertEquals((int) Math.ceil(Math.log(0.05) / Math.log(1 - f)), s, "F " + f);
            assertTrue(FalseNegativeBound.upperFraction(0, s, 0.95) <= f, "F " + f);
            assertTrue(s == 1 || FalseNegativeBound.upperFraction(0, s - 1, 0.95) > f, "F " + f);
        }
    }

    /**
     * A scorer that ranks the edges in reverse of their exact damage puts every edge that matters at the bottom; the
     * first round must find some, and the growth must end with all of them among the candidates. Planted models are
     * small enough to patch every edge, so "all of them" is checked against the exact damage of each.
     */
    @ParameterizedTest
    @ValueSource(strings = {"ioi", "induction"})
    void aReversedRankingGrowsUntilEveryDamagingEdgeIsACandidate(String name) {
        onPlanted(name, 16, 16, tp -> {
            ComputationGraph g = tp.graph();
            double tau = 0.01;
            EdgeScores exact = new ExhaustivePatching(64).score(tp, Progress.NONE);
            List<Integer> damaging = damaging(exact, tau);
            EdgeScores reversed = reversed(exact);
            assertTrue(damaging.size() > 0 && damaging.size() < 60, name + ": " + damaging.size() + " edges damage");
            for (int e : damaging) {
                // the precondition: the reversed ranking puts them all below the first k
                assertTrue(rankOf(reversed, e) >= CandidateBudget.Bound.FIRST_CANDIDATES);
            }

            long before = tp.forwardPasses();
            CandidateRounds r = new CandidateBudget.Bound(0.05).grow(tp, reversed, tau, 0, Progress.NONE);
            System.out.printf("planted %s, reversed ranking: %d damaging edges of %d; rounds %s%n", name,
                    damaging.size(), g.nEdges(), r.rounds());
            assertTrue(r.rounds().get(0).found() > 0, "the first round must find misses: " + r.rounds());
            assertTrue(r.k() > CandidateBudget.Bound.FIRST_CANDIDATES, r.rounds().toString());
            if (name.equals("ioi")) { // 262 edges: the first round samples, later ones patch what is left
                assertTrue(r.rounds().size() >= 2, r.rounds().toString());
            }
            assertEquals(CandidateBudget.Bound.FIRST_CANDIDATES, r.rounds().get(0).k());
            for (int i = 1; i < r.rounds().size(); i++) {
                assertTrue(r.rounds().get(i).k() > r.rounds().get(i - 1).k(), r.rounds().toString());
            }
            // each k after a round that found misses: max(2k, 1 + the rank of the lowest-ranked edge found)
            for (int i = 0; i < r.rounds().size(); i++) {
                CandidateRounds.Round round = r.rounds().get(i);
                int lowest = round.foundEdges().stream().mapToInt(edge -> rankOf(reversed, g.edge(edge).index()))
                        .max().orElse(-1);
                int next = i + 1 < r.rounds().size() ? r.rounds().get(i + 1).k() : r.k();
                assertEquals(round.found() == 0 ? round.k() : Math.min(g.nEdges(), Math.max(2 * round.k(),
                        lowest + 1)), next, "after round " + (i + 1) + " of " + r.rounds());
            }
            boolean[] candidates = r.candidates();
            for (int e : damaging) {
                assertTrue(candidates[e], g.edges().get(e).name() + " damages KL by " + exact.get(e)
                        + " but is no candidate; rounds " + r.rounds());
            }
            assertEquals(r.k(), count(candidates));
            assertTrue(r.stoppedByBound() || r.k() == g.nEdges());
            // the candidates are the top k of the ranking, nothing else
            int[] order = reversed.ranking();
            for (int i = 0; i < order.length; i++) {
                assertEquals(i < r.k(), candidates[order[i]], "rank " + i);
            }
            // each round's sample is every edge found by patching it exactly: only damaging edges are found
            int found = 0;
            for (CandidateRounds.Round round : r.rounds()) {
                assertEquals(g.nEdges() - round.k(), round.unverified());
                assertEquals(Math.min(59, round.unverified()), round.sampled());
                for (String edge : round.foundEdges()) {
                    assertTrue(exact.get(edge) >= tau - 1e-6, edge + " " + exact.get(edge));
                }
                found += round.found();
            }
            assertTrue(found > 0);
            // the rounds' passes are counted: chunks of 32 masks, each split into passes over every batch
            long expected = 0;
            for (CandidateRounds.Round round : r.rounds()) {
                for (int start = 0; start < round.sampled(); start += 32) {
                    int chunk = Math.min(32, round.sampled() - start);
                    expected += (long) ((chunk + tp.masksPerPass() - 1) / tp.masksPerPass()) * tp.batches().size();
                }
            }
            assertEquals(expected, tp.forwardPasses() - before);
        });
    }

    /**
     * A ranking that puts 64 harmless edges first and the damaging ones just below: the first round (59 of the 198
     * below the top 64) finds some, k doubles to 128, which takes in every damaging edge, and the second round's
     * fresh sample of the 134 left finds none, so the growth stops there, short of every edge.
     */
    @Test
    void aRankingThatDemotesTheDamagingEdgesGrowsOnceAndStops() {
        onPlanted("ioi", 16, 16, tp -> {
            ComputationGraph g = tp.graph();
            double tau = 0.01;
            EdgeScores exact = new ExhaustivePatching(64).score(tp, Progress.NONE);
            List<Integer> damaging = damaging(exact, tau);
            int[] backwards = reversed(exact).ranking();
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < CandidateBudget.Bound.FIRST_CANDIDATES; i++) {
                order.add(backwards[i]);
            }
            order.addAll(damaging);
            for (int e : backwards) {
                if (!order.contains(e)) {
                    order.add(e);
                }
            }
            double[] importance = new double[g.nEdges()];
            for (int i = 0; i < order.size(); i++) {
                importance[order.get(i)] = g.nEdges() - i;
            }
            EdgeScores demoted = EdgeScores.ranked(g, exact.values(), importance);
            CandidateRounds r = new CandidateBudget.Bound(0.05).grow(tp, demoted, tau, 0, Progress.NONE);
            System.out.printf("planted ioi, damaging edges demoted below the first 64: rounds %s%n", r.rounds());
            assertEquals(List.of(64, 128), r.rounds().stream().map(CandidateRounds.Round::k).toList());
            assertTrue(r.rounds().get(0).found() > 0);
            assertEquals(0, r.rounds().get(1).found());
            assertEquals(59, r.rounds().get(1).sampled());
            assertTrue(r.stoppedByBound());
            assertEquals(128, r.k());
            for (int e : damaging) {
                assertTrue(r.candidates()[e], g.edges().get(e).name());
            }
        });
    }

    /** With exact patching as the scorer every damaging edge is in the top 64: one round, which finds none, and k0. */
    @ParameterizedTest
    @ValueSource(strings = {"ioi", "induction"})
    void anExactRankingStopsAfterOneRoundAtTheFirstK(String name) {
        onPlanted(name, 16, 16, tp -> {
            ComputationGraph g = tp.graph();
            long start = tp.forwardPasses();
            Pipeline.Result r = new Pipeline(new ExhaustivePatching(64), CandidateBudget.parse("bound"),
                    new Acdc(0.01)).withFalseNegativeCheck(20, 0).run(tp, Progress.NONE);
            long checked = tp.forwardPasses() - start;
            start = tp.forwardPasses();
            new Pipeline(new ExhaustivePatching(64), CandidateBudget.parse("bound"), new Acdc(0.01))
                    .run(tp, Progress.NONE);
            long unchecked = tp.forwardPasses() - start;
            System.out.printf("planted %s, exact ranking: rounds %s%n", name, r.rounds().rounds());
            assertEquals(1, r.rounds().rounds().size(), r.rounds().rounds().toString());
            CandidateRounds.Round only = r.rounds().rounds().get(0);
            assertEquals(64, only.k());
            assertEquals(0, only.found());
            assertEquals(Math.min(59, g.nEdges() - 64), only.sampled());
            assertTrue(r.rounds().stoppedByBound());
            assertEquals(64, r.candidates());
            assertEquals(g.nEdges() - 64, r.bound().unverified());
            if (g.nEdges() - 64 > 59) {
                // the post-hoc diagnostic still runs, on its own sample of the same remainder
                assertEquals(20, r.bound().sampled());
                assertTrue(checked > unchecked, checked + " vs " + unchecked);
            } else {
                // the round patched every unverified edge: its count is the diagnostic's, at no extra pass
                assertTrue(only.exhaustive());
                assertTrue(r.bound().exhaustive());
                assertEquals(g.nEdges() - 64, r.bound().sampled());
                assertEquals(0, r.bound().found());
                assertEquals(0.0, r.bound().upperFraction());
                assertEquals(unchecked, checked);
            }
        });
    }

    /** Other budgets have no rounds; the bound cannot select from the scores alone. */
    @Test
    void onlyTheBoundHasRoundsAndItNeedsThePipeline() {
        onPlanted("induction", 8, 16, tp -> {
            Pipeline.Result r = new Pipeline(new ExhaustivePatching(64), new CandidateBudget.TopK(10),
                    new Acdc(0.01)).run(tp, Progress.NONE);
            assertNull(r.rounds());
            EdgeScores scores = r.estimates();
            assertThrows(UnsupportedOperationException.class, () -> new CandidateBudget.Bound(0.05).select(scores));
            assertFalse(new CandidateRounds(new CandidateBudget.Bound(0.05), List.of(), new boolean[3])
                    .stoppedByBound());
        });
    }

    private static List<Integer> damaging(EdgeScores exact, double tau) {
        List<Integer> out = new ArrayList<>();
        for (int e = 0; e < exact.size(); e++) {
            if (exact.get(e) >= tau) { // KL: patching raises it; damage is the score itself
                out.add(e);
            }
        }
        return out;
    }

    /** The exact scores ranked backwards: the least damaging edge first. */
    private static EdgeScores reversed(EdgeScores exact) {
        double[] importance = exact.importances();
        double top = java.util.Arrays.stream(importance).max().orElse(0);
        for (int i = 0; i < importance.length; i++) {
            importance[i] = top - importance[i];
        }
        return EdgeScores.ranked(exact.graph(), exact.values(), importance);
    }

    private static int rankOf(EdgeScores scores, int edge) {
        int[] order = scores.ranking();
        for (int i = 0; i < order.length; i++) {
            if (order[i] == edge) {
                return i;
            }
        }
        throw new AssertionError(edge);
    }

    private static int count(boolean[] mask) {
        int n = 0;
        for (boolean b : mask) {
            n += b ? 1 : 0;
        }
        return n;
    }

    /** Each round is a progress stage that advances with every pass, not once at its end (the bar froze). */
    @Test
    void eachRoundReportsProgressAsItPatches() {
        onPlanted("ioi", 8, 8, tp -> {
            ComputationGraph g = tp.graph();
            double[] importance = new double[g.nEdges()];
            for (int i = 0; i < importance.length; i++) {
                importance[i] = g.nEdges() - i;
            }
            EdgeScores ranked = EdgeScores.ranked(g, new double[g.nEdges()], importance);
            List<String> stages = new ArrayList<>();
            List<List<Long>> dones = new ArrayList<>();
            Progress recording = new Progress() {
                @Override
                public void start(String stage, long total) {
                    stages.add(stage + " / " + total);
                    dones.add(new ArrayList<>());
                }

                @Override
                public void advance(long done, long forwardPasses) {
                    dones.get(dones.size() - 1).add(done);
                }

                @Override
                public void finish() {
                }
            };
            long before = tp.forwardPasses();
            CandidateRounds r = new CandidateBudget.Bound(0.05).grow(tp, ranked, 0.01, 0, recording);
            assertTrue(tp.forwardPasses() > before);
            assertEquals(r.rounds().size(), stages.size(), stages.toString());
            assertEquals("AtP*'s bound, round 1 (top 64 of " + g.nEdges() + ") / 59", stages.get(0));
            // 59 patches, reported after every pass (as many masks at a time as one pass holds, at most 32)
            int chunk = Math.max(1, Math.min(32, tp.masksPerPass()));
            assertTrue(chunk < 59, "chunk " + chunk);
            List<Long> expected = new ArrayList<>();
            for (long done = chunk; done < 59 + chunk; done += chunk) {
                expected.add(Math.min(59, done));
            }
            assertEquals(expected, dones.get(0));
        });
    }

    /** The rounds draw from the run's seed even with the false-negative check off: two seeds, two samples. */
    @Test
    void theRoundsFollowTheRunsSeedWithoutTheDiagnostic() {
        onPlanted("ioi", 16, 16, tp -> {
            ComputationGraph g = tp.graph();
            double tau = 0.01;
            EdgeScores backwards = reversed(new ExhaustivePatching(64).score(tp, Progress.NONE));
            EdgeScorer fixed = new EdgeScorer() {
                @Override
                public String key() {
                    return "reversed";
                }

                @Override
                public EdgeScores score(TaskPatcher task, Progress progress) {
                    return backwards;
                }
            };
            List<List<String>> firstFound = new ArrayList<>();
            for (long seed : new long[] {1, 2}) {
                Pipeline.Result r = new Pipeline(fixed, new CandidateBudget.Bound(0.05), new Acdc(tau))
                        .withSeed(seed).run(tp, Progress.NONE);
                assertNull(r.bound()); // the diagnostic is off
                // the same rounds as the bound grown directly with that seed
                assertEquals(new CandidateBudget.Bound(0.05).grow(tp, backwards, tau, seed, Progress.NONE).rounds(),
                        r.rounds().rounds());
                firstFound.add(r.rounds().rounds().get(0).foundEdges());
            }
            assertTrue(!firstFound.get(0).equals(firstFound.get(1)), "two seeds, one sample: " + firstFound);
        });
    }

    /** Runs {@code body} on planted model {@code name}'s task (seed 3) under KL and resampling. */
    private static void onPlanted(String name, int examples, int batchSize, Consumer<TaskPatcher> body) {
        PlantedModel planted = PlantedModels.byName(name);
        try (HookedTransformer model = planted.build();
                TaskPatcher tp = new TaskPatcher(new EdgePatcher(model), planted.task(3, examples), Metrics.KL,
                        Ablation.RESAMPLE, batchSize)) {
            body.accept(tp);
        }
    }
}

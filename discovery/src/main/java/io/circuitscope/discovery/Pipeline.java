package io.circuitscope.discovery;

import io.circuitscope.core.graph.Circuit;
import io.circuitscope.core.graph.EdgeScores;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.progress.Progress;

/**
 * The design's pipeline: a cheap scorer ranks every edge, a candidate budget keeps the ones that
 * could matter, and ACDC verifies only those with exact patching. Each kept edge carries its exact
 * effect; edges never verified keep the scorer's estimate in {@link Result#scores()}.
 */
public final class Pipeline {
    /**
     * The circuit (scores: exact effects where verified) and the scorer's estimates for all edges.
     *
     * @param scores    the merged scores ({@link #merge}); {@code estimates} are the scorer's own, before ACDC
     * @param rounds    how AtP*'s bound grew the candidates ({@link CandidateBudget.Bound}); null for other budgets
     */
    public record Result(Circuit circuit, EdgeScores scores, int candidates, FalseNegativeBound bound,
            EdgeScores estimates, CandidateRounds rounds) {
    }

    /**
     * Unverified edges patched exactly to bound the misses (AtP*'s diagnostic); 0 turns it off. It runs under
     * {@link CandidateBudget.Bound} too, on a sample of its own (see there for why).
     */
    private int boundSamples = 0;
    /** The run's seed: the diagnostic's sample, and, salted, the bound's rounds (whether the diagnostic runs or not). */
    private long seed = 0;

    /** The diagnostic on {@code samples} unverified edges; {@code seed} becomes the run's seed ({@link #withSeed}). */
    public Pipeline withFalseNegativeCheck(int samples, long seed) {
        this.boundSamples = samples;
        this.seed = seed;
        return this;
    }

    /** The run's seed, which draws the bound's rounds even when the false-negative check is off. */
    public Pipeline withSeed(long seed) {
        this.seed = seed;
        return this;
    }

    private AcdcJournal journal = AcdcJournal.NONE;

    /** ACDC's verification goes on from, and records its state in, {@code journal} ({@link Acdc#search}). */
    public Pipeline withJournal(AcdcJournal journal) {
        this.journal = journal;
        return this;
    }

    private final EdgeScorer scorer;
    private final CandidateBudget budget;
    private final Acdc acdc;

    public Pipeline(EdgeScorer scorer, CandidateBudget budget, Acdc acdc) {
        this.scorer = scorer;
        this.budget = budget;
        this.acdc = acdc;
    }

    public Result run(TaskPatcher task, Progress progress) {
        EdgeScores estimates = scorer.score(task, progress);
        CandidateRounds rounds = budget instanceof CandidateBudget.Bound b
                ? b.grow(task, estimates, acdc.tau(), seed, progress) : null;
        boolean[] candidates = rounds != null ? rounds.candidates() : budget.select(estimates);
        int count = 0;
        for (boolean c : candidates) {
            count += c ? 1 : 0;
        }
        Circuit verified = acdc.search(task, candidates, progress, journal);
        FalseNegativeBound bound = boundSamples <= 0 || count == candidates.length ? null
                : census(rounds, count) != null ? census(rounds, count)
                : FalseNegativeBound.estimate(task, candidates, acdc.tau(), boundSamples, 0.95, seed, progress);
        return new Result(verified, merge(estimates, verified.scores()), count, bound, estimates, rounds);
    }

    /**
     * The bound's last round as the diagnostic's exhaustive form, when that round patched every edge outside the
     * final {@code count} candidates: the diagnostic would patch the same edges again, to the same count. Null
     * otherwise (no rounds, or the last round sampled).
     */
    private static FalseNegativeBound census(CandidateRounds rounds, int count) {
        if (rounds == null || rounds.rounds().isEmpty()) {
            return null;
        }
        CandidateRounds.Round last = rounds.rounds().get(rounds.rounds().size() - 1);
        if (!last.exhaustive() || last.k() != count) {
            return null;
        }
        return new FalseNegativeBound(last.sampled(), last.unverified(), last.found(), last.foundEdges(), 0.95,
                last.sampled() == 0 ? 0 : (double) last.found() / last.sampled());
    }

    /**
     * The exact effect where ACDC tried an edge, ranked by the damage its removal did (ACDC's own measure);
     * the scorer's estimate elsewhere, ranked as the scorer ranks it (|score|, or AtP*'s importance).
     */
    static EdgeScores merge(EdgeScores estimates, EdgeScores exact) {
        double[] merged = estimates.values();
        double[] importance = estimates.importances();
        for (int i = 0; i < merged.length; i++) {
            if (!Double.isNaN(exact.get(i))) {
                merged[i] = exact.get(i);
                importance[i] = exact.importance(i);
            }
        }
        return EdgeScores.ranked(estimates.graph(), merged, importance);
    }
}

package io.circuitscope.discovery;

import java.util.List;

/**
 * How {@link CandidateBudget.Bound} grew the candidate set: its rounds, in order, and the top-k mask it ended with.
 *
 * @param rounds     every round run, each at a larger k than the one before; empty when the first k was every edge
 * @param candidates the final top k of the scorer's ranking
 */
public record CandidateRounds(CandidateBudget.Bound bound, List<Round> rounds, boolean[] candidates) {
    public CandidateRounds {
        rounds = List.copyOf(rounds);
        candidates = candidates.clone();
    }

    /**
     * One round: the top {@code k} were candidates, {@code sampled} of the {@code unverified} edges ranked below were
     * patched exactly, and {@code found} of them (named in {@code foundEdges}) damaged the metric by tau or more.
     * A round carries no bound: the stopping round is by construction one that found none, so a Clopper-Pearson
     * bound from its sample would be biased (see {@link CandidateBudget.Bound}); the bound on the final remainder is
     * {@link Pipeline.Result#bound()}'s.
     */
    public record Round(int k, int unverified, int sampled, int found, List<String> foundEdges) {
        public Round {
            foundEdges = List.copyOf(foundEdges);
        }

        /** Whether the sample was every unverified edge, so that the round counted rather than estimated. */
        public boolean exhaustive() {
            return sampled == unverified;
        }
    }

    /** How many edges ended as candidates (the final k). */
    public int k() {
        int k = 0;
        for (boolean c : candidates) {
            k += c ? 1 : 0;
        }
        return k;
    }

    /** Whether the last round found none (false when the growth stopped only at every edge, or ran no round). */
    public boolean stoppedByBound() {
        return !rounds.isEmpty() && rounds.get(rounds.size() - 1).found() == 0;
    }

    @Override
    public boolean[] candidates() {
        return candidates.clone();
    }
}

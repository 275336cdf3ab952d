package io.circuitscope.discovery;

import io.circuitscope.core.graph.EdgeScores;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.progress.Progress;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Which scored edges go on to exact verification: the top k, those above a threshold, all, or as many of
 * the top-ranked as AtP*'s false-negative bound asks for ({@link Bound}, which needs exact patching and so
 * is grown by {@link Pipeline}, not selected from the scores alone).
 */
public sealed interface CandidateBudget {
    /** The forms {@link #parse} takes, for messages that refuse a budget. */
    String FORMS = "a number of edges, '>=SCORE', 'all', 'bound' or 'bound:F' (F a fraction, 0 < F < 1)";

    boolean[] select(EdgeScores scores);

    static CandidateBudget parse(String text) {
        if (text.equalsIgnoreCase("all")) {
            return new All();
        }
        if (text.regionMatches(true, 0, "bound", 0, 5)) {
            return Bound.parse(text);
        }
        try {
            if (text.startsWith(">=")) {
                return new Threshold(Double.parseDouble(text.substring(2)));
            }
            return new TopK(Integer.parseInt(text));
        } catch (NumberFormatException e) {
            // the parser's own text ("For input string: ...") would not say what the budget may be
            throw new IllegalArgumentException("candidate budget '" + text + "' must be " + FORMS);
        }
    }

    record TopK(int k) implements CandidateBudget {
        public TopK {
            if (k < 0) {
                throw new IllegalArgumentException("candidate budget must be >= 0, got " + k);
            }
        }

        @Override
        public boolean[] select(EdgeScores scores) {
            return scores.topK(k);
        }
    }

    record Threshold(double minAbsScore) implements CandidateBudget {
        public Threshold {
            if (!(minAbsScore >= 0) || Double.isInfinite(minAbsScore)) {
                throw new IllegalArgumentException("candidate threshold must be a finite score >= 0, got " + minAbsScore);
            }
        }

        @Override
        public boolean[] select(EdgeScores scores) {
            return scores.atLeast(minAbsScore);
        }
    }

    record All() implements CandidateBudget {
        @Override
        public boolean[] select(EdgeScores scores) {
            boolean[] b = new boolean[scores.size()];
            java.util.Arrays.fill(b, true);
            return b;
        }
    }

    /**
     * AtP*'s false-negative bound as the rule that decides the candidate set, rather than only a diagnostic after
     * ACDC. The edges are ranked by the scorer's importance and the candidates are always a top k of that ranking.
     * Each round draws {@link #sampleSize()} edges uniformly (seeded) from those ranked below k and patches each
     * exactly, alone, in the full model ({@link FalseNegativeBound#estimate}, batched as it batches, so its passes
     * count in {@link TaskPatcher#forwardPasses()}). If any damages the metric by tau or more, k grows to
     * max(2k, 1 + the rank of the lowest-ranked edge found) and a fresh sample of the new remainder is drawn; the
     * first round that finds none stops the growth (as does k reaching every edge). A sample of S finding none
     * puts the one-sided Clopper-Pearson upper bound on the damaging fraction at 1 - 0.05^(1/S) <= F, so a
     * remainder in which more than F of the edges damage the metric stops a round with probability at most 5%.
     * When the remainder is no larger than S the round patches all of it, and finding none is a count, not an
     * estimate.
     *
     * <p>The first k is {@link #FIRST_CANDIDATES} = 64 (all edges on smaller graphs), whatever the scores: a round
     * costs S single-edge patches (59 at F = 0.05), about what ACDC spends verifying S candidates, so starting far
     * below S would spend more on rounds than the smaller start saves in ACDC, and 64 is the power of two nearest the
     * default S, so a bad ranking is corrected in few doublings. "Edges with a non-negligible score" was the other
     * choice, and was not taken: negligible has no scale-free meaning (EAP's ~1e-23 on planted:ioi sit exactly on
     * the planted edges, see {@link EdgeScores#withEvidence()}), and the rounds exist to catch what the scores miss.
     *
     * <p>The seed is salted, so the rounds draw other samples than the post-hoc diagnostic {@link Pipeline} still
     * runs on the final remainder with the same seed. That diagnostic is the bound to report: the rule stops on the
     * first sample that happens to find nothing, so the stopping sample always reads "0 found", and with several
     * rounds each a 5% test the chance that one stops by luck is larger than 5%. A sample drawn after the set is
     * fixed, independent of the choice, gives a Clopper-Pearson bound whose confidence holds for that set. When the
     * last round patched the whole remainder its count is exact, and {@link Pipeline} reports it as the diagnostic's
     * exhaustive form instead of patching the same edges again.
     *
     * @param maxFraction F: the largest fraction of the unverified edges allowed to damage the metric by tau or
     *                    more, at {@link #CONFIDENCE} confidence (0 < F < 1)
     */
    record Bound(double maxFraction) implements CandidateBudget {
        public static final double DEFAULT_FRACTION = 0.05;
        public static final double CONFIDENCE = 0.95;
        public static final int FIRST_CANDIDATES = 64;
        /** Mixed into the run's seed, so the rounds do not draw the post-hoc diagnostic's sample. */
        private static final long ROUND_SALT = 0x9E3779B97F4A7C15L;

        public Bound {
            if (!(maxFraction > 0 && maxFraction < 1)) {
                throw new IllegalArgumentException("the bound's fraction must be between 0 and 1 (exclusive), got "
                        + maxFraction);
            }
        }

        /** 'bound' (F = {@value #DEFAULT_FRACTION}) or 'bound:F', case aside. */
        static Bound parse(String text) {
            if (text.equalsIgnoreCase("bound")) {
                return new Bound(DEFAULT_FRACTION);
            }
            double f = Double.NaN;
            if (text.length() > 6 && text.charAt(5) == ':') {
                try {
                    f = Double.parseDouble(text.substring(6));
                } catch (NumberFormatException e) {
                    // said below, with the forms allowed
                }
            }
            if (!(f > 0 && f < 1)) {
                throw new IllegalArgumentException("candidate budget '" + text + "': 'bound:F' needs a fraction F "
                        + "with 0 < F < 1 (the largest share of unverified edges allowed to damage the metric by tau "
                        + "or more), e.g. bound:0.05; a budget must be " + FORMS);
            }
            return new Bound(f);
        }

        /** The canonical form, F spelt out: 'bound' and 'BOUND:0.050' are both 'bound:0.05'. */
        public String text() {
            return "bound:" + BigDecimal.valueOf(maxFraction).stripTrailingZeros().toPlainString();
        }

        /**
         * S, the smallest sample in which finding none puts the Clopper-Pearson upper fraction at or below F:
         * ceil(ln(1 - confidence) / ln(1 - F)), 59 for F = 0.05.
         */
        public int sampleSize() {
            double s = Math.ceil(Math.log(1 - CONFIDENCE) / Math.log1p(-maxFraction));
            int n = (int) Math.min(Integer.MAX_VALUE, Math.max(1, s));
            // the closed form against the bound itself, in case rounding put it one off
            while (n < Integer.MAX_VALUE && FalseNegativeBound.upperFraction(0, n, CONFIDENCE) > maxFraction) {
                n++;
            }
            while (n > 1 && FalseNegativeBound.upperFraction(0, n - 1, CONFIDENCE) <= maxFraction) {
                n--;
            }
            return n;
        }

        /** Not from the scores alone: the rounds patch edges exactly ({@link #grow}, which {@link Pipeline} runs). */
        @Override
        public boolean[] select(EdgeScores scores) {
            throw new UnsupportedOperationException(text() + " grows the candidates by exact patching: run it "
                    + "through Pipeline (Bound.grow), which has the task");
        }

        /** The rounds on {@code task}, ranking by {@code scores}, counting damage of {@code tau} or more as a miss. */
        public CandidateRounds grow(TaskPatcher task, EdgeScores scores, double tau, long seed, Progress progress) {
            int n = scores.size();
            int[] order = scores.ranking();
            int[] rank = new int[n];
            for (int r = 0; r < n; r++) {
                rank[order[r]] = r;
            }
            int samples = sampleSize();
            Random seeds = new Random(seed ^ ROUND_SALT);
            List<CandidateRounds.Round> rounds = new ArrayList<>();
            int k = Math.min(n, FIRST_CANDIDATES);
            while (k < n) {
                // a stage of its own, advanced with every pass, so that the bar moves during the round
                FalseNegativeBound sample = FalseNegativeBound.estimate(task, top(order, k), tau, samples, CONFIDENCE,
                        seeds.nextLong(), progress, String.format(Locale.ROOT, "AtP*'s bound, round %d (top %d of %d)",
                                rounds.size() + 1, k, n));
                rounds.add(new CandidateRounds.Round(k, sample.unverified(), sample.sampled(), sample.found(),
                        sample.foundEdges()));
                if (sample.found() == 0) {
                    break;
                }
                int lowest = 0;
                for (String name : sample.foundEdges()) {
                    lowest = Math.max(lowest, rank[task.graph().edge(name).index()]);
                }
                k = Math.min(n, Math.max(2 * k, lowest + 1));
            }
            return new CandidateRounds(this, rounds, top(order, k));
        }

        private static boolean[] top(int[] order, int k) {
            boolean[] keep = new boolean[order.length];
            for (int i = 0; i < k; i++) {
                keep[order[i]] = true;
            }
            return keep;
        }
    }
}

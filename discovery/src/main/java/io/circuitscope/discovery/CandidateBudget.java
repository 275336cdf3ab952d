package io.circuitscope.discovery;

import io.circuitscope.core.graph.EdgeScores;

/** Which scored edges go on to exact verification: the top k, those above a threshold, or all. */
public sealed interface CandidateBudget {
    boolean[] select(EdgeScores scores);

    static CandidateBudget parse(String text) {
        if (text.equalsIgnoreCase("all")) {
            return new All();
        }
        try {
            if (text.startsWith(">=")) {
                return new Threshold(Double.parseDouble(text.substring(2)));
            }
            return new TopK(Integer.parseInt(text));
        } catch (NumberFormatException e) {
            // the parser's own text ("For input string: ...") would not say what the budget may be
            throw new IllegalArgumentException("candidate budget '" + text + "' must be a number of edges, "
                    + "'>=SCORE' or 'all'");
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
}

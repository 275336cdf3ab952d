package io.circuitscope.core.task;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.circuitscope.core.DjlRuntime;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Metrics against plain-Java computations on random logits, for two mask variants at once. */
class MetricsTest {
    static final int B = 2;
    static final int S = 3;
    static final int V = 5;

    @Test
    void metricsMatchHandComputation() {
        Batch batch = Batch.of(List.of(
                new Example(new int[] {1, 2, 3}, new int[] {1, 2, 4}, List.of(new Target(-1, 3, 1), new Target(0, 2, 4))),
                new Example(new int[] {0, 2, 3}, new int[] {1, 1, 3}, List.of(new Target(1, 0, 2)))));
        float[] raw = randomLogits(3);
        try (NDManager m = DjlRuntime.newManager()) {
            NDArray logits = m.create(raw, new Shape(2 * B, S, V));
            assertMetricsMatchTheReference(logits, raw, batch);
            // one token each: the plain logit difference and log-probability
            float[] ld = Metrics.LOGIT_DIFF.perTarget(logits, batch, null).toFloatArray();
            float[] lp = Metrics.LOG_PROB.perTarget(logits, batch, null).toFloatArray();
            for (int variant = 0; variant < 2; variant++) {
                for (int t = 0; t < batch.targets(); t++) {
                    double[] l = logitsAt(raw, batch, variant, t);
                    double max = java.util.Arrays.stream(l).max().getAsDouble();
                    double lse = max + Math.log(java.util.Arrays.stream(l).map(x -> Math.exp(x - max)).sum());
                    int c = batch.correct()[t];
                    int i = variant * batch.targets() + t;
                    assertEquals(l[c] - l[batch.wrong()[t]], ld[i], 1e-5);
                    assertEquals(l[c] - lse, lp[i], 1e-5);
                }
            }
            // variant 0 plays the clean run, variant 1 the patched one
            NDArray cleanLogProbs = Metric.atTargets(logits, batch).get(0).logSoftmax(-1);
            float[] kl = Metrics.KL.perTarget(logits, batch, cleanLogProbs).toFloatArray();
            double patchedMean = 0;
            for (int t = 0; t < batch.targets(); t++) {
                double[] clean = logitsAt(raw, batch, 0, t);
                double[] patched = logitsAt(raw, batch, 1, t);
                double forward = klDivergence(clean, patched);
                // the case must tell the directions apart, or it cannot catch KL(patched || clean)
                assertTrue(Math.abs(forward - klDivergence(patched, clean)) > 0.05, "target " + t);
                assertEquals(0, kl[t], 1e-6, "KL(clean || clean), target " + t);
                assertEquals(forward, kl[batch.targets() + t], 1e-5, "KL(clean || patched), target " + t);
                patchedMean += forward / batch.targets();
            }
            float[] perVariant = Metrics.KL.perVariant(logits, batch, cleanLogProbs).toFloatArray();
            assertArrayEquals(new float[] {0, (float) patchedMean}, perVariant, 1e-5f);
        }
    }

    @Test
    void normalisationAndNames() {
        assertEquals(0.25, Metrics.normalized(1.5, 3, 1), 1e-12);
        assertEquals(Metrics.KL, Metrics.byName("KL"));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> Metrics.byName("f1"));
    }

    @Test
    void swappedPairsMustBalance() {
        Example paris = new Example(new int[] {1, 2}, new int[] {1, 3}, List.of(new Target(-1, 5, 7)));
        Example rome = new Example(new int[] {4, 2}, new int[] {4, 3}, List.of(new Target(-1, 7, 5)));
        Metrics.LOGIT_DIFF_SWAPPED.check(new Task("ok", List.of(paris, rome)));
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Metrics.LOGIT_DIFF_SWAPPED.check(new Task("bad", List.of(paris, paris, rome))));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("answers 5 and 7 appear 1 more time(s) with 5"),
                e.getMessage());
    }

    /**
     * Answer sets (Greater-Than's years): each metric against the same sums in double precision, for two mask
     * variants, with a single-token target in the same batch; and a set of one token gives what the token gives.
     */
    @Test
    void answerSetsAddUpProbabilities() {
        Batch batch = Batch.of(List.of(
                new Example(new int[] {1, 2, 3}, new int[] {1, 2, 4}, List.of(new Target(-1, List.of(3, 0), List.of(1, 4, 2)),
                        new Target(0, 2, 4))),
                new Example(new int[] {0, 2, 3}, new int[] {1, 1, 3}, List.of(new Target(1, List.of(0, 1, 2), List.of(4))))));
        float[] raw = randomLogits(7);
        try (NDManager m = DjlRuntime.newManager()) {
            NDArray logits = m.create(raw, new Shape(2 * B, S, V));
            assertMetricsMatchTheReference(logits, raw, batch);
            float[] ld = Metrics.LOGIT_DIFF.perTarget(logits, batch, null).toFloatArray();
            // the single-token target inside a set batch: its plain logit difference
            assertEquals(logitsAt(raw, batch, 1, 1)[2] - logitsAt(raw, batch, 1, 1)[4], ld[batch.targets() + 1], 1e-5);
        }
    }

    /**
     * The set logit difference's gradient is the analytic one: softmax over the correct set minus softmax over the
     * wrong set (the shift that keeps exp() in range carries no gradient, and adds none).
     */
    @Test
    void theAnswerSetLogitDifferenceHasTheAnalyticGradient() {
        Batch batch = Batch.of(List.of(new Example(new int[] {1, 2, 3}, new int[] {1, 2, 4},
                List.of(new Target(-1, List.of(3, 0), List.of(1, 4))))));
        float[] raw = new float[S * V];
        Random rng = new Random(11);
        for (int i = 0; i < raw.length; i++) {
            raw[i] = (float) rng.nextGaussian() * 3;
        }
        try (NDManager m = DjlRuntime.newManager()) {
            NDArray logits = m.create(raw, new Shape(1, S, V));
            logits.setRequiresGradient(true);
            try (ai.djl.training.GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                gc.backward(Metrics.LOGIT_DIFF.perTarget(logits, batch, null).sum());
            }
            float[] grad = logits.getGradient().toFloatArray();
            int row = 2 * V;
            double zc = Math.exp(raw[row + 3]) + Math.exp(raw[row]);
            double zw = Math.exp(raw[row + 1]) + Math.exp(raw[row + 4]);
            double[] expected = {Math.exp(raw[row]) / zc, -Math.exp(raw[row + 1]) / zw, 0, Math.exp(raw[row + 3]) / zc,
                -Math.exp(raw[row + 4]) / zw};
            for (int v = 0; v < V; v++) {
                assertEquals(expected[v], grad[row + v], 1e-6, "token " + v);
                assertEquals(0f, grad[v], "position 0 is no target");
            }
        }
    }

    /**
     * KL is computed in double precision, and DJL's type conversion carries no gradient: its gradient must still reach
     * the logits, d KL(p || q) / d logit_v = q_v - p_v.
     */
    @Test
    void klHasTheAnalyticGradient() {
        Batch batch = Batch.of(List.of(new Example(new int[] {1, 2, 3}, new int[] {1, 2, 4}, List.of(new Target(-1, 3, 1)))));
        float[] raw = randomLogits(13);
        try (NDManager m = DjlRuntime.newManager()) {
            NDArray clean = m.create(java.util.Arrays.copyOf(raw, B * S * V), new Shape(B, S, V));
            NDArray cleanLogProbs = Metric.cleanReference(clean, batch);
            NDArray logits = m.create(java.util.Arrays.copyOfRange(raw, B * S * V, 2 * B * S * V), new Shape(B, S, V));
            logits.setRequiresGradient(true);
            try (ai.djl.training.GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                gc.backward(Metrics.KL.perTarget(logits, batch, cleanLogProbs).sum());
            }
            float[] grad = logits.getGradient().toFloatArray();
            int at = (batch.row()[0] * S + batch.position()[0]) * V;
            double[] p = logSoftmax(java.util.Arrays.copyOfRange(toDouble(raw), at, at + V));
            double[] q = logSoftmax(java.util.Arrays.copyOfRange(toDouble(raw), B * S * V + at, B * S * V + at + V));
            for (int v = 0; v < V; v++) {
                assertEquals(Math.exp(q[v]) - Math.exp(p[v]), grad[at + v], 1e-6, "token " + v);
            }
        }
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    /** logit-diff-swapped balances pairs of single tokens; a task with answer sets is refused by name. */
    @Test
    void swappedPairsNeedSingleTokenAnswers() {
        Example years = new Example(new int[] {1, 2}, new int[] {1, 3}, List.of(new Target(-1, List.of(5, 6), List.of(7))));
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Metrics.LOGIT_DIFF_SWAPPED.check(new Task("years", List.of(years))));
        assertEquals("metric 'logit-diff-swapped' needs one correct and one wrong token per target, but task 'years' "
                + "example 1, targets[0] has answer sets (correct 2 tokens, wrong 1)", e.getMessage());
    }

    /**
     * Every metric per target against double-precision sums over each answer set, for both mask variants: one
     * token is a set of one, so this also checks single-token targets.
     */
    private static void assertMetricsMatchTheReference(NDArray logits, float[] raw, Batch batch) {
        float[] ld = Metrics.LOGIT_DIFF.perTarget(logits, batch, null).toFloatArray();
        float[] lp = Metrics.LOG_PROB.perTarget(logits, batch, null).toFloatArray();
        float[] p = Metrics.PROB.perTarget(logits, batch, null).toFloatArray();
        float[] pd = Metrics.PROB_DIFF.perTarget(logits, batch, null).toFloatArray();
        float[] acc = Metrics.ACCURACY.perTarget(logits, batch, null).toFloatArray();
        float[] rank = Metrics.RANK.perTarget(logits, batch, null).toFloatArray();
        for (int variant = 0; variant < 2; variant++) {
            for (int t = 0; t < batch.targets(); t++) {
                double[] l = logitsAt(raw, batch, variant, t);
                double total = java.util.Arrays.stream(l).map(Math::exp).sum();
                double pc = 0;
                double pw = 0;
                double bestCorrect = Double.NEGATIVE_INFINITY;
                for (int c : batch.correctSets()[t]) {
                    pc += Math.exp(l[c]) / total;
                    bestCorrect = Math.max(bestCorrect, l[c]);
                }
                for (int w : batch.wrongSets()[t]) {
                    pw += Math.exp(l[w]) / total;
                }
                int i = variant * batch.targets() + t;
                assertEquals(Math.log(pc) - Math.log(pw), ld[i], 1e-5);
                assertEquals(Math.log(pc), lp[i], 1e-5);
                assertEquals(pc, p[i], 1e-6);
                assertEquals(pc - pw, pd[i], 1e-6);
                // ties count against the answer: every token outside the correct set at or above its best
                long atOrAbove = 0;
                for (int v = 0; v < V; v++) {
                    final int token = v;
                    if (l[v] >= bestCorrect && java.util.Arrays.stream(batch.correctSets()[t]).noneMatch(c -> c == token)) {
                        atOrAbove++;
                    }
                }
                assertEquals(atOrAbove == 0 ? 1f : 0f, acc[i]);
                assertEquals(atOrAbove + 1, rank[i], 0f);
            }
        }
    }

    /** KL(p || q) = sum p (log p - log q) of the softmaxes of two logit rows, in double precision. */
    private static double klDivergence(double[] pLogits, double[] qLogits) {
        double[] logP = logSoftmax(pLogits);
        double[] logQ = logSoftmax(qLogits);
        double kl = 0;
        for (int v = 0; v < logP.length; v++) {
            kl += Math.exp(logP[v]) * (logP[v] - logQ[v]);
        }
        return kl;
    }

    private static double[] logSoftmax(double[] logits) {
        double max = java.util.Arrays.stream(logits).max().getAsDouble();
        double lse = max + Math.log(java.util.Arrays.stream(logits).map(x -> Math.exp(x - max)).sum());
        return java.util.Arrays.stream(logits).map(x -> x - lse).toArray();
    }

    private static float[] randomLogits(long seed) {
        float[] raw = new float[2 * B * S * V];
        Random rng = new Random(seed);
        for (int i = 0; i < raw.length; i++) {
            raw[i] = (float) rng.nextGaussian() * 2;
        }
        return raw;
    }

    /** Target t's logits in mask variant {@code variant}, as doubles. */
    private static double[] logitsAt(float[] raw, Batch batch, int variant, int t) {
        int row = variant * B + batch.row()[t];
        double[] l = new double[V];
        for (int v = 0; v < V; v++) {
            l[v] = raw[(row * S + batch.position()[t]) * V + v];
        }
        return l;
    }

    /**
     * Ties in accuracy and rank, worked by hand: a token outside the correct set with the same logit as the correct
     * one (the correct set's best) ranks above it, so equal logits (a model indifferent between the answers) read as
     * wrong, not right; tokens of the correct set tied with each other do not compete.
     */
    @Test
    void aTieWithAnotherTokenCountsAgainstTheAnswer() {
        float[] tied = {2, 2, 1, 2, 0};
        float[] flat = {0.5f, 0.5f, 0.5f, 0.5f, 0.5f};
        float[] strict = {3, 2, 1, 2, 0};
        Object[][] cases = { // logits, correct set, accuracy, rank
            {tied, List.of(0), 0f, 3f},
            {tied, List.of(0, 1), 0f, 2f},
            {tied, List.of(0, 1, 3), 1f, 1f},
            {tied, List.of(2), 0f, 4f},
            {flat, List.of(4), 0f, 5f},
            {flat, List.of(0, 1), 0f, 4f},
            {strict, List.of(0), 1f, 1f},
            {strict, List.of(1, 4), 0f, 3f},
            {strict, List.of(4, 0), 1f, 1f},
        };
        try (NDManager m = DjlRuntime.newManager()) {
            for (Object[] c : cases) {
                @SuppressWarnings("unchecked")
                List<Integer> correct = (List<Integer>) c[1];
                Batch batch = Batch.of(List.of(new Example(new int[] {1}, new int[] {2},
                        List.of(new Target(0, correct, List.of())))));
                NDArray logits = m.create((float[]) c[0], new Shape(1, 1, V));
                String what = java.util.Arrays.toString((float[]) c[0]) + ", correct " + correct;
                assertEquals((float) c[2], Metrics.ACCURACY.perTarget(logits, batch, null).getFloat(0, 0), "accuracy, " + what);
                assertEquals((float) c[3], Metrics.RANK.perTarget(logits, batch, null).getFloat(0, 0), "rank, " + what);
            }
        }
    }

    /**
     * Logits far beyond exp()'s float range (|logit| up to 400; exp overflows above 88): every metric stays finite and
     * matches the double-precision reference, which needs log-softmax and shifted log-sum-exp, not log(softmax) or
     * log(sum(exp)). KL between two such rows too.
     */
    @Test
    void metricsAreStableForLogitsFarOutsideExpsRange() {
        Batch batch = Batch.of(List.of(
                new Example(new int[] {1, 2, 3}, new int[] {1, 2, 4}, List.of(new Target(-1, List.of(3, 0), List.of(1, 4)),
                        new Target(0, 2, 4))),
                new Example(new int[] {0, 2, 3}, new int[] {1, 1, 3}, List.of(new Target(1, 0, 2)))));
        float[] raw = randomLogits(5);
        for (int i = 0; i < raw.length; i++) {
            raw[i] *= 100; // standard deviation 200
        }
        try (NDManager m = DjlRuntime.newManager()) {
            NDArray logits = m.create(raw, new Shape(2 * B, S, V));
            float[] ld = Metrics.LOGIT_DIFF.perTarget(logits, batch, null).toFloatArray();
            float[] lp = Metrics.LOG_PROB.perTarget(logits, batch, null).toFloatArray();
            NDArray cleanLogProbs = Metric.atTargets(logits, batch).get(0).logSoftmax(-1);
            float[] kl = Metrics.KL.perTarget(logits, batch, cleanLogProbs).toFloatArray();
            for (int variant = 0; variant < 2; variant++) {
                for (int t = 0; t < batch.targets(); t++) {
                    double[] l = logitsAt(raw, batch, variant, t);
                    double[] logP = logSoftmax(l);
                    int i = variant * batch.targets() + t;
                    double logPc = logSumExp(logP, batch.correctSets()[t]);
                    double logPw = logSumExp(logP, batch.wrongSets()[t]);
                    // relative to the logits' scale: float32 keeps about 7 digits of a logit of size 400
                    assertEquals(logPc - logPw, ld[i], 1e-3, "logit-diff, target " + i);
                    assertEquals(logPc, lp[i], 1e-3, "logprob, target " + i);
                    double reference = klDivergence(logitsAt(raw, batch, 0, t), l);
                    assertTrue(Float.isFinite(kl[i]), "kl, target " + i);
                    assertEquals(reference, kl[i], 1e-3 * Math.max(1, reference), "kl, target " + i);
                }
            }
            float[] p = Metrics.PROB.perTarget(logits, batch, null).toFloatArray();
            float[] pd = Metrics.PROB_DIFF.perTarget(logits, batch, null).toFloatArray();
            for (int i = 0; i < p.length; i++) {
                int variant = i / batch.targets();
                int t = i % batch.targets();
                double[] logP = logSoftmax(logitsAt(raw, batch, variant, t));
                double pc = Math.exp(logSumExp(logP, batch.correctSets()[t]));
                assertEquals(pc, p[i], 1e-6, "prob, target " + i);
                assertEquals(pc - Math.exp(logSumExp(logP, batch.wrongSets()[t])), pd[i], 1e-6, "prob-diff, target " + i);
            }
        }
    }

    /** log sum exp of {@code logP} over {@code tokens}, shifted by their maximum. */
    private static double logSumExp(double[] logP, int[] tokens) {
        double max = java.util.Arrays.stream(tokens).mapToDouble(k -> logP[k]).max().getAsDouble();
        return max + Math.log(java.util.Arrays.stream(tokens).mapToDouble(k -> Math.exp(logP[k] - max)).sum());
    }

    /** A metric that needs wrong answers says which example lacks one before any pass, not from inside a batch. */
    @Test
    void aMissingWrongAnswerIsNamedByExampleBeforeAnyPass() {
        Example with = new Example(new int[] {1, 2}, new int[] {1, 3}, List.of(new Target(-1, 5, 7)));
        Example without = new Example(new int[] {4, 2}, new int[] {4, 3}, List.of(new Target(-1, 7, 5),
                new Target(0, 7, null)));
        Task task = new Task("capitals", List.of(with, without));
        for (Metric m : List.of(Metrics.LOGIT_DIFF, Metrics.PROB_DIFF, Metrics.LOGIT_DIFF_SWAPPED)) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> m.check(task));
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().startsWith("task 'capitals': example 2, "
                    + "targets[1] has no wrong answer, and metric '" + m.name() + "' needs one"), e.getMessage());
        }
        Metrics.LOG_PROB.check(task); // needs none
    }

    /** A score is the metric's change when an edge is patched: the sign that supports the behaviour follows the metric. */
    @Test
    void theSignOfAScoreThatSupportsTheBehaviourFollowsTheMetricsDirection() {
        assertEquals("negative", Metrics.LOGIT_DIFF.importantSign());
        assertEquals("positive", Metrics.KL.importantSign());
        for (Metric m : List.of(Metrics.PROB, Metrics.RANK, Metrics.ACCURACY)) {
            assertEquals(m.higherIsBetter() ? "negative" : "positive", m.importantSign(), m.name());
        }
    }

    /**
     * KL between nearly equal distributions over GPT-2's 50,257 tokens. An edge that moves the logits by d moves KL by
     * about d^2 / 2, so an exact patching score or an ACDC damage under kl (the default metric) of an edge with a small
     * effect is a KL of 1e-8 or less. In float32, log-softmax rounds log(sum exp) to about 1e-6 (and more for larger
     * logits), which enters KL in full: KL(p || q) read about 1e-6 whatever the patch did (negative too), so such edges
     * were ranked by round-off. Against KL in double precision from the same float32 logits, to 1e-3 of its value.
     */
    @Test
    void klBetweenNearlyEqualDistributionsKeepsItsDigits() {
        int vocab = 50257;
        double[] deltas = {1e-2, 3e-3, 1e-3, 3e-4, 1e-4};
        int rows = deltas.length + 1; // row 0 is the clean run
        Batch batch = Batch.of(List.of(new Example(new int[] {1, 2, 3}, new int[] {1, 2, 4}, List.of(new Target(-1, 3, 1)))));
        float[] raw = new float[rows * S * vocab];
        Random rng = new Random(11);
        int at = batch.position()[0];
        for (int v = 0; v < vocab; v++) {
            float clean = (float) (rng.nextGaussian() * 3 + 20); // GPT-2's logits sit well away from 0
            for (int pos = 0; pos < S; pos++) {
                raw[pos * vocab + v] = clean;
            }
            for (int r = 1; r < rows; r++) {
                for (int pos = 0; pos < S; pos++) {
                    raw[(r * S + pos) * vocab + v] = pos == at ? (float) (clean + deltas[r - 1] * rng.nextGaussian()) : clean;
                }
            }
        }
        try (NDManager m = DjlRuntime.newManager()) {
            NDArray logits = m.create(raw, new Shape(rows, S, vocab));
            NDArray cleanLogProbs = Metric.cleanReference(logits.get("0:1"), batch);
            float[] kl = Metrics.KL.perTarget(logits, batch, cleanLogProbs).toFloatArray();
            assertEquals(0f, kl[0], "KL(clean || clean) is 0 exactly");
            double[] clean = new double[vocab];
            for (int v = 0; v < vocab; v++) {
                clean[v] = raw[at * vocab + v];
            }
            for (int r = 1; r < rows; r++) {
                double[] patched = new double[vocab];
                for (int v = 0; v < vocab; v++) {
                    patched[v] = raw[(r * S + at) * vocab + v];
                }
                double reference = klDivergence(clean, patched);
                assertEquals(reference, kl[r], 1e-3 * reference, "KL for logits moved by about " + deltas[r - 1]);
            }
        }
    }
}

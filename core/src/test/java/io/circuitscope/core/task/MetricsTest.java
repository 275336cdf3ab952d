package io.circuitscope.core.task;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

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
        float[] raw = new float[2 * B * S * V];
        Random rng = new Random(3);
        for (int i = 0; i < raw.length; i++) {
            raw[i] = (float) rng.nextGaussian() * 2;
        }
        try (NDManager m = DjlRuntime.newManager()) {
            NDArray logits = m.create(raw, new Shape(2 * B, S, V));
            float[] ld = Metrics.LOGIT_DIFF.perTarget(logits, batch, null).toFloatArray();
            float[] lp = Metrics.LOG_PROB.perTarget(logits, batch, null).toFloatArray();
            float[] acc = Metrics.ACCURACY.perTarget(logits, batch, null).toFloatArray();
            float[] rank = Metrics.RANK.perTarget(logits, batch, null).toFloatArray();
            for (int variant = 0; variant < 2; variant++) {
                for (int t = 0; t < batch.targets(); t++) {
                    int row = variant * B + batch.row()[t];
                    double[] l = new double[V];
                    for (int v = 0; v < V; v++) {
                        l[v] = raw[(row * S + batch.position()[t]) * V + v];
                    }
                    double max = java.util.Arrays.stream(l).max().getAsDouble();
                    double lse = max + Math.log(java.util.Arrays.stream(l).map(x -> Math.exp(x - max)).sum());
                    int c = batch.correct()[t];
                    int i = variant * batch.targets() + t;
                    assertEquals(l[c] - l[batch.wrong()[t]], ld[i], 1e-5);
                    assertEquals(l[c] - lse, lp[i], 1e-5);
                    assertEquals(l[c] == max ? 1f : 0f, acc[i]);
                    long above = java.util.Arrays.stream(l).filter(x -> x > l[c]).count();
                    assertEquals(above + 1, rank[i], 0f);
                }
            }
            NDArray cleanLogProbs = Metric.atTargets(logits, batch).get(0).logSoftmax(-1);
            float[] kl = Metrics.KL.perVariant(logits, batch, cleanLogProbs).toFloatArray();
            assertEquals(0f, kl[0], 1e-6f);
            assertEquals(true, kl[1] > 0f);
            assertArrayEquals(new long[] {2}, Metrics.KL.perVariant(logits, batch, cleanLogProbs).getShape().getShape());
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
}

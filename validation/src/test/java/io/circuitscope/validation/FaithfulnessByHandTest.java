package io.circuitscope.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.Circuit;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.progress.Progress;
import io.circuitscope.core.task.Example;
import io.circuitscope.core.task.Metric;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Target;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.testing.TestModels;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Faithfulness, the complement's faithfulness (necessity), their verdicts and their bootstrap intervals, worked by
 * hand on a task of two prompts of different lengths (so in two batches), the first with two targets and the second
 * with one: each prompt's metric means come from a patcher over that prompt alone, faithfulness is
 * (m(C) - m(empty)) / (m(full) - m(empty)) over all three targets, and with two prompts the clustered bootstrap has
 * three outcomes: both draws the first prompt, both the second, or one each (the whole task, half the resamples),
 * so at 1000 resamples the 95% interval runs from the least to the greatest of the three. A resampling of targets
 * instead of prompts, or a mean of per-target ratios, gives other ends. Under a metric where higher is better and
 * under KL.
 */
class FaithfulnessByHandTest {
    /** A seed whose two prompts' gaps nearly cancel (see {@link #tolerance}); random seeds seldom draw such a task. */
    @net.jqwik.api.Example
    void promptsWhoseGapsNearlyCancel() {
        faithfulnessNecessityAndIntervalsOfATwoPromptTask(5);
    }

    @Property(tries = 8)
    void faithfulnessNecessityAndIntervalsOfATwoPromptTask(@ForAll @IntRange(min = 0, max = 100_000) int seed) {
        Random rng = new Random(seed);
        int vocab = 23;
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(seed, 2, 2, 4, vocab, 8, false))) {
            EdgePatcher patcher = new EdgePatcher(loaded.model());
            Example a = example(rng, vocab, 5, 2);
            Example b = example(rng, vocab, 4, 1);
            BitSet kept = new BitSet();
            for (int e = 0; e < patcher.graph().nEdges(); e++) {
                kept.set(e, rng.nextBoolean());
            }
            Circuit circuit = new Circuit(patcher.graph(), kept, null);
            boolean[] complement = new boolean[patcher.graph().nEdges()];
            for (int e = 0; e < complement.length; e++) {
                complement[e] = !kept.get(e);
            }
            for (Metric metric : List.of(Metrics.LOGIT_DIFF, Metrics.KL, Metrics.PROB_DIFF)) {
                // per prompt: m(full), m(empty), m(circuit), m(complement), each the mean over that prompt's targets
                double[] ma = alone(patcher, a, metric, circuit.keepMask(), complement);
                double[] mb = alone(patcher, b, metric, circuit.keepMask(), complement);
                Assume.that(Math.abs(ma[0] - ma[1]) > 1e-2 && Math.abs(mb[0] - mb[1]) > 1e-2);
                double[] all = new double[4];
                for (int k = 0; k < 4; k++) {
                    all[k] = (2 * ma[k] + mb[k]) / 3; // a's two targets weigh twice
                }
                ValidationSettings settings = new ValidationSettings(0.8, 0.2, 0.01, 0, 1000, 0.95, seed);
                try (TaskPatcher tp = new TaskPatcher(patcher, new Task("two", List.of(a, b)), metric, Ablation.RESAMPLE, 8)) {
                    ValidationReport r = new CircuitValidator(settings).validate(tp, circuit, Progress.NONE);
                    String what = String.format(Locale.ROOT, "%s, seed %d", metric.name(), seed);
                    double f = ratio(all, 2);
                    double fc = ratio(all, 3);
                    double gap = all[0] - all[1];
                    // the smallest denominator of any ratio below: it multiplies the metrics' float32 differences
                    double den = Math.min(Math.abs(gap), Math.min(Math.abs(ma[0] - ma[1]), Math.abs(mb[0] - mb[1])));
                    assertEquals(f, r.faithfulness().value(), tolerance(f, den), what + ": faithfulness");
                    assertEquals(fc, r.complementFaithfulness().value(), tolerance(fc, den),
                            what + ": the complement's faithfulness");
                    assertEquals(f >= 0.8, r.sufficient(), what);
                    assertEquals(fc <= 0.2, r.necessary(), what);
                    assertInterval(new double[] {ratio(ma, 2), ratio(mb, 2), f}, r.faithfulness(), den,
                            what + ": faithfulness");
                    assertInterval(new double[] {ratio(ma, 3), ratio(mb, 3), fc}, r.complementFaithfulness(), den,
                            what + ": the complement's faithfulness");
                    assertInterval(new double[] {(ma[0] - ma[1]) / gap, (mb[0] - mb[1]) / gap, 1}, r.gapShare(), den,
                            what + ": the gap's share");
                }
            }
        }
    }

    /** (m[k] - m(empty)) / (m(full) - m(empty)). */
    private static double ratio(double[] m, int k) {
        return (m[k] - m[1]) / (m[0] - m[1]);
    }

    private static void assertInterval(double[] outcomes, Estimate e, double den, String what) {
        double low = Math.min(outcomes[0], Math.min(outcomes[1], outcomes[2]));
        double high = Math.max(outcomes[0], Math.max(outcomes[1], outcomes[2]));
        assertEquals(low, e.low(), tolerance(low, den), what + ": low end of " + e);
        assertEquals(high, e.high(), tolerance(high, den), what + ": high end of " + e);
    }

    /**
     * How far a ratio of metric differences may lie from the hand computation. The validator runs both prompts in a
     * batch of the task, the hand computation each prompt alone: the float32 metric values then differ by up to about
     * 1e-5, and a ratio divides that by its denominator. With prompts whose gaps nearly cancel (seed 5: per-prompt
     * gaps 1.36 and -2.70, the task's 0.006), faithfulness 18.690 read 18.692, and 1e-4 of it alone failed.
     */
    private static double tolerance(double ratio, double denominator) {
        return 1e-4 * Math.max(1, Math.abs(ratio)) + 1e-5 * (1 + Math.abs(ratio)) / denominator;
    }

    /** The prompt alone: m(full), m(empty), m(circuit), m(complement). */
    private static double[] alone(EdgePatcher patcher, Example e, Metric metric, boolean[] circuit, boolean[] complement) {
        try (TaskPatcher tp = new TaskPatcher(patcher, new Task("alone", List.of(e)), metric, Ablation.RESAMPLE, 1)) {
            double[] v = tp.evaluateKeep(List.of(circuit, complement));
            return new double[] {tp.cleanValue(), tp.corruptedValue(), v[0], v[1]};
        }
    }

    private static Example example(Random rng, int vocab, int length, int targets) {
        int[] clean = new int[length];
        int[] corrupt = new int[length];
        for (int p = 0; p < length; p++) {
            clean[p] = rng.nextInt(vocab);
            corrupt[p] = rng.nextInt(vocab);
        }
        List<Target> t = new java.util.ArrayList<>();
        for (int k = 0; k < targets; k++) {
            int correct = rng.nextInt(vocab);
            t.add(new Target(k == 0 ? -1 : rng.nextInt(length - 1), correct, (correct + 1 + rng.nextInt(vocab - 1)) % vocab));
        }
        return new Example(clean, corrupt, t);
    }
}

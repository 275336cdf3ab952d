package io.circuitscope.core.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.task.Example;
import io.circuitscope.core.task.Metric;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Target;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.testing.TestModels;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Every metric the command line offers, read through {@link TaskPatcher} on tasks whose prompts have several
 * lengths (batched by length, several prompts a pass, several targets a prompt, answer sets), against a plain
 * double-precision computation from each prompt run alone through the model, with no circuitscope metric code:
 * the per-target values (in batch order), the task means, and the identities every metric must keep: the
 * all-kept mask is the unpatched clean run (under every ablation), the all-patched mask under resampling is the
 * corrupted run, and patching clean activations into the clean run changes nothing.
 */
public class TaskMetricIdentitiesTest {
    static final int VOCAB = 23;
    /** float32 passes of a tiny model, batched or alone: far below any metric's scale here. */
    static final double TOLERANCE = 2e-4;
    /** Logits closer than this to the correct one may rank either way between a batched and a lone pass. */
    static final double TIE = 1e-3;

    @Property(tries = 12)
    void everyMetricMatchesPlainComputationFromPromptsRunAlone(@ForAll @IntRange(min = 0, max = 100_000) int seed,
            @ForAll @IntRange(min = 1, max = 4) int batchSize, @ForAll boolean answerSets) {
        Random rng = new Random(seed);
        Task task = randomTask(rng, answerSets, false);
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(seed, 1 + rng.nextInt(2), 1 + rng.nextInt(2), 4,
                VOCAB, 8, false))) {
            HookedTransformer model = loaded.model();
            double[][] clean = logitsAlone(model, task, false);
            double[][] corrupt = logitsAlone(model, task, true);
            EdgePatcher patcher = new EdgePatcher(model);
            boolean[] allKept = new boolean[patcher.graph().nEdges()];
            Arrays.fill(allKept, true);
            boolean[] allPatched = new boolean[patcher.graph().nEdges()];
            for (Metric metric : Metrics.ALL) {
                if (answerSets && metric == Metrics.LOGIT_DIFF_SWAPPED) {
                    continue; // refused by its check: one token per answer
                }
                List<Target> targets = new ArrayList<>();
                List<Integer> exampleOf = new ArrayList<>();
                for (Task.IndexedBatch b : task.indexedBatches(batchSize)) { // batch order, as per-target values come
                    for (int example : b.examples()) {
                        for (Target t : task.examples().get(example).targets()) {
                            targets.add(t);
                            exampleOf.add(example);
                        }
                    }
                }
                for (Ablation ablation : Ablation.values()) {
                    String what = String.format(Locale.ROOT, "%s, %s, seed %d, batch size %d", metric.name(), ablation,
                            seed, batchSize);
                    try (TaskPatcher tp = new TaskPatcher(patcher, task, metric, ablation, batchSize)) {
                        double[][] values = tp.evaluatePerTargetKeep(List.of(allKept, allPatched));
                        assertEquals(targets.size(), values[0].length, what);
                        double cleanMean = 0;
                        double corruptMean = 0;
                        for (int i = 0; i < targets.size(); i++) {
                            Target t = targets.get(i);
                            int e = exampleOf.get(i);
                            int length = task.examples().get(e).length();
                            double[] cleanLogits = row(clean, task, e, t.resolvedPosition(length));
                            double[] corruptLogits = row(corrupt, task, e, t.resolvedPosition(length));
                            assertMetric(metric, t, cleanLogits, cleanLogits, values[0][i], what + ", clean, target " + i);
                            cleanMean += reference(metric, t, cleanLogits, cleanLogits) / targets.size();
                            if (ablation == Ablation.RESAMPLE) {
                                assertMetric(metric, t, corruptLogits, cleanLogits, values[1][i],
                                        what + ", all patched, target " + i);
                                corruptMean += reference(metric, t, corruptLogits, cleanLogits) / targets.size();
                            }
                        }
                        if (metric.differentiable()) { // step metrics are checked per target above, ties allowed for
                            assertEquals(cleanMean, tp.cleanValue(), TOLERANCE, what + ": clean value");
                            assertEquals(cleanMean, tp.evaluateKeep(allKept), TOLERANCE, what + ": all kept");
                            if (ablation == Ablation.RESAMPLE) {
                                assertEquals(corruptMean, tp.corruptedValue(), TOLERANCE, what + ": corrupted value");
                                assertEquals(corruptMean, tp.evaluateKeep(allPatched), TOLERANCE, what + ": all patched");
                            }
                        }
                    }
                }
            }
        }
    }

    /** Patching clean activations into the clean run (a task whose corruption is the clean prompt) changes nothing. */
    @Property(tries = 8)
    void patchingCleanIntoCleanChangesNothingForAnyMask(@ForAll @IntRange(min = 0, max = 100_000) int seed,
            @ForAll @IntRange(min = 1, max = 4) int batchSize) {
        Random rng = new Random(seed);
        Task task = randomTask(rng, false, true);
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(seed, 2, 2, 4, VOCAB, 8, false))) {
            EdgePatcher patcher = new EdgePatcher(loaded.model());
            List<boolean[]> masks = new ArrayList<>();
            for (int m = 0; m < 3; m++) {
                boolean[] keep = new boolean[patcher.graph().nEdges()];
                for (int e = 0; e < keep.length; e++) {
                    keep[e] = rng.nextBoolean();
                }
                masks.add(keep);
            }
            masks.add(new boolean[patcher.graph().nEdges()]);
            for (Metric metric : Metrics.ALL) {
                try (TaskPatcher tp = new TaskPatcher(patcher, task, metric, Ablation.RESAMPLE, batchSize)) {
                    double[][] values = tp.evaluatePerTargetKeep(masks);
                    double[][] reference = tp.evaluatePerTargetKeep(List.of(masks.get(3).clone()));
                    for (int m = 0; m < masks.size(); m++) {
                        for (int t = 0; t < values[m].length; t++) {
                            assertEquals(reference[0][t], values[m][t], TOLERANCE, metric.name() + ", mask " + m);
                        }
                    }
                    assertEquals(tp.cleanValue(), tp.corruptedValue(), TOLERANCE, metric.name());
                    if (metric == Metrics.KL) {
                        assertEquals(0, tp.cleanValue(), TOLERANCE);
                    }
                }
            }
        }
    }

    /**
     * Examples of two or three prompt lengths, at least two of each (mean ablation's groups), one or two targets
     * each at random positions; answers in swapped pairs (every (a, b) has a (b, a)) so that logit-diff-swapped
     * accepts the task; with {@code answerSets}, some answers are sets of two or three tokens.
     */
    public static Task randomTask(Random rng, boolean answerSets, boolean cleanIsCorrupt) {
        List<Example> examples = new ArrayList<>();
        int lengths = 2 + rng.nextInt(2);
        for (int l = 0; l < lengths; l++) {
            int length = 3 + l * 2 + rng.nextInt(2);
            for (int pair = 0; pair < 1 + rng.nextInt(2); pair++) {
                int a = rng.nextInt(VOCAB);
                int b = (a + 1 + rng.nextInt(VOCAB - 1)) % VOCAB;
                boolean set = answerSets && rng.nextBoolean();
                boolean second = rng.nextBoolean(); // a second target at a non-negative position, in both of the pair
                for (int swap = 0; swap < 2; swap++) {
                    int[] clean = new int[length];
                    int[] corrupt = new int[length];
                    for (int p = 0; p < length; p++) {
                        clean[p] = rng.nextInt(VOCAB);
                        corrupt[p] = rng.nextBoolean() ? clean[p] : rng.nextInt(VOCAB);
                    }
                    int correct = swap == 0 ? a : b;
                    int wrong = swap == 0 ? b : a;
                    List<Target> targets = new ArrayList<>();
                    targets.add(set ? sets(rng, correct, wrong) : new Target(-1, correct, wrong));
                    if (second) {
                        targets.add(new Target(rng.nextInt(length), correct, wrong));
                    }
                    examples.add(new Example(clean, cleanIsCorrupt ? clean : corrupt, targets));
                }
            }
        }
        java.util.Collections.shuffle(examples, rng); // lengths interleaved: batches regroup them
        return new Task("random", examples);
    }

    private static Target sets(Random rng, int correct, int wrong) {
        List<Integer> c = new ArrayList<>(List.of(correct));
        List<Integer> w = new ArrayList<>(List.of(wrong));
        for (int k = 0; k < 2; k++) {
            int extra = rng.nextInt(VOCAB);
            if (!c.contains(extra) && !w.contains(extra)) {
                (rng.nextBoolean() ? c : w).add(extra);
            }
        }
        return new Target(-1, c, w);
    }

    /** Each example's logits [position * VOCAB + token], from a pass over that prompt alone. */
    static double[][] logitsAlone(HookedTransformer model, Task task, boolean corrupted) {
        double[][] out = new double[task.size()][];
        for (int i = 0; i < task.size(); i++) {
            Example e = task.examples().get(i);
            try (NDManager run = model.newRunManager()) {
                NDArray logits = model.forward(run, new int[][] {corrupted ? e.corrupt() : e.clean()});
                float[] f = logits.toFloatArray();
                out[i] = new double[f.length];
                for (int k = 0; k < f.length; k++) {
                    out[i][k] = f[k];
                }
            }
        }
        return out;
    }

    private static double[] row(double[][] logits, Task task, int example, int position) {
        return Arrays.copyOfRange(logits[example], position * VOCAB, (position + 1) * VOCAB);
    }

    private static double[] logSoftmax(double[] l) {
        double max = Arrays.stream(l).max().getAsDouble();
        double lse = max + Math.log(Arrays.stream(l).map(x -> Math.exp(x - max)).sum());
        return Arrays.stream(l).map(x -> x - lse).toArray();
    }

    private static double setProbability(double[] logP, List<Integer> tokens) {
        double p = 0;
        for (int token : tokens) {
            p += Math.exp(logP[token]);
        }
        return p;
    }

    /** The metric's definition (README, Discovery) in double precision, for one target's logits. */
    static double reference(Metric metric, Target t, double[] logits, double[] cleanLogits) {
        double[] logP = logSoftmax(logits);
        double pc = setProbability(logP, t.correctIds());
        double pw = t.wrongIds().isEmpty() ? Double.NaN : setProbability(logP, t.wrongIds());
        double best = t.correctIds().stream().mapToDouble(c -> logits[c]).max().getAsDouble();
        return switch (metric.name()) {
            case "logit-diff", "logit-diff-swapped" -> Math.log(pc) - Math.log(pw);
            case "logprob" -> Math.log(pc);
            case "prob" -> pc;
            case "prob-diff" -> pc - pw;
            case "kl" -> {
                double[] cleanLogP = logSoftmax(cleanLogits);
                double kl = 0;
                for (int v = 0; v < logP.length; v++) {
                    kl += Math.exp(cleanLogP[v]) * (cleanLogP[v] - logP[v]);
                }
                yield kl;
            }
            // a tie with a token outside the correct set counts against the answer
            case "accuracy" -> competitorsAtOrAbove(t, logits, best) == 0 ? 1 : 0;
            case "rank" -> competitorsAtOrAbove(t, logits, best) + 1;
            default -> throw new AssertionError("no reference for metric " + metric.name());
        };
    }

    /** Tokens outside the target's correct set whose logit is at least {@code level}. */
    private static long competitorsAtOrAbove(Target t, double[] logits, double level) {
        long n = 0;
        for (int v = 0; v < logits.length; v++) {
            if (logits[v] >= level && !t.correctIds().contains(v)) {
                n++;
            }
        }
        return n;
    }

    private static void assertMetric(Metric metric, Target t, double[] logits, double[] cleanLogits, double actual,
            String what) {
        if (metric.differentiable()) {
            assertEquals(reference(metric, t, logits, cleanLogits), actual, TOLERANCE, what);
            return;
        }
        // rank and accuracy are step functions: a logit within TIE of the correct one may fall either side
        double best = t.correctIds().stream().mapToDouble(c -> logits[c]).max().getAsDouble();
        long surelyAbove = competitorsAtOrAbove(t, logits, best + TIE);
        long maybeAbove = competitorsAtOrAbove(t, logits, best - TIE);
        double rank = metric == Metrics.RANK ? actual : Double.NaN;
        if (metric == Metrics.RANK) {
            assertTrue(rank >= surelyAbove + 1 && rank <= maybeAbove + 1, what + ": rank " + rank + " outside ["
                    + (surelyAbove + 1) + ", " + (maybeAbove + 1) + "]");
        } else {
            if (maybeAbove == 0) {
                assertEquals(1.0, actual, what);
            } else if (surelyAbove > 0) {
                assertEquals(0.0, actual, what);
            }
        }
    }
}

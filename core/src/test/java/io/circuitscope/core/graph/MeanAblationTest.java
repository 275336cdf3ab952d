package io.circuitscope.core.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.task.Example;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Target;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.testing.TestModels;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Mean ablation patches in the mean over the task's examples (of one prompt length), as Wang et al. and MIB
 * define it, not over whichever examples share a batch: a result must not change with {@code --batch-size}.
 */
class MeanAblationTest {
    private static final int VOCAB = 29;

    @Test
    void thePatchedValueIsTheMeanOverEveryExampleOfTheSameLength() {
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(21, 2, 2, 4, VOCAB, 8, false));
                NDManager scratch = loaded.model().newRunManager()) {
            EdgePatcher patcher = new EdgePatcher(loaded.model());
            Task task = task();
            try (TaskPatcher mean = new TaskPatcher(patcher, task, Metrics.LOGIT_DIFF, Ablation.MEAN, 16)) {
                for (TaskPatcher.PreparedBatch p : mean.batches()) {
                    // independently: one example at a time, summed over the task's examples of this length
                    NDArray sum = null;
                    int count = 0;
                    for (Example e : task.examples()) {
                        if (e.length() == p.batch().length()) {
                            NDArray one = patcher.sourceOutputs(scratch, new int[][] {e.corrupt()}).stacked();
                            sum = sum == null ? one : sum.add(one);
                            count++;
                        }
                    }
                    float[] expected = sum.div(count).toFloatArray();
                    NDArray patched = p.patched().stacked();
                    for (int i = 0; i < p.batch().size(); i++) {
                        float[] actual = patched.get(":, " + i + ":" + (i + 1)).toFloatArray();
                        assertArrayEquals(expected, actual, 1e-5f, "example " + i + " of the length-"
                                + p.batch().length() + " batch");
                    }
                }
            }
        }
    }

    @Test
    void theMetricUnderMeanAblationDoesNotDependOnTheBatchSize() {
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(21, 2, 2, 4, VOCAB, 8, false))) {
            EdgePatcher patcher = new EdgePatcher(loaded.model());
            Random rng = new Random(7);
            boolean[] someKept = new boolean[patcher.graph().nEdges()];
            for (int i = 0; i < someKept.length; i++) {
                someKept[i] = rng.nextBoolean();
            }
            double[] reference = null;
            for (int batchSize : new int[] {1, 2, 16}) {
                try (TaskPatcher mean = new TaskPatcher(patcher, task(), Metrics.LOGIT_DIFF, Ablation.MEAN, batchSize)) {
                    double[] values = {mean.corruptedValue(), mean.evaluateKeep(someKept)};
                    if (reference == null) {
                        reference = values;
                        try (TaskPatcher resample = new TaskPatcher(patcher, task(), Metrics.LOGIT_DIFF,
                                Ablation.RESAMPLE, batchSize)) {
                            // a batch of one is its own mean: the old per-batch mean was resampling there
                            assertTrue(Math.abs(resample.corruptedValue() - values[0]) > 1e-3,
                                    "mean ablation must differ from resampling: " + values[0]);
                        }
                    } else {
                        assertArrayEquals(reference, values, 1e-5, "batch size " + batchSize);
                    }
                }
            }
        }
    }

    @Test
    void aPreparedTaskHoldsOneMeanPerLengthAndNoPartialSums() {
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(21, 2, 2, 4, VOCAB, 8, false))) {
            EdgePatcher patcher = new EdgePatcher(loaded.model());
            // batches of one: five partial sums for the length-5 mean, two for the length-6 one
            try (TaskPatcher mean = new TaskPatcher(patcher, task(), Metrics.LOGIT_DIFF, Ablation.MEAN, 1)) {
                assertEquals(7, mean.batches().size());
                // a mean per prompt length and, per batch, a broadcast view of it (was 16: every partial sum stayed)
                assertEquals(2 + 7, mean.manager().getManagedArrays().size(), "arrays held by the task's manager");
            }
        }
    }

    /** An example alone at its length would be ablated with its own corrupted run: refused, not resampled. */
    @Test
    void aTaskWithAnExampleAloneAtItsLengthIsRefused() {
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(21, 2, 2, 4, VOCAB, 8, false))) {
            List<Example> examples = new ArrayList<>(task().examples());
            examples.add(new Example(new int[] {1, 2, 3}, new int[] {3, 2, 1}, List.of(new Target(-1, 4, 5))));
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> new TaskPatcher(new EdgePatcher(loaded.model()), new Task("t", examples), Metrics.LOGIT_DIFF,
                            Ablation.MEAN, 16).close());
            assertTrue(e.getMessage().contains("example 8 is alone at its length"), e.getMessage());
            // in words: the command line and batch check first, naming their own option or plan field
            assertTrue(e.getMessage().startsWith("ablation mean averages")
                    && e.getMessage().endsWith("or use ablation resample"), e.getMessage());
        }
    }

    /** Seven examples of random tokens, five of 5 tokens and two of 6, so the means are taken per length. */
    private static Task task() {
        Random rng = new Random(4);
        List<Example> examples = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            int length = i < 5 ? 5 : 6;
            int[] clean = new int[length];
            int[] corrupt = new int[length];
            for (int p = 0; p < length; p++) {
                clean[p] = rng.nextInt(VOCAB);
                corrupt[p] = rng.nextInt(VOCAB);
            }
            int correct = rng.nextInt(VOCAB);
            examples.add(new Example(clean, corrupt, List.of(new Target(-1, correct, (correct + 1) % VOCAB))));
        }
        assertEquals(2, new Task("t", examples).batches(16).size(), "two prompt lengths");
        return new Task("mixed lengths", examples);
    }
}

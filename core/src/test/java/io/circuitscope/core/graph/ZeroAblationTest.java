package io.circuitscope.core.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.task.Example;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Target;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.testing.TestModels;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Zero ablation patches in zeros shaped like the sources' outputs, and needs no pass per batch to learn that shape. */
class ZeroAblationTest {
    private static final int VOCAB = 41; // TestModels.tinyGpt2's

    @Test
    void zerosAreShapedLikeTheSourcesOutputsAndTakeNoPass() {
        try (LoadedModel loaded = TestModels.tinyGpt2(9)) {
            EdgePatcher patcher = new EdgePatcher(loaded.model());
            Task task = task();
            try (TaskPatcher zero = new TaskPatcher(patcher, task, Metrics.LOGIT_DIFF, Ablation.ZERO, 2);
                    TaskPatcher resample = new TaskPatcher(patcher, task, Metrics.LOGIT_DIFF, Ablation.RESAMPLE, 2)) {
                assertEquals(3, zero.batches().size(), "two batches of 5 tokens, one of 7");
                for (int i = 0; i < zero.batches().size(); i++) {
                    NDArray zeros = zero.batches().get(i).patched().stacked();
                    NDArray outputs = resample.batches().get(i).patched().stacked();
                    assertEquals(outputs.getShape(), zeros.getShape(), "batch " + i);
                    assertEquals(outputs.getDataType(), zeros.getDataType(), "batch " + i);
                    assertEquals(0f, zeros.abs().max().getFloat(), "batch " + i);
                }
                // resampling runs each batch's corrupted prompts for their outputs; zero ablation runs nothing
                assertEquals(resample.forwardPasses() - resample.batches().size(), zero.forwardPasses());
            }
        }
    }

    /** Five random examples: four of 5 tokens and one of 7. */
    private static Task task() {
        Random rng = new Random(2);
        List<Example> examples = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            int length = i < 4 ? 5 : 7;
            int[] clean = new int[length];
            int[] corrupt = new int[length];
            for (int p = 0; p < length; p++) {
                clean[p] = rng.nextInt(VOCAB);
                corrupt[p] = rng.nextInt(VOCAB);
            }
            int correct = rng.nextInt(VOCAB);
            examples.add(new Example(clean, corrupt, List.of(new Target(-1, correct, (correct + 1) % VOCAB))));
        }
        return new Task("two lengths", examples);
    }
}

package io.circuitscope.core.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.task.Example;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Target;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.testing.TestModels;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Per-target values come in batch order; each names its prompt, so validation can resample prompts whole. */
class PromptOfTargetTest {
    @Test
    void everyTargetNamesItsPromptAcrossBatchesAndLengths() {
        // file order: A (len 3, 2 targets), B (len 4, 1 target), C (len 3, 3 targets); batches group by length
        List<Example> examples = List.of(example(3, 2), example(4, 1), example(3, 3));
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(21, 1, 2, 4, 29, 8, false));
                TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model()), new Task("t", examples),
                        Metrics.LOGIT_DIFF, Ablation.RESAMPLE, 1)) {
            // batches of one: [A], [C], [B] -> prompts 0, 1, 2 in batch order
            assertArrayEquals(new int[] {0, 0, 1, 1, 1, 2}, tp.promptOfTarget());
            assertEquals(6, tp.evaluatePerTargetKeep(List.of(new boolean[tp.graph().nEdges()]))[0].length);
        }
    }

    private static Example example(int length, int targets) {
        int[] clean = new int[length];
        int[] corrupt = new int[length];
        for (int p = 0; p < length; p++) {
            clean[p] = p + 1;
            corrupt[p] = p + 2 + targets;
        }
        List<Target> t = new java.util.ArrayList<>();
        for (int i = 0; i < targets; i++) {
            t.add(new Target(-1 - i, 3 + i, 10 + i));
        }
        return new Example(clean, corrupt, t);
    }
}

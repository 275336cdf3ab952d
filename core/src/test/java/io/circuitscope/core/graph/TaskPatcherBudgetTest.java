package io.circuitscope.core.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

/** Masks beyond the memory budget of one pass are split over several passes, with the same values. */
class TaskPatcherBudgetTest {
    @Test
    void splittingMasksOverPassesChangesNoValue() {
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(21, 2, 2, 4, 29, 8, false))) {
            Random rng = new Random(4);
            List<Example> examples = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                int[] clean = new int[5];
                int[] corrupt = new int[5];
                for (int p = 0; p < 5; p++) {
                    clean[p] = rng.nextInt(29);
                    corrupt[p] = p == 2 ? rng.nextInt(29) : clean[p];
                }
                examples.add(new Example(clean, corrupt, List.of(new Target(-1, rng.nextInt(29), rng.nextInt(29)))));
            }
            Task task = new Task("t", examples);
            try (TaskPatcher roomy = new TaskPatcher(new EdgePatcher(loaded.model()), task, Metrics.LOGIT_DIFF,
                    Ablation.RESAMPLE, 3);
                 TaskPatcher tight = new TaskPatcher(new EdgePatcher(loaded.model()), task, Metrics.LOGIT_DIFF,
                         Ablation.RESAMPLE, 3, 1)) {
                assertTrue(roomy.masksPerPass() >= 7, "the default budget holds 7 masks of this tiny model");
                assertEquals(1, tight.masksPerPass(), "a 1-byte budget still runs one mask per pass");
                int edges = roomy.graph().nEdges();
                List<boolean[]> masks = new ArrayList<>();
                for (int m = 0; m < 7; m++) {
                    boolean[] keep = new boolean[edges];
                    for (int e = 0; e < edges; e++) {
                        keep[e] = rng.nextDouble() < 0.5;
                    }
                    masks.add(keep);
                }
                long roomyBefore = roomy.forwardPasses();
                long tightBefore = tight.forwardPasses();
                double[] together = roomy.evaluateKeep(masks);
                double[] apart = tight.evaluateKeep(masks);
                assertEquals(2, roomy.forwardPasses() - roomyBefore, "one pass per batch");
                assertEquals(14, tight.forwardPasses() - tightBefore, "one pass per mask and batch");
                double[][] perTarget = tight.evaluatePerTargetKeep(masks);
                try (TaskPatcher.Prefixes prefixes = tight.prefixes(masks.get(0), 0)) {
                    double[] fromPrefix = tight.evaluateKeep(prefixes, masks.subList(0, 1));
                    assertEquals(together[0], fromPrefix[0], 1e-5);
                }
                for (int m = 0; m < masks.size(); m++) {
                    assertEquals(together[m], apart[m], 1e-5, "mask " + m);
                    double mean = java.util.Arrays.stream(perTarget[m]).average().orElseThrow();
                    assertEquals(together[m], mean, 1e-5, "per-target values of mask " + m);
                }
            }
        }
    }
}

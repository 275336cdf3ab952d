package io.circuitscope.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.EdgeScores;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.progress.Progress;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.testing.TestModels;
import io.circuitscope.core.testing.ObservedLogitDiff;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code eap-ig-inputs} with one step per pass (what large models get, {@link EapIg#stepsPerPass}) must not
 * keep each step's temporaries until its batch ends: the arrays a batch holds outside its passes stay the
 * same from step to step.
 */
class InputPathMemoryTest {
    /** The logit difference, recording in each gradient pass how many arrays its batch holds outside the pass. */
    static final class KeptOutsideEachPass extends ObservedLogitDiff {
        final List<Integer> kept = new ArrayList<>();
        NDManager task;

        @Override
        protected void observe(NDArray logits) {
            NDManager pass = logits.getManager();
            NDManager batchScope = pass.getParentManager();
            if (task != null && batchScope != null && batchScope.getParentManager() == task) {
                kept.add(batchScope.getManagedArrays().size() - pass.getManagedArrays().size());
            }
        }
    }

    @Test
    void oneStepPerPassKeepsNothingFromStepToStep() {
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(31, 3, 4, 16, 50, 32, false))) {
            Task task = RandomTasks.make(loaded.model(), 4, 6, 8, false);
            for (ComputationGraph g : new ComputationGraph[] {ComputationGraph.of(loaded.model().config()),
                    ComputationGraph.byPosition(loaded.model().config(), 8)}) {
                KeptOutsideEachPass metric = new KeptOutsideEachPass();
                try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model(), g), task, metric,
                        Ablation.RESAMPLE, 16)) {
                    EapIg onePerPass = new EapIg(8, EapIg.Interpolation.INPUTS, 1); // a budget too small for two steps
                    assertEquals(1, onePerPass.stepsPerPass(tp));
                    EdgeScores together = new EapIg(8, EapIg.Interpolation.INPUTS).score(tp, Progress.NONE);
                    metric.task = tp.manager();
                    EdgeScores split = onePerPass.score(tp, Progress.NONE);
                    double scale = Arrays.stream(together.values()).map(Math::abs).max().orElseThrow();
                    for (int e = 0; e < g.nEdges(); e++) {
                        assertEquals(together.get(e), split.get(e), 1e-4 * scale, g + " " + g.edges().get(e));
                    }
                }
                assertEquals(8, metric.kept.size(), g + ": one pass per step of the one batch");
                assertTrue(metric.kept.stream().allMatch(metric.kept.get(0)::equals),
                        g + ": arrays the batch holds outside each step's pass " + metric.kept);
            }
        }
    }
}

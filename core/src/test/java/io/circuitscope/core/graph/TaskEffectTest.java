package io.circuitscope.core.graph;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.task.Example;
import io.circuitscope.core.task.Metric;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Target;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.testing.TestModels;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** A task whose corruption does not move the metric has no faithfulness: it is told apart and refused by name. */
class TaskEffectTest {
    @Test
    void aCorruptionThatChangesNothingIsRefusedWithTheTaskAndMetricNamed() {
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(21, 2, 2, 4, 29, 8, false))) {
            for (Metric metric : List.of(Metrics.LOGIT_DIFF, Metrics.KL)) {
                try (TaskPatcher same = patcher(loaded, "unchanged", false, metric);
                     TaskPatcher changed = patcher(loaded, "changed", true, metric)) {
                    assertEquals(same.cleanValue(), same.corruptedValue(), 1e-9, "identical prompts");
                    assertFalse(same.hasEffect(), metric.name());
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, same::requireEffect);
                    assertTrue(e.getMessage().contains("task 'unchanged': the corrupted prompts barely change the metric "
                            + metric.name()), e.getMessage());
                    assertTrue(e.getMessage().contains("faithfulness is undefined"), e.getMessage());
                    double gap = Math.abs(changed.cleanValue() - changed.corruptedValue());
                    assertTrue(gap > 1e-3, metric.name() + " moves by " + gap + " when every prompt is resampled");
                    assertTrue(changed.hasEffect(), metric.name());
                    assertDoesNotThrow(changed::requireEffect);
                }
            }
        }
    }

    private static TaskPatcher patcher(LoadedModel loaded, String name, boolean corrupt, Metric metric) {
        Random rng = new Random(4);
        List<Example> examples = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            int[] clean = new int[5];
            int[] other = new int[5];
            for (int p = 0; p < 5; p++) {
                clean[p] = rng.nextInt(29);
                other[p] = rng.nextInt(29);
            }
            int correct = rng.nextInt(29);
            examples.add(new Example(clean, corrupt ? other : clean.clone(),
                    List.of(new Target(-1, correct, (correct + 1) % 29))));
        }
        return new TaskPatcher(new EdgePatcher(loaded.model()), new Task(name, examples), metric, Ablation.RESAMPLE, 3);
    }
}

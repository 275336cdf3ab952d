package io.circuitscope.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.graph.Ablation;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * Integrated gradients' completeness for every differentiable metric the command line offers: with many steps the
 * EAP-IG scores, each an estimate of m(edge patched) - m(clean), add up to m(every edge patched) - m(clean), the
 * corrupted value less the clean one. A score with the wrong sign, or a gradient of another quantity than the one
 * the metric reports (log(softmax) for log-softmax, a set's first token for the set), would not. On a task with
 * answer sets, two prompt lengths and two targets in some prompts. Previously checked for logit-diff alone.
 */
class EapIgCompletenessTest {
    @Test
    void scoresAddUpToTheCleanCorruptedDifferenceForEveryDifferentiableMetric() {
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(17, 2, 2, 4, 23, 8, false))) {
            Task task = withSetsAndTwoLengths(RandomTasks.make(loaded.model(), 4, 4, 6, false),
                    RandomTasks.make(loaded.model(), 5, 3, 4, false));
            for (Metric metric : Metrics.ALL) {
                if (!metric.differentiable() || metric == Metrics.LOGIT_DIFF_SWAPPED) {
                    continue; // logit-diff-swapped is logit-diff on a balanced task; accuracy and rank are steps
                }
                try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model()), task, metric, Ablation.RESAMPLE, 8)) {
                    double gap = tp.corruptedValue() - tp.cleanValue();
                    double sum = Arrays.stream(new EapIg(100).score(tp, Progress.NONE).values()).sum();
                    System.out.printf(Locale.ROOT, "EAP-IG completeness, %s: m(corrupt) - m(clean) %.5f; sum of scores "
                            + "%.5f (100 steps)%n", metric.name(), gap, sum);
                    assertTrue(Math.abs(gap) > 0.01, metric.name() + ": the task must have a gap");
                    assertEquals(gap, sum, 0.03 * Math.abs(gap), metric.name());
                }
            }
        }
    }

    /** The first task's examples with answer sets (the correct and wrong token plus one more each), then the second's. */
    private static Task withSetsAndTwoLengths(Task sets, Task plain) {
        List<Example> out = new ArrayList<>();
        int k = 0;
        for (Example e : sets.examples()) {
            Target t = e.targets().get(0);
            int c = t.correctId();
            int w = t.wrongId();
            int extraC = (c + 7 + k) % 23 == w ? (c + 8 + k) % 23 : (c + 7 + k) % 23;
            int extraW = (w + 3) % 23;
            while (extraW == c || extraW == extraC || extraW == w) {
                extraW = (extraW + 1) % 23;
            }
            out.add(new Example(e.clean(), e.corrupt(), List.of(new Target(-1, List.of(c, extraC), List.of(w, extraW)),
                    new Target(2, c, w))));
            k++;
        }
        out.addAll(plain.examples());
        return new Task("sets", out);
    }
}

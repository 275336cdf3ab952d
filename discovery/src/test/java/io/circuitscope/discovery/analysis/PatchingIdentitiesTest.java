package io.circuitscope.discovery.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.TaskMetricIdentitiesTest;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.task.Direction;
import io.circuitscope.core.task.Metric;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.testing.TestModels;
import io.circuitscope.core.testing.TinyCheckpoint;
import io.circuitscope.discovery.analysis.ActivationPatching.Options;
import io.circuitscope.discovery.analysis.ActivationPatching.Site;
import java.util.Locale;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Activation patching's identities for every metric the command line offers, on tasks of several prompt lengths
 * (batched by length, a second target in some prompts, answer sets in some tasks): its clean and corrupted values
 * are the task's (as the patcher reads them, itself checked against prompts run alone in TaskMetricIdentitiesTest),
 * patching the whole input (resid_pre0) in the denoising direction gives the clean run and in the noising direction
 * the corrupted run, so both normalise to 1, and a task whose corruption is its clean prompt changes nothing.
 * Previously checked for logit-diff on prompts of one length.
 */
class PatchingIdentitiesTest {
    static final double TOLERANCE = 2e-4;

    @Property(tries = 6)
    void wholeInputPatchesAreTheCleanAndCorruptedRunsForEveryMetric(@ForAll @IntRange(min = 0, max = 100_000) int seed,
            @ForAll @IntRange(min = 1, max = 4) int batchSize, @ForAll boolean answerSets) {
        Random rng = new Random(seed);
        Task task = TaskMetricIdentitiesTest.randomTask(rng, answerSets, false);
        Task same = TaskMetricIdentitiesTest.randomTask(rng, answerSets, true);
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(seed, 2, 2, 4, 23, 8, false))) {
            EdgePatcher patcher = new EdgePatcher(loaded.model());
            for (Metric metric : Metrics.ALL) {
                if (answerSets && metric == Metrics.LOGIT_DIFF_SWAPPED) {
                    continue;
                }
                String what = String.format(Locale.ROOT, "%s, seed %d, batch size %d", metric.name(), seed, batchSize);
                double clean;
                double corrupted;
                try (TaskPatcher tp = new TaskPatcher(patcher, task, metric, Ablation.RESAMPLE, batchSize)) {
                    clean = tp.cleanValue();
                    corrupted = tp.corruptedValue();
                }
                for (Direction d : Direction.values()) {
                    Options o = new Options(metric, d, io.circuitscope.core.task.Corruption.resample(), Site.RESID, false,
                            256, batchSize);
                    PatchResult r = ActivationPatching.sweep(loaded.model(), task, o);
                    assertEquals(clean, r.clean(), TOLERANCE, what + ", " + d + ": clean");
                    assertEquals(corrupted, r.corrupted(), TOLERANCE, what + ", " + d + ": corrupted");
                    PatchResult.Effect input = r.effects().get(0);
                    assertEquals("resid_pre0", input.name());
                    assertEquals(d == Direction.DENOISE ? clean : corrupted, input.value(), TOLERANCE,
                            what + ", " + d + ": the whole input patched");
                    if (Math.abs(clean - corrupted) > 1e-2) {
                        assertEquals(1.0, input.normalized(), 1e-3, what + ", " + d + ": normalised");
                    }
                    PatchResult unchanged = ActivationPatching.sweep(loaded.model(), same, o);
                    for (PatchResult.Effect e : unchanged.effects()) {
                        assertEquals(unchanged.clean(), e.value(), TOLERANCE, what + ", " + d + ": clean into clean, "
                                + e.name());
                    }
                }
            }
        }
    }
}

package io.circuitscope.discovery.analysis;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.task.Corruption;
import io.circuitscope.core.task.Direction;
import io.circuitscope.core.task.Metric;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.testing.TestModels;
import io.circuitscope.core.testing.ObservedLogitDiff;
import io.circuitscope.core.testing.TinyCheckpoint;
import io.circuitscope.discovery.RandomTasks;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * A batch's patched passes must leave nothing on the batch's run manager: whatever a pass patches in (the
 * zero or mean ablation value included) is freed with the pass, so memory does not grow with the number of
 * passes, variants or senders.
 */
class PatchRunsMemoryTest {
    /**
     * The logit difference, recording on each patched pass how many arrays the batch's run manager holds
     * outside that pass (its caches and whatever earlier passes left there).
     */
    static final class KeptOutsideEachPass extends ObservedLogitDiff {
        final List<Integer> kept = new ArrayList<>();
        private NDManager run;

        @Override
        protected void observe(NDArray logits) {
            NDManager owner = logits.getManager();
            if (owner.getParentManager() == run) { // a patched pass, a sub-manager of the batch's run
                kept.add(run.getManagedArrays().size() - owner.getManagedArrays().size());
            } else { // the batch's clean or corrupted run itself
                run = owner;
            }
        }

        void assertNoGrowth(String what) {
            assertTrue(kept.size() > 3, what + ": only " + kept.size() + " patched passes");
            assertEquals(kept.get(0), kept.stream().mapToInt(Integer::intValue).max().orElseThrow(),
                    what + ": arrays left on the batch's run manager after each pass " + kept);
        }
    }

    /** Runs {@code analysis} now; what it left is checked with the other analyses (every failure reported). */
    private static Executable check(String what, Consumer<Metric> analysis) {
        KeptOutsideEachPass metric = new KeptOutsideEachPass();
        analysis.accept(metric);
        return () -> metric.assertNoGrowth(what);
    }

    @Test
    void patchedPassesLeaveNothingOnTheBatchRun() {
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(31, 3, 4, 16, 50, 32, false))) {
            HookedTransformer model = loaded.model();
            Task task = RandomTasks.make(model, 4, 6, 8, false);
            List<Executable> checks = new ArrayList<>();
            for (Corruption c : new Corruption[] {Corruption.zero(), Corruption.mean(), Corruption.resample()}) {
                String name = c.kind().name().toLowerCase();
                // 8 rows per pass: one variant of 6 prompts per pass, so one source value per pass
                checks.add(check("sweep " + name, m -> ActivationPatching.sweep(model, task, new ActivationPatching.Options(m,
                        Direction.NOISE, c, ActivationPatching.Site.HEADS, true, 8, 64))));
                checks.add(check("naive " + name, m -> ActivationPatching.naive(model, task, new ActivationPatching.Options(m,
                        Direction.NOISE, c, ActivationPatching.Site.HEADS, false, 8, 64))));
                checks.add(check("senders " + name, m -> PathPatching.senders(model, task, m, Direction.NOISE, c,
                        PathPatching.Receiver.parse("logits", model.config()), 12)));
            }
            assertAll(checks);
        }
    }

    @Test
    void aBatchWhoseCorruptionFailsLeavesNothingBehind() {
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(31, 3, 4, 16, 50, 32, false))) {
            HookedTransformer model = loaded.model();
            Task task = RandomTasks.make(model, 4, 6, 8, false); // no noise positions
            NDManager runs;
            try (NDManager probe = model.newRunManager()) {
                runs = probe.getParentManager(); // what every run manager of the model descends from
            }
            int before = runs.getManagedArrays().size();
            ActivationPatching.Options noise = ActivationPatching.Options.of(Metrics.LOGIT_DIFF, Direction.DENOISE,
                    ActivationPatching.Site.HEADS, false).withCorruption(Corruption.noise(3));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ActivationPatching.sweep(model, task, noise)); // after the batch's clean run
            assertTrue(e.getMessage().contains("noise_positions"), e.getMessage());
            assertEquals(before, runs.getManagedArrays().size(), "arrays left by the failed batch's clean run");
        }
    }
}

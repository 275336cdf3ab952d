package io.circuitscope.discovery.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.task.Corruption;
import io.circuitscope.core.task.Direction;
import io.circuitscope.core.task.Example;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Task;
import io.circuitscope.discovery.RandomTasks;
import io.circuitscope.discovery.analysis.ActivationPatching.Options;
import io.circuitscope.discovery.analysis.ActivationPatching.Site;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Mean ablation in the classic analyses takes the task's mean, so their answers do not depend on batching. */
class MeanAblationAnalysesTest {
    @Test
    void activationPatchingGivesTheSameAnswerForAnyBatchSize() {
        try (LoadedModel loaded = AnalysesTest.model()) {
            HookedTransformer m = loaded.model();
            Task t = RandomTasks.make(m, 11, 7, 5, false);
            Options mean = Options.of(Metrics.LOGIT_DIFF, Direction.NOISE, Site.HEADS, false)
                    .withCorruption(Corruption.mean());
            PatchResult whole = ActivationPatching.sweep(m, t, mean);
            PatchResult ones = ActivationPatching.sweep(m, t, new Options(mean.metric(), mean.direction(),
                    mean.corruption(), mean.site(), false, mean.maxRows(), 1));
            AnalysesTest.assertSame(whole, ones, 1e-5);
            double largest = whole.effects().stream().mapToDouble(e -> Math.abs(e.effect())).max().orElseThrow();
            assertTrue(largest > 1e-3, "mean-ablating a head must do something (a batch of one once did nothing): "
                    + largest);
        }
    }

    /**
     * An example alone at its prompt length is its own mean: "ablating" it patched in its own activations and
     * every effect was 0. Activation, path and edge patching refuse such a task before any pass.
     */
    @Test
    void anExampleAloneAtItsLengthIsRefusedByEveryAnalysis() {
        try (LoadedModel loaded = AnalysesTest.model()) {
            HookedTransformer m = loaded.model();
            List<Example> examples = new java.util.ArrayList<>(RandomTasks.make(m, 11, 3, 5, false).examples());
            examples.add(RandomTasks.make(m, 12, 1, 6, false).examples().get(0));
            Task t = new Task("mixed", examples);
            Options mean = Options.of(Metrics.LOGIT_DIFF, Direction.NOISE, Site.RESID, false)
                    .withCorruption(Corruption.mean());
            List<org.junit.jupiter.api.function.Executable> analyses = List.of(
                    () -> ActivationPatching.sweep(m, t, mean),
                    () -> PathPatching.senders(m, t, Metrics.LOGIT_DIFF, Direction.NOISE, Corruption.mean(),
                            PathPatching.Receiver.parse("logits", m.config()), 256),
                    () -> PathPatching.edges(m, t, Metrics.LOGIT_DIFF, Direction.NOISE, Corruption.mean(), null, 256,
                            false));
            for (org.junit.jupiter.api.function.Executable analysis : analyses) {
                IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
                        IllegalArgumentException.class, analysis);
                assertTrue(e.getMessage().contains("example 4 is alone at its length"), e.getMessage());
                assertTrue(e.getMessage().startsWith("corruption mean averages"), "in words: " + e.getMessage());
            }
        }
    }

    /** Edge patching with mean ablation against the discovery side's task patcher, an independent implementation. */
    @Test
    void edgePatchingAgreesWithTheTaskPatcherAcrossBatchesOfSixtyFour() {
        try (LoadedModel loaded = AnalysesTest.model()) {
            HookedTransformer m = loaded.model();
            Task t = RandomTasks.make(m, 11, 70, 5, false); // two batches: 64 and 6
            PatchResult edges = PathPatching.edges(m, t, Metrics.LOGIT_DIFF, Direction.NOISE, Corruption.mean(), "a1",
                    256, false);
            // the task patcher's mean is over the corrupted prompts: make them the clean ones
            List<Example> same = t.examples().stream().map(e -> new Example(e.clean(), e.clean(), e.targets())).toList();
            try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(m), new Task("same", same), Metrics.LOGIT_DIFF,
                    Ablation.MEAN, 16)) {
                for (PatchResult.Effect e : edges.effects()) {
                    boolean[] keep = new boolean[tp.graph().nEdges()];
                    java.util.Arrays.fill(keep, true);
                    keep[tp.graph().edge(e.name()).index()] = false;
                    assertEquals(tp.evaluateKeep(keep), e.value(), 1e-4, e.name());
                }
            }
        }
    }
}

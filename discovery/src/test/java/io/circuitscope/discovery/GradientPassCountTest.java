package io.circuitscope.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.planted.PlantedModel;
import io.circuitscope.core.planted.PlantedModels;
import io.circuitscope.core.progress.Progress;
import io.circuitscope.core.task.GradientPassCount;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.testing.TestModels;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The gradient passes a scorer spends (one forward and one backward pass over a batch each) are counted by the
 * task ({@link TaskPatcher#gradientPasses}) and reported to the progress stage, apart from the forward passes.
 */
class GradientPassCountTest {

    /** Records the passes each stage last reported. */
    static final class Recorded implements Progress {
        final List<String> stages = new ArrayList<>();
        final List<long[]> passes = new ArrayList<>(); // per stage: forward, gradient

        @Override
        public void start(String stage, long total) {
            stages.add(stage);
            passes.add(new long[2]);
        }

        @Override
        public void advance(long done, long forwardPasses) {
            advance(done, forwardPasses, passes.get(passes.size() - 1)[1]);
        }

        @Override
        public void advance(long done, long forwardPasses, long gradientPasses) {
            passes.get(passes.size() - 1)[0] = forwardPasses;
            passes.get(passes.size() - 1)[1] = gradientPasses;
        }

        @Override
        public void finish() {
        }
    }

    /** PipelineVsAcdc's pipeline case: EAP-IG (5 steps) ranks, ACDC verifies the top 100, KL, resample, batch 32. */
    @Test
    void theEngineCountsThePipelinesGradientPassesAsTheBenchmarkHarnessDoes() {
        PlantedModel planted = PlantedModels.byName("ioi");
        try (HookedTransformer model = planted.build()) {
            Task task = planted.task(0, 32);
            for (int batchSize : new int[] {32, 8}) {
                GradientPassCount harness = new GradientPassCount(Metrics.KL);
                try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(model), task, harness, Ablation.RESAMPLE, batchSize)) {
                    long forwardBefore = tp.forwardPasses();
                    assertEquals(0, tp.gradientPasses(), "preparing the task runs no gradient pass");
                    Recorded progress = new Recorded();
                    new Pipeline(new EapIg(5), new CandidateBudget.TopK(100), new Acdc(0.01)).run(tp, progress);
                    int batches = tp.batches().size();
                    // all 5 steps of a batch fit one pass on this small model
                    assertEquals(batches, harness.count(), "batch size " + batchSize);
                    assertEquals(harness.count(), tp.gradientPasses(), "batch size " + batchSize);
                    assertEquals("scoring edges (eap-ig, 5 steps)", progress.stages.get(0));
                    assertEquals(0, progress.passes.get(0)[0]);
                    assertEquals(batches, progress.passes.get(0)[1], "the scoring stage reports its gradient passes");
                    assertTrue(progress.passes.get(1)[0] > 0 && progress.passes.get(1)[1] == 0, "ACDC: forward passes only");
                    assertTrue(tp.forwardPasses() - forwardBefore >= progress.passes.get(1)[0]);
                }
            }
        }
    }

    /** What each scorer spends per batch, gradient passes and forward passes, as their documentation says. */
    @Test
    void everyGradientScorerCountsItsPassesPerBatch() {
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(5, 3, 2, 4, 23, 8, false))) {
            Task task = RandomTasks.make(loaded.model(), 5, 6, 5, false);
            int layers = loaded.model().config().nLayers();
            try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model()), task, Metrics.LOGIT_DIFF,
                    Ablation.RESAMPLE, 2)) {
                int batches = tp.batches().size();
                assertEquals(3, batches);
                expect(tp, "eap", progress -> new Eap().score(tp, progress), batches, 0);
                expect(tp, "relp", progress -> new RelP(false).score(tp, progress), batches, 0);
                expect(tp, "atp", progress -> new Atp().score(tp, progress), batches, 0);
                expect(tp, "eap-ig", progress -> new EapIg(4).score(tp, progress), batches, 0);
                // one step per pass: four gradient passes per batch
                expect(tp, "eap-ig one step per pass", progress -> new EapIg(4, EapIg.Interpolation.ACTIVATIONS, 1)
                        .score(tp, progress), 4L * batches, 0);
                // plus a forward pass per batch for the clean differences
                expect(tp, "eap-ig-inputs", progress -> new EapIg(4, EapIg.Interpolation.INPUTS, 1).score(tp, progress),
                        4L * batches, batches);
                // the estimate and GradDrop's layer-0 term, one pass per later layer, and one for dm/dA
                expect(tp, "atp-star", progress -> new AtpStar().score(tp, progress), (layers + 1L) * batches, 0);
                expect(tp, "exact", progress -> new ExhaustivePatching(64).score(tp, progress), 0, -1);
            }
        }
    }

    /** Runs a scorer; checks the task's counts and what its stage reported (forward -1: some, not checked). */
    private static void expect(TaskPatcher tp, String what, Consumer<Progress> scorer, long gradient, long forward) {
        long forwardBefore = tp.forwardPasses();
        long gradientBefore = tp.gradientPasses();
        Recorded progress = new Recorded();
        scorer.accept(progress);
        assertEquals(gradient, tp.gradientPasses() - gradientBefore, what + ": gradient passes");
        assertEquals(gradient, progress.passes.get(progress.passes.size() - 1)[1], what + ": gradient passes reported");
        long ran = tp.forwardPasses() - forwardBefore;
        if (forward >= 0) {
            assertEquals(forward, ran, what + ": forward passes");
        } else {
            assertTrue(ran > 0, what + ": forward passes");
        }
        assertEquals(ran, progress.passes.get(progress.passes.size() - 1)[0], what + ": forward passes reported");
    }
}

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
import java.util.Set;
import java.util.TreeSet;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

/**
 * Masks that differ from a base only from some layer on get the values of full patched passes when run from the
 * base's prefixes, with a prefix pass per layer above 0 and batch counted; when they fit one pass's budget, no
 * prefixes.
 */
class PrefixedEvaluationTest {
    @Test
    void everyEdgePatchedAloneGetsTheValuesOfFullPassesFromPrefixes() {
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(61, 3, 2, 4, 23, 8, false));
                TaskPatcher task = new TaskPatcher(new EdgePatcher(loaded.model()), randomTask(10), Metrics.LOGIT_DIFF,
                        Ablation.RESAMPLE, 4, 1)) { // three batches, one mask a pass
            ComputationGraph g = task.graph();
            int n = g.nEdges();
            boolean[] all = new boolean[n];
            java.util.Arrays.fill(all, true);
            int[] layer = new int[n];
            Set<Integer> layers = new TreeSet<>();
            for (int e = 0; e < n; e++) {
                layer[e] = PrefixedEvaluation.firstLayer(g.edges().get(e));
                layers.add(layer[e]);
            }
            assertEquals(Set.of(0, 1, 2, 3), layers, "edges into every layer and the logits (layer 3)");
            IntFunction<boolean[]> mask = e -> {
                boolean[] m = all.clone();
                m[e] = false;
                return m;
            };
            assertTrue(!PrefixedEvaluation.fitsPassBudget(task, n));
            assertEquals(1, task.masksPerPass());
            long passes = task.forwardPasses();
            long patched = task.patchedLayers();
            List<Integer> done = new ArrayList<>();
            double[] shared = PrefixedEvaluation.evaluate(task, all, layer, mask, true, done::add);
            long sharedPasses = task.forwardPasses() - passes;
            long sharedLayers = task.patchedLayers() - patched;
            double[] plain = PrefixedEvaluation.evaluate(task, all, layer, mask, false, i -> {
            });
            long plainPasses = task.forwardPasses() - passes - sharedPasses;
            long plainLayers = task.patchedLayers() - patched - sharedLayers;
            double spread = 0;
            for (int e = 0; e < n; e++) {
                assertEquals(plain[e], shared[e], 1e-6, g.edges().get(e).name());
                spread = Math.max(spread, Math.abs(plain[e] - task.cleanValue()));
            }
            assertTrue(spread > 0.01, "some edge must matter for the comparison to mean anything: " + spread);
            int batches = task.batches().size();
            assertEquals(3, batches);
            assertEquals((long) n * batches, plainPasses);
            assertEquals((long) n * batches + 3L * batches, sharedPasses, "a prefix per layer 1..3 and batch");
            assertTrue(sharedLayers < plainLayers, sharedLayers + " layers against " + plainLayers);
            assertEquals(n, done.size(), "one report per chunk of one mask");
            assertEquals(n, (int) done.get(n - 1));
        }
    }

    /** Masks within one pass's budget run whole, MASKS_PER_PASS at a time, even when that takes two passes. */
    @Test
    void masksThatFitThePassBudgetRunWhole() {
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(61, 3, 2, 4, 23, 8, false));
                TaskPatcher task = new TaskPatcher(new EdgePatcher(loaded.model()), randomTask(10), Metrics.LOGIT_DIFF,
                        Ablation.RESAMPLE, 4)) {
            ComputationGraph g = task.graph();
            boolean[] all = new boolean[g.nEdges()];
            java.util.Arrays.fill(all, true);
            int count = 50; // the default discover run's false-negative patches
            assertTrue(PrefixedEvaluation.fitsPassBudget(task, count));
            int[] layer = new int[count];
            for (int i = 0; i < count; i++) {
                layer[i] = PrefixedEvaluation.firstLayer(g.edges().get(g.nEdges() - 1 - i)); // late layers
            }
            assertTrue(java.util.Arrays.stream(layer).allMatch(l -> l > 0));
            long passes = task.forwardPasses();
            long patched = task.patchedLayers();
            PrefixedEvaluation.evaluate(task, all, layer, i -> {
                boolean[] m = all.clone();
                m[g.nEdges() - 1 - i] = false;
                return m;
            }, true, i -> {
            });
            assertEquals(2L * task.batches().size(), task.forwardPasses() - passes, "32 and 18 masks, per batch");
            assertEquals((long) count * 3 * task.batches().size(), task.patchedLayers() - patched,
                    "every mask computes the 3 layers once per batch");
        }
    }

    private static Task randomTask(int n) {
        Random rng = new Random(5);
        List<Example> examples = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int[] clean = new int[5];
            int[] corrupt = new int[5];
            for (int p = 0; p < 5; p++) {
                clean[p] = rng.nextInt(23);
                corrupt[p] = rng.nextInt(23);
            }
            int answer = rng.nextInt(23);
            examples.add(new Example(clean, corrupt, List.of(new Target(-1, answer, (answer + 1) % 23))));
        }
        return new Task("random", examples);
    }
}

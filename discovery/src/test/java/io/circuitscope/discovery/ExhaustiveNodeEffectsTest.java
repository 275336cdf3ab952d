package io.circuitscope.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.Node;
import io.circuitscope.core.graph.NodeKind;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.task.Direction;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.testing.TestModels;
import io.circuitscope.core.testing.TinyCheckpoint;
import io.circuitscope.discovery.analysis.ActivationPatching;
import io.circuitscope.discovery.analysis.PatchResult;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Patching every out-edge of a node is patching the node's output: the edge patcher's node effects
 * equal a hook-based activation patching sweep over head outputs (z) and MLP outputs.
 */
class ExhaustiveNodeEffectsTest {
    @Test
    void nodeEffectsEqualPatchingTheNodesOutput() {
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(13, 2, 3, 4, 29, 8, false))) {
            Task task = RandomTasks.make(loaded.model(), 3, 5, 6, false);
            Map<String, Double> bySweep = new HashMap<>();
            for (ActivationPatching.Site site : new ActivationPatching.Site[] {ActivationPatching.Site.HEADS,
                    ActivationPatching.Site.MLP}) {
                PatchResult r = ActivationPatching.sweep(loaded.model(), task,
                        ActivationPatching.Options.of(Metrics.LOGIT_DIFF, Direction.NOISE, site, false));
                r.effects().forEach(e -> bySweep.put(e.name(), e.effect()));
            }
            try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model()), task, Metrics.LOGIT_DIFF,
                    Ablation.RESAMPLE, 8)) {
                double[] effects = new ExhaustivePatching(4).nodeEffects(tp); // chunks of 4: boundaries exercised
                int compared = 0;
                double largest = 0;
                for (Node n : tp.graph().sources()) {
                    if (n.kind() == NodeKind.INPUT) {
                        continue;
                    }
                    assertEquals(bySweep.get(n.name()), effects[n.sourceIndex()], 1e-4, n.name());
                    largest = Math.max(largest, Math.abs(effects[n.sourceIndex()]));
                    compared++;
                }
                assertEquals(2 * 3 + 2, compared);
                assertTrue(largest > 1e-3, "some node must matter, largest effect " + largest);
            }
        }
    }

    /** Running each edge's trial from its layer's shared clean prefix gives what a full pass per edge gives. */
    @Test
    void edgeEffectsFromSharedPrefixesEqualOneFullPassPerEdge() {
        for (TinyCheckpoint checkpoint : java.util.List.of(TinyCheckpoint.gpt2(19, 3, 2, 4, 29, 8, false),
                TinyCheckpoint.llamaFamily("llama", 7, 2, 4, 2, 4, 12, 20, 29, 16, false, false))) {
            try (LoadedModel loaded = TestModels.load(checkpoint)) {
                Task task = RandomTasks.make(loaded.model(), 8, 6, 5, false);
                for (io.circuitscope.core.graph.ComputationGraph g : new io.circuitscope.core.graph.ComputationGraph[] {
                        io.circuitscope.core.graph.ComputationGraph.of(loaded.model().config()),
                        io.circuitscope.core.graph.ComputationGraph.byPosition(loaded.model().config(), 5)}) {
                    try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model(), g), task, Metrics.LOGIT_DIFF,
                            Ablation.RESAMPLE, 4)) { // batches of 4: two batches, each with its own prefixes
                        double[] fast = new ExhaustivePatching(7).score(tp, io.circuitscope.core.progress.Progress.NONE)
                                .values();
                        long before = tp.forwardPasses();
                        double largest = 0;
                        for (int e = 0; e < g.nEdges(); e++) {
                            boolean[] keep = new boolean[g.nEdges()];
                            java.util.Arrays.fill(keep, true);
                            keep[e] = false;
                            double slow = tp.evaluateKeep(java.util.List.of(keep))[0] - tp.cleanValue();
                            assertEquals(slow, fast[e], 1e-4 * (1 + Math.abs(slow)), g + " " + g.edges().get(e).name());
                            largest = Math.max(largest, Math.abs(slow));
                        }
                        assertTrue(largest > 1e-3, "some edge must matter, largest effect " + largest);
                        assertTrue(tp.forwardPasses() > before, "the reference loop ran");
                    }
                }
            }
        }
    }

    /** Patching a sample of edges gives each sampled edge the effect the full sweep gives it, and leaves the rest unscored. */
    @Test
    void aSampleOfEdgesGetsTheFullSweepsEffects() {
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(23, 3, 2, 4, 29, 8, false))) {
            Task task = RandomTasks.make(loaded.model(), 4, 6, 5, false);
            try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model()), task, Metrics.LOGIT_DIFF,
                    Ablation.RESAMPLE, 4)) {
                int n = tp.graph().nEdges();
                double[] full = new ExhaustivePatching(5).score(tp, io.circuitscope.core.progress.Progress.NONE).values();
                int[] sample = {n - 1, 0, 7, n / 2, 3}; // any order, several destination layers, the logits included
                double[] part = new ExhaustivePatching(2).scoreOnly(tp, sample, io.circuitscope.core.progress.Progress.NONE)
                        .values();
                java.util.Set<Integer> chosen = new java.util.HashSet<>();
                for (int e : sample) {
                    chosen.add(e);
                    assertEquals(full[e], part[e], 1e-5 * (1 + Math.abs(full[e])), tp.graph().edges().get(e).name());
                }
                for (int e = 0; e < n; e++) {
                    assertEquals(!chosen.contains(e), Double.isNaN(part[e]), "edge " + e);
                }
                assertTrue(java.util.Arrays.stream(sample).anyMatch(e -> Math.abs(full[e]) > 1e-4), "some sampled edge matters");
                org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                        () -> new ExhaustivePatching(2).scoreOnly(tp, new int[] {n}, io.circuitscope.core.progress.Progress.NONE));
            }
        }
    }
}

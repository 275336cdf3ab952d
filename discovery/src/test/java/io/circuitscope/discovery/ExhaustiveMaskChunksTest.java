package io.circuitscope.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.Edge;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.progress.Progress;
import io.circuitscope.core.task.Metric;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.testing.TestModels;
import io.circuitscope.core.testing.ObservedLogitDiff;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Exhaustive patching builds each pass's keep-masks just before the pass (a whole layer's at once would hold
 * edges x edges booleans), and how many variants share a pass does not change the effects.
 */
class ExhaustiveMaskChunksTest {
    @Test
    void eachPassMasksAreBuiltJustBeforeIt() {
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(19, 3, 2, 4, 29, 8, false))) {
            Task task = RandomTasks.make(loaded.model(), 8, 6, 5, false);
            AtomicInteger built = new AtomicInteger();
            List<Integer> builtAtEachPass = new ArrayList<>();
            Metric watching = new ObservedLogitDiff(logits -> builtAtEachPass.add(built.get()));
            try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model()), task, watching, Ablation.RESAMPLE, 8)) {
                ComputationGraph g = tp.graph();
                List<Integer> intoLayer2 = g.edges().stream().filter(e -> e.destination().node().layer() == 2)
                        .map(Edge::index).toList();
                assertTrue(intoLayer2.size() > 6, "enough edges for several passes: " + intoLayer2.size());
                builtAtEachPass.clear(); // the task's own clean and corrupted passes
                new ExhaustivePatching(3).effects(tp, intoLayer2.size(), i -> {
                    built.incrementAndGet();
                    boolean[] keep = new boolean[g.nEdges()];
                    Arrays.fill(keep, true);
                    keep[intoLayer2.get(i)] = false;
                    return keep;
                }, 2);
                int passes = (intoLayer2.size() + 2) / 3; // one batch of 6 prompts
                assertEquals(passes, builtAtEachPass.size());
                for (int k = 0; k < passes; k++) {
                    assertEquals(Math.min(intoLayer2.size(), 3 * (k + 1)), builtAtEachPass.get(k),
                            "masks built by pass " + k + " of 3 variants each");
                }
            }
        }
    }

    @Test
    void effectsDoNotDependOnHowManyVariantsShareAPass() {
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(19, 3, 2, 4, 29, 8, false))) {
            Task task = RandomTasks.make(loaded.model(), 8, 6, 5, false);
            for (ComputationGraph g : new ComputationGraph[] {ComputationGraph.of(loaded.model().config()),
                    ComputationGraph.byPosition(loaded.model().config(), 5)}) {
                try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model(), g), task, Metrics.LOGIT_DIFF,
                        Ablation.RESAMPLE, 4)) {
                    ExhaustivePatching together = new ExhaustivePatching(g.nEdges()); // a layer's variants in one pass
                    double[] edges = together.score(tp, Progress.NONE).values();
                    double[] nodes = together.nodeEffects(tp);
                    for (int perPass : new int[] {1, 3}) {
                        ExhaustivePatching chunked = new ExhaustivePatching(perPass);
                        assertClose(edges, chunked.score(tp, Progress.NONE).values(), g + ", edges, " + perPass + " per pass");
                        assertClose(nodes, chunked.nodeEffects(tp), g + ", nodes, " + perPass + " per pass");
                    }
                    assertTrue(Arrays.stream(edges).anyMatch(x -> Math.abs(x) > 1e-3), "some edge must matter");
                }
            }
        }
    }

    private static void assertClose(double[] expected, double[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-5 * (1 + Math.abs(expected[i])), what + " [" + i + "]");
        }
    }
}

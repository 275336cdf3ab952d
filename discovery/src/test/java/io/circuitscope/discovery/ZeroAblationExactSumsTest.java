package io.circuitscope.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.Edge;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.testing.TestModels;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Zero ablation where most or all of a destination's in-edges are cut, against {@link EdgeOracle}'s double-precision
 * patched model. A destination whose in-edges are all cut reads exactly the output biases (zero without them); the
 * engine read the stream minus every source's output, float rounding that a norm downstream divides by sqrt(eps)
 * (on this Gemma 2, an MLP cut off read 0.839 against 1.208). Whole passes, several masks in one pass and passes
 * finished from a shared prefix (ACDC's) are checked.
 */
class ZeroAblationExactSumsTest {
    static Stream<Arguments> models() {
        return Stream.of(TinyCheckpoint.gpt2(71, 2, 2, 4, 23, 8, false),
                        TinyCheckpoint.llamaFamily("llama", 73, 2, 4, 2, 4, 8, 12, 23, 8, false, false),
                        TinyCheckpoint.llamaFamily("gemma2", 77, 2, 4, 2, 4, 8, 12, 23, 8, true, false),
                        TinyCheckpoint.gemma3(79, 2, 4, 2, 4, 8, 12, 23, 8, 3, 2),
                        TinyCheckpoint.gptNeox(81, 2, 2, 8, 23, 8, 0.25, true))
                .map(ck -> Arguments.of(ck.config().get("model_type"), ck));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void cutDestinationsReadOnlyWhatTheirKeptEdgesCarry(String family, TinyCheckpoint ck) {
        try (LoadedModel loaded = TestModels.load(ck)) {
            Task task = RandomTasks.make(loaded.model(), 11, 5, 5, false);
            ComputationGraph g = ComputationGraph.of(loaded.model().config());
            OraclePrompts oracle = new OraclePrompts(EdgeOracle.of(ck), task, Ablation.ZERO, Metrics.LOGIT_DIFF);
            List<boolean[]> masks = new ArrayList<>();
            for (int destination = 0; destination < g.nDestinations(); destination++) {
                masks.add(cutInto(g, destination)); // every in-edge of one destination cut, the rest kept
            }
            Random rng = new Random(5);
            for (double cut : new double[] {0.5, 0.9, 0.97, 1.0}) {
                boolean[] keep = new boolean[g.nEdges()];
                for (int e = 0; e < keep.length; e++) {
                    keep[e] = rng.nextDouble() >= cut;
                }
                masks.add(keep);
            }
            try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model(), g), task, Metrics.LOGIT_DIFF,
                    Ablation.ZERO, 3)) {
                double scale = Math.max(1, Math.abs(oracle.cleanMetric()));
                double[] together = tp.evaluateKeep(masks);
                for (int m = 0; m < masks.size(); m++) {
                    double expected = oracle.withPatched(masks.get(m), g);
                    String what = family + ", mask " + m + " (" + cutCount(masks.get(m)) + " of " + g.nEdges() + " cut)";
                    assertEquals(expected, tp.evaluateKeep(masks.get(m)), 1e-4 * scale, what + ", alone");
                    assertEquals(expected, together[m], 1e-4 * scale, what + ", " + masks.size() + " masks in one pass");
                }
                // ACDC's passes: a prefix below the last layer under one mask, finished under masks that differ above it
                int layer = loaded.model().config().nLayers() - 1;
                boolean[] base = masks.get(masks.size() - 2);
                List<boolean[]> above = new ArrayList<>();
                for (boolean[] other : masks) {
                    boolean[] mixed = other.clone();
                    for (Edge e : g.edges()) {
                        if (e.destination().node().layer() < layer) {
                            mixed[e.index()] = base[e.index()];
                        }
                    }
                    above.add(mixed);
                }
                try (TaskPatcher.Prefixes prefixes = tp.prefixes(base, layer)) {
                    double[] fromPrefix = tp.evaluateKeep(prefixes, above);
                    for (int m = 0; m < above.size(); m++) {
                        assertEquals(oracle.withPatched(above.get(m), g), fromPrefix[m], 1e-4 * scale,
                                family + ", mask " + m + " from a prefix below layer " + layer);
                    }
                }
            }
        }
    }

    private static boolean[] cutInto(ComputationGraph g, int destination) {
        boolean[] keep = new boolean[g.nEdges()];
        Arrays.fill(keep, true);
        for (Edge e : g.edges()) {
            if (e.destination().index() == destination) {
                keep[e.index()] = false;
            }
        }
        return keep;
    }

    private static int cutCount(boolean[] keep) {
        int n = 0;
        for (boolean k : keep) {
            n += k ? 0 : 1;
        }
        return n;
    }
}

package io.circuitscope.core.graph;

import static io.circuitscope.core.graph.EdgePatcherTest.CLEAN;
import static io.circuitscope.core.graph.EdgePatcherTest.CORRUPT;
import static io.circuitscope.core.graph.EdgePatcherTest.maxDiff;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.model.ModelConfig;
import io.circuitscope.core.task.Example;
import io.circuitscope.core.task.Metric;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Target;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.testing.TestModels;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Edges split by token position: structure, identities and the link to position-agnostic edges. */
class PositionAwareGraphTest {
    static final int SEQ = CLEAN[0].length;

    static java.util.stream.Stream<TinyCheckpoint> families() {
        return EdgePatcherTest.families();
    }

    @Property(tries = 30)
    void everyPairOfSourceAndDestinationIsSplitIntoOneEdgePerPosition(@ForAll @IntRange(min = 1, max = 3) int layers,
            @ForAll @IntRange(min = 1, max = 3) int heads, @ForAll @IntRange(min = 1, max = 5) int positions,
            @ForAll boolean parallel) {
        ModelConfig config = ModelConfig.builder("gpt2").setSizes(4 * heads, layers, heads, 8, 10, 8)
                .optParallelAttnMlp(parallel).build();
        ComputationGraph whole = ComputationGraph.of(config);
        ComputationGraph split = ComputationGraph.byPosition(config, positions);
        assertEquals(whole.nEdges() * positions, split.nEdges());
        Set<Integer> cells = new HashSet<>();
        for (Edge e : split.edges()) {
            assertEquals(e, split.edges().get(e.index()));
            assertEquals(e, split.edge(e.name()), "names are unique and resolve");
            assertEquals(e.index(), split.edgeIndex(e.source().sourceIndex(), e.destination().index(), e.position()));
            assertTrue(whole.hasEdge(e.name().substring(0, e.name().lastIndexOf('@'))));
            assertTrue(cells.add(split.coefficientIndex(e)), "two edges share a coefficient cell");
            assertTrue(split.coefficientIndex(e) < split.coefficientCells());
        }
        for (Destination d : split.destinations()) {
            List<Edge> into = split.edgesInto(d);
            assertEquals(whole.edgesInto(whole.destinations().get(d.index())).size() * positions, into.size());
            assertTrue(into.stream().allMatch(e -> e.destination().equals(d)));
        }
        int out = 0;
        for (Node n : split.sources()) {
            out += split.edgesOutOf(n).size();
            assertTrue(split.edgesOutOf(n).stream().allMatch(e -> e.source().equals(n)));
        }
        assertEquals(split.nEdges(), out);
    }

    @Test
    void edgeNamesCarryThePosition() {
        ModelConfig config = ModelConfig.builder("gpt2").setSizes(8, 3, 2, 8, 10, 8).build();
        ComputationGraph g = ComputationGraph.byPosition(config, 6);
        assertEquals("a0.h1->a2.h0<k>@5", g.edge("a0.h1->a2.h0<k>@5").name());
        assertTrue(g.hasEdge("input->logits@0") && !g.hasEdge("input->logits@6") && !g.hasEdge("input->logits"));
        assertThrows(IllegalStateException.class, () -> g.edgeIndex(0, 0), "position-agnostic lookup must refuse");
        assertThrows(IllegalArgumentException.class, () -> ComputationGraph.byPosition(config, 0));
    }

    @ParameterizedTest
    @MethodSource("families")
    void allKeptIsTheCleanRunAndAllPatchedTheCorruptedRun(TinyCheckpoint checkpoint) {
        try (LoadedModel loaded = TestModels.load(checkpoint); NDManager run = loaded.model().newRunManager()) {
            EdgePatcher patcher = new EdgePatcher(loaded.model(), ComputationGraph.byPosition(loaded.model().config(), SEQ));
            SourceOutputs corrupted = patcher.sourceOutputs(run, CORRUPT);
            boolean[] all = new boolean[patcher.graph().nEdges()];
            Arrays.fill(all, true);
            NDArray kept = patcher.forward(run, CLEAN, corrupted, patcher.coefficients(run, all));
            NDArray patched = patcher.forward(run, CLEAN, corrupted, patcher.coefficients(run, new boolean[all.length]));
            assertTrue(maxDiff(kept, loaded.model().forward(run, CLEAN)) < 1e-5f);
            assertTrue(maxDiff(patched, loaded.model().forward(run, CORRUPT)) < 1e-5f);
        }
    }

    @ParameterizedTest
    @MethodSource("families")
    void patchingAnEdgeAtEveryPositionEqualsPatchingTheWholeEdge(TinyCheckpoint checkpoint) {
        try (LoadedModel loaded = TestModels.load(checkpoint); NDManager run = loaded.model().newRunManager()) {
            EdgePatcher whole = new EdgePatcher(loaded.model());
            EdgePatcher split = new EdgePatcher(loaded.model(), ComputationGraph.byPosition(loaded.model().config(), SEQ));
            SourceOutputs corrupted = whole.sourceOutputs(run, CORRUPT);
            for (String name : List.of("input->a1.h0<k>", "a0.h1->logits", "m0->a1.h1<q>")) {
                boolean[] keepWhole = new boolean[whole.graph().nEdges()];
                Arrays.fill(keepWhole, true);
                keepWhole[whole.graph().edge(name).index()] = false;
                boolean[] keepSplit = new boolean[split.graph().nEdges()];
                Arrays.fill(keepSplit, true);
                for (int p = 0; p < SEQ; p++) {
                    keepSplit[split.graph().edge(name + "@" + p).index()] = false;
                }
                NDArray a = whole.forward(run, CLEAN, corrupted, whole.coefficients(run, keepWhole));
                NDArray b = split.forward(run, CLEAN, corrupted, split.coefficients(run, keepSplit));
                assertTrue(maxDiff(a, b) < 1e-5f, name + ": every position patched != whole edge patched");
                assertTrue(maxDiff(a, loaded.model().forward(run, CLEAN)) > 1e-5f, name + ": the patch must matter");
            }
        }
    }

    @Test
    void anEdgeAtALaterPositionCannotChangeEarlierLogits() {
        try (LoadedModel loaded = TestModels.tinyGpt2(7); NDManager run = loaded.model().newRunManager()) {
            EdgePatcher split = new EdgePatcher(loaded.model(), ComputationGraph.byPosition(loaded.model().config(), SEQ));
            boolean[] keep = new boolean[split.graph().nEdges()];
            Arrays.fill(keep, true);
            keep[split.graph().edge("input->a0.h0<v>@4").index()] = false;
            NDArray out = split.forward(run, CLEAN, split.sourceOutputs(run, CORRUPT), split.coefficients(run, keep));
            NDArray clean = loaded.model().forward(run, CLEAN);
            float early = maxDiff(out.get(":, 0:4, :"), clean.get(":, 0:4, :"));
            assertTrue(early < 1e-5f, "causality: positions < 4 unchanged, but differ by " + early);
            assertTrue(maxDiff(out.get(":, 4:, :"), clean.get(":, 4:, :")) > 1e-5f);
        }
    }

    @Test
    void acrossPositionsKeepsAnEdgeKeptAnywhereAndSumsItsScores() {
        ModelConfig config = ModelConfig.builder("gpt2").setSizes(8, 2, 2, 8, 10, 8).build();
        ComputationGraph g = ComputationGraph.byPosition(config, 3);
        double[] scores = new double[g.nEdges()];
        Arrays.fill(scores, Double.NaN);
        scores[g.edge("a0.h1->m1@0").index()] = 0.25;
        scores[g.edge("a0.h1->m1@2").index()] = -0.5;
        BitSet kept = new BitSet();
        kept.set(g.edge("a0.h1->m1@2").index());
        Circuit whole = new Circuit(g, kept, new EdgeScores(g, scores)).acrossPositions();
        assertFalse(whole.graph().isByPosition());
        assertEquals(List.of("a0.h1->m1"), whole.edgeNames());
        assertEquals(-0.25, whole.scores().get("a0.h1->m1"), 1e-12);
        assertTrue(Double.isNaN(whole.scores().get("a0.h0->m1")), "no position scored: unscored");
        assertFalse(whole.scores().hasOwnNodeImportance());

        // a scorer's own node importance (AtP*'s GradDrop) belongs to nodes, which positions do not split
        double[] nodeImportance = new double[g.nSources()];
        Arrays.fill(nodeImportance, 0.125);
        nodeImportance[g.node("a0.h1").sourceIndex()] = 3;
        Circuit ranked = new Circuit(g, kept, EdgeScores.ranked(g, scores, null, nodeImportance)).acrossPositions();
        assertTrue(ranked.scores().hasOwnNodeImportance());
        assertFalse(ranked.scores().hasOwnImportance());
        assertArrayEquals(nodeImportance, ranked.scores().nodeImportances());
        assertEquals(-0.25, ranked.scores().get("a0.h1->m1"), 1e-12);
    }

    @Test
    void aTaskWithPromptsOfAnotherLengthIsRefusedWithTheExample() {
        try (LoadedModel loaded = TestModels.tinyGpt2(7)) {
            EdgePatcher split = new EdgePatcher(loaded.model(), ComputationGraph.byPosition(loaded.model().config(), SEQ));
            Task task = new Task("mixed", List.of(
                    new Example(CLEAN[0], CORRUPT[0], List.of(new Target(-1, 1, 2))),
                    new Example(new int[] {1, 2, 3}, new int[] {1, 2, 4}, List.of(new Target(-1, 1, 2)))));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new TaskPatcher(split, task, Metrics.LOGIT_DIFF, Ablation.RESAMPLE, 4).close());
            assertTrue(e.getMessage().contains("example 2") && e.getMessage().contains("3 tokens"), e.getMessage());
        }
    }

    @Test
    void repeatedEvaluationsLeaveNothingBehindInTheTasksManager() {
        try (LoadedModel loaded = TestModels.tinyGpt2(7)) {
            Task task = new Task("t", List.of(new Example(CLEAN[0], CORRUPT[0], List.of(new Target(-1, 1, 2))),
                    new Example(CLEAN[1], CORRUPT[1], List.of(new Target(-1, 3, 4)))));
            for (ComputationGraph g : new ComputationGraph[] {ComputationGraph.of(loaded.model().config()),
                    ComputationGraph.byPosition(loaded.model().config(), SEQ)}) {
                for (Metric metric : List.of(Metrics.KL, Metrics.LOGIT_DIFF, Metrics.PROB, Metrics.RANK)) {
                    assertNoLeak(new EdgePatcher(loaded.model(), g), task, metric);
                }
            }
        }
    }

    @Test
    void theTasksCleanAndCorruptedValuesAreTheAllKeptAndAllPatchedMasks() {
        try (LoadedModel loaded = TestModels.tinyGpt2(9)) {
            Task task = new Task("t", List.of(new Example(CLEAN[0], CORRUPT[0], List.of(new Target(-1, 1, 2))),
                    new Example(CLEAN[1], CORRUPT[1], List.of(new Target(2, 3, 4)))));
            for (ComputationGraph g : new ComputationGraph[] {ComputationGraph.of(loaded.model().config()),
                    ComputationGraph.byPosition(loaded.model().config(), SEQ)}) {
                for (Ablation ablation : Ablation.values()) {
                    try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model(), g), task, Metrics.LOGIT_DIFF,
                            ablation, 1)) {
                        boolean[] all = new boolean[g.nEdges()];
                        Arrays.fill(all, true);
                        assertEquals(tp.evaluateKeep(all), tp.cleanValue(), 1e-4, g + " " + ablation);
                        assertEquals(tp.evaluateKeep(new boolean[g.nEdges()]), tp.corruptedValue(), 1e-4, g + " " + ablation);
                        assertTrue(Math.abs(tp.cleanValue() - tp.corruptedValue()) > 1e-3, "the task must have a gap");
                    }
                }
            }
        }
    }

    private static void assertNoLeak(EdgePatcher patcher, Task task, Metric metric) {
        try (TaskPatcher tp = new TaskPatcher(patcher, task, metric, Ablation.RESAMPLE, 1)) {
            boolean[] keep = new boolean[patcher.graph().nEdges()];
            Arrays.fill(keep, true);
            tp.evaluateKeep(keep);
            int before = tp.manager().getManagedArrays().size();
            for (int i = 0; i < 4; i++) {
                keep[i] = false;
                tp.evaluateKeep(List.of(keep, keep));
                try (TaskPatcher.Prefixes prefixes = tp.prefixes(keep, 1)) {
                    tp.evaluateKeep(prefixes, List.of(keep));
                }
            }
            assertEquals(before, tp.manager().getManagedArrays().size(), patcher.graph() + ", " + metric.name()
                    + ": evaluations leaked arrays");
        }
    }
}

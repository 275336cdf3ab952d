package io.circuitscope.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.hook.HookName;
import io.circuitscope.core.hook.HookSite;
import io.circuitscope.core.hook.Intervention;
import io.circuitscope.core.hook.Selection;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.model.GradientRules;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.testing.TestModels;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Gradients at the destination inputs times source differences equal the gradient of the edge mask. */
class EdgeGradientsTest {
    static Stream<TinyCheckpoint> models() {
        return Stream.of(TinyCheckpoint.gpt2(5, 2, 3, 4, 29, 8, false),
                TinyCheckpoint.llamaFamily("llama", 7, 2, 4, 2, 4, 12, 20, 29, 16, false, false),
                TinyCheckpoint.gptNeox(9, 2, 2, 8, 29, 16, 0.25, true),
                // sandwich norms: the cheap gradient must go through each layer's post-attention norm
                TinyCheckpoint.llamaFamily("gemma2", 10, 2, 4, 2, 4, 12, 20, 29, 16, true, false));
    }

    @ParameterizedTest
    @MethodSource("models")
    void destinationGradientsEqualTheMaskGradient(TinyCheckpoint checkpoint) {
        try (LoadedModel loaded = TestModels.load(checkpoint)) {
            Task task = RandomTasks.make(loaded.model(), 11, 3, 5, false);
            for (ComputationGraph g : new ComputationGraph[] {ComputationGraph.of(loaded.model().config()),
                    ComputationGraph.byPosition(loaded.model().config(), 5)}) {
                try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model(), g), task, Metrics.LOGIT_DIFF,
                        Ablation.RESAMPLE, 8)) {
                    List<Intervention> gradDrop = List.of(
                            Intervention.apply(HookName.of(HookSite.RESULT, 0), Selection.all(), "drop", NDArray::stopGradient),
                            Intervention.apply(HookName.of(HookSite.MLP_OUT, 0), Selection.all(), "drop", NDArray::stopGradient));
                    for (Object[] variant : new Object[][] {{GradientRules.EXACT, List.of()},
                            {GradientRules.relevance(false), List.of()}, {GradientRules.EXACT, gradDrop}}) {
                        GradientRules rules = (GradientRules) variant[0];
                        @SuppressWarnings("unchecked")
                        List<Intervention> before = (List<Intervention>) variant[1];
                        double[] viaMask = EdgeGradients.of(tp, run -> run.ones(g.coefficientShape(1)), rules, before);
                        double[] viaInputs = EdgeGradients.atClean(tp, rules, before);
                        double scale = 0;
                        for (double v : viaMask) {
                            scale = Math.max(scale, Math.abs(v));
                        }
                        assertTrue(scale > 1e-3, "gradients must not vanish");
                        for (int e = 0; e < viaMask.length; e++) {
                            assertEquals(viaMask[e], viaInputs[e], 1e-4 * scale, g + " " + rules + " "
                                    + g.edges().get(e));
                        }
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("models")
    void gradientsAlongTheStraightPathEqualTheMaskGradientThere(TinyCheckpoint checkpoint) {
        try (LoadedModel loaded = TestModels.load(checkpoint)) {
            Task task = RandomTasks.make(loaded.model(), 17, 3, 5, false);
            float[] alphas = {0.25f, 0.5f, 1f};
            for (ComputationGraph g : new ComputationGraph[] {ComputationGraph.of(loaded.model().config()),
                    ComputationGraph.byPosition(loaded.model().config(), 5)}) {
                try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model(), g), task, Metrics.LOGIT_DIFF,
                        Ablation.RESAMPLE, 8)) {
                    double[] viaMask = EdgeGradients.of(tp, run -> {
                        ai.djl.ndarray.types.Shape shape = g.coefficientShape(alphas.length);
                        long[] steps = new long[shape.dimension()];
                        java.util.Arrays.fill(steps, 1);
                        steps[0] = alphas.length;
                        return run.create(alphas, new ai.djl.ndarray.types.Shape(steps)).broadcast(shape).duplicate();
                    });
                    double[] viaNodes = EdgeGradients.alongStraightPath(tp, alphas, GradientRules.EXACT, List.of());
                    double scale = java.util.Arrays.stream(viaMask).map(Math::abs).max().orElse(0);
                    assertTrue(scale > 1e-3);
                    for (int e = 0; e < viaMask.length; e++) {
                        assertEquals(viaMask[e], viaNodes[e], 1e-4 * scale, g + " " + g.edges().get(e));
                    }
                    int before = tp.manager().getManagedArrays().size();
                    EdgeGradients.alongStraightPath(tp, alphas, GradientRules.EXACT, List.of());
                    EdgeGradients.atClean(tp, GradientRules.EXACT, List.of());
                    assertEquals(before, tp.manager().getManagedArrays().size(), "gradient passes leaked arrays");
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("models")
    void atpOfANodeIsTheSumOfEapOverItsOutEdgesAndTheSlopeOfPatchingIt(TinyCheckpoint checkpoint) {
        try (LoadedModel loaded = TestModels.load(checkpoint)) {
            Task task = RandomTasks.make(loaded.model(), 13, 3, 5, false);
            for (ComputationGraph g : new ComputationGraph[] {ComputationGraph.of(loaded.model().config()),
                    ComputationGraph.byPosition(loaded.model().config(), 5)}) {
                try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model(), g), task, Metrics.LOGIT_DIFF,
                        Ablation.RESAMPLE, 8)) {
                    io.circuitscope.core.graph.NodeScores atp = new Atp().score(tp, io.circuitscope.core.progress.Progress.NONE);
                    io.circuitscope.core.graph.EdgeScores eap = new Eap().score(tp, io.circuitscope.core.progress.Progress.NONE);
                    double[] perPosition = new double[atp.values().length];
                    int positions = Math.max(1, g.positions());
                    for (io.circuitscope.core.graph.Edge e : g.edges()) {
                        perPosition[e.source().sourceIndex() * positions + Math.max(0, e.position())] += eap.get(e.index());
                    }
                    double scale = java.util.Arrays.stream(perPosition).map(Math::abs).max().orElse(0);
                    assertTrue(scale > 1e-3);
                    for (int i = 0; i < perPosition.length; i++) {
                        assertEquals(perPosition[i], atp.values()[i], 1e-4 * scale, g + " cell " + i);
                    }
                    // first order: patching a node's out-edges by a small fraction moves the metric by that fraction of AtP
                    io.circuitscope.core.graph.Node node = g.sources().get(atp.ranking()[0] / positions);
                    if (!g.isByPosition()) {
                        float eps = 1e-2f;
                        double moved = tp.evaluate(run -> {
                            float[] dense = new float[g.coefficientCells()];
                            java.util.Arrays.fill(dense, 1f);
                            for (io.circuitscope.core.graph.Edge e : g.edgesOutOf(node)) {
                                dense[g.coefficientIndex(e)] = 1f - eps;
                            }
                            return run.create(dense, g.coefficientShape(1));
                        })[0];
                        assertEquals(atp.get(node), (moved - tp.cleanValue()) / eps, 0.03 * Math.abs(atp.get(node)) + 1e-3,
                                node.name());
                    }
                }
            }
        }
    }
}

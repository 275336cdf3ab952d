package io.circuitscope.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.EdgeScores;
import io.circuitscope.core.graph.Node;
import io.circuitscope.core.graph.NodeKind;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.hook.HookName;
import io.circuitscope.core.hook.HookSite;
import io.circuitscope.core.hook.Intervention;
import io.circuitscope.core.hook.Selection;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.model.ModelConfig;
import io.circuitscope.core.progress.Progress;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.testing.TestModels;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * AtP*'s node importance against the paper's definition computed another way: for each prompt and
 * each layer l, node AtP (the gradient at every node's own output, {@link Atp}) with layer l's head
 * and MLP outputs detached after the node outputs, so that a node in layer l itself gets no gradient; then
 * {@code GD(n) = E_prompts[sum_l |AtP_GD_l(n)|] / (L - 1)} (L for the input, which has no layer) and
 * the importance is {@code max(|sum of QK-fixed out-edges|, GD(n))}. AtP* instead sums per-prompt
 * products over each node's destinations, one pass per layer for every prompt at once.
 */
class AtpStarNodeGradDropTest {
    static Stream<TinyCheckpoint> models() {
        return Stream.of(TinyCheckpoint.gpt2(47, 3, 2, 4, 23, 8, false),
                TinyCheckpoint.llamaFamily("llama", 53, 3, 4, 2, 4, 12, 20, 23, 16, false, false));
    }

    @ParameterizedTest
    @MethodSource("models")
    void nodeImportanceIsTheLargerOfTheQkFixedSumAndThePapersGradDrop(TinyCheckpoint checkpoint) {
        try (LoadedModel loaded = TestModels.load(checkpoint)) {
            Task task = RandomTasks.make(loaded.model(), 19, 5, 5, false);
            ModelConfig c = loaded.model().config();
            int layers = c.nLayers();
            for (ComputationGraph g : new ComputationGraph[] {ComputationGraph.of(c), ComputationGraph.byPosition(c, 5)}) {
                double[] gradDrop = new double[g.nSources()];
                for (int p = 0; p < task.examples().size(); p++) {
                    Task one = new Task("prompt " + p, List.of(task.examples().get(p)));
                    try (TaskPatcher single = new TaskPatcher(new EdgePatcher(loaded.model(), g), one, Metrics.LOGIT_DIFF,
                            Ablation.RESAMPLE, 8)) {
                        for (int dropped = 0; dropped < layers; dropped++) {
                            double[] estimate = nodeEstimatesWithLayerDropped(single, dropped);
                            for (Node n : g.sources()) {
                                int others = n.kind() == NodeKind.INPUT ? layers : layers - 1;
                                gradDrop[n.sourceIndex()] += Math.abs(estimate[n.sourceIndex()]) / others
                                        / task.examples().size();
                            }
                        }
                    }
                }
                try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model(), g), task, Metrics.LOGIT_DIFF,
                        Ablation.RESAMPLE, 2)) { // three batches: per-prompt sums across batches
                    EdgeScores star = new AtpStar().score(tp, Progress.NONE);
                    assertTrue(star.hasOwnNodeImportance());
                    double[] sums = star.nodeScoresBySource();
                    double[] importance = star.nodeImportances();
                    int raised = 0;
                    for (Node n : g.sources()) {
                        int s = n.sourceIndex();
                        double expected = Math.max(Math.abs(sums[s]), gradDrop[s]);
                        assertEquals(expected, importance[s], 1e-5 * (1 + expected), g + " " + n.name());
                        raised += gradDrop[s] > Math.abs(sums[s]) + 1e-6 ? 1 : 0;
                    }
                    assertTrue(raised > 0, g + ": some node's estimate cancels across prompts or paths, so GradDrop "
                            + "raises its importance");
                }
            }
        }
    }

    /** Each node's AtP estimate on the task's single prompt, with layer {@code dropped}'s outputs detached after the node outputs. */
    private static double[] nodeEstimatesWithLayerDropped(TaskPatcher task, int dropped) {
        return new Atp().score(task, Progress.NONE, List.of(
                Intervention.apply(HookName.of(HookSite.RESULT, dropped), Selection.all(), "drop", NDArray::stopGradient),
                Intervention.apply(HookName.of(HookSite.MLP_OUT, dropped), Selection.all(), "drop", NDArray::stopGradient)))
                .perNode();
    }
}

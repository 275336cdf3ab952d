package io.circuitscope.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.Edge;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.EdgeScores;
import io.circuitscope.core.graph.NodeKind;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.hook.HookName;
import io.circuitscope.core.hook.HookSite;
import io.circuitscope.core.hook.Intervention;
import io.circuitscope.core.hook.Selection;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.model.GradientRules;
import io.circuitscope.core.progress.Progress;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.testing.TestModels;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * AtP*'s edge importance on every edge (not only those into the logits and the last layer, where
 * dropping an earlier layer changes nothing) against the paper's GradDrop computed the slow way: for
 * each prompt alone and each layer l, the plain edge gradient with layer l's head and MLP outputs
 * detached (a real drop pass for layer 0 too, not AtP*'s shortcut), so that
 * {@code GD(e) = E_prompts[sum_l |AtP_GD_l(e)|] / (L - 1)} (L for edges into the logits), and the
 * importance is {@code max(|QK-fixed estimate|, GD(e))}.
 */
class AtpStarEdgeGradDropTest {

    @Test
    void edgeImportanceOfEveryEdgeIsTheLargerOfTheQkFixedEstimateAndThePapersGradDrop() {
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(59, 3, 2, 4, 23, 8, false))) {
            Task task = RandomTasks.make(loaded.model(), 23, 4, 5, false);
            int layers = loaded.model().config().nLayers();
            try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model()), task, Metrics.LOGIT_DIFF,
                    Ablation.RESAMPLE, 3)) { // two batches
                ComputationGraph g = tp.graph();
                double[] gradDrop = new double[g.nEdges()];
                for (int p = 0; p < task.examples().size(); p++) {
                    Task one = new Task("prompt " + p, List.of(task.examples().get(p)));
                    try (TaskPatcher single = new TaskPatcher(new EdgePatcher(loaded.model()), one, Metrics.LOGIT_DIFF,
                            Ablation.RESAMPLE, 8)) {
                        for (int dropped = 0; dropped < layers; dropped++) {
                            double[] grad = EdgeGradients.atClean(single, GradientRules.EXACT, List.of(
                                    Intervention.apply(HookName.of(HookSite.RESULT, dropped), Selection.all(), "drop",
                                            NDArray::stopGradient),
                                    Intervention.apply(HookName.of(HookSite.MLP_OUT, dropped), Selection.all(), "drop",
                                            NDArray::stopGradient)));
                            for (Edge e : g.edges()) {
                                int others = e.destination().node().kind() == NodeKind.LOGITS ? layers : layers - 1;
                                gradDrop[e.index()] += Math.abs(grad[e.index()]) / others / task.examples().size();
                            }
                        }
                    }
                }
                EdgeScores star = new AtpStar().score(tp, Progress.NONE);
                double[] fixed = new AtpStar().qkFixedEstimate(tp);
                int[] raisedByLayer = new int[layers];
                for (Edge e : g.edges()) {
                    double expected = Math.max(Math.abs(fixed[e.index()]), gradDrop[e.index()]);
                    assertEquals(expected, star.importance(e.index()), 1e-5 * (1 + expected), e.name());
                    int layer = e.destination().node().kind() == NodeKind.LOGITS ? -1 : e.destination().node().layer();
                    if (layer >= 0 && gradDrop[e.index()] > Math.abs(fixed[e.index()]) + 1e-5) {
                        raisedByLayer[layer]++;
                    }
                }
                for (int l = 0; l < layers - 1; l++) {
                    assertTrue(raisedByLayer[l] > 0, "GradDrop must raise the importance of some edge into layer " + l);
                }
            }
        }
    }
}

package io.circuitscope.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.Edge;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.EdgeScores;
import io.circuitscope.core.graph.Port;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.model.GradientRules;
import io.circuitscope.core.model.ModelConfig;
import io.circuitscope.core.progress.Progress;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.testing.TestModels;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** AtP*'s GradDrop importance against {@link EdgeOracle}. */
class AtpStarGradDropAgainstOracleTest {
    static Stream<Arguments> gradDropCases() {
        return Stream.of(
                Arguments.of("gemma2", Ablation.RESAMPLE,
                        TinyCheckpoint.llamaFamily("gemma2", 93, 3, 2, 1, 4, 8, 12, 23, 8, true, false)),
                Arguments.of("gpt_neox", Ablation.MEAN, TinyCheckpoint.gptNeox(95, 3, 2, 4, 23, 8, 0.5, true)),
                Arguments.of("llama", Ablation.ZERO, TinyCheckpoint.llamaFamily("llama", 97, 3, 2, 2, 4, 8, 12, 23, 8,
                        false, false)),
                Arguments.of("gemma2", Ablation.ZERO,
                        TinyCheckpoint.llamaFamily("gemma2", 93, 3, 2, 1, 4, 8, 12, 23, 8, true, false)));
    }

    /**
     * AtP*'s edge and node importance against the paper's GradDrop recomputed in the oracle: for each prompt and each
     * layer l, the edge's derivative (its node's: the sum over its out-edges) with layer l's head results and MLP
     * output held at their clean values, made absolute per prompt, averaged over the L - 1 layers other than the
     * destination's (L for the logits and the input; a node in layer l gets 0 for l), then the larger of that and
     * |estimate| (the QK-fixed one; a node's the sum of its out-edges'). On sandwich norms (Gemma 2, by position
     * too), parallel attention and MLP under mean ablation (NeoX) and zero ablation (Llama; Gemma 2, whose QK fix
     * subtracts a source from a stream a sandwich norm reads), three layers each.
     * Before: GPT-2 for edges, GPT-2 and Llama for nodes, resampling.
     */
    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("gradDropCases")
    void atpStarImportanceIsTheLargerOfTheEstimateAndThePapersGradDrop(String family, Ablation ablation,
            TinyCheckpoint checkpoint) {
        try (LoadedModel loaded = TestModels.load(checkpoint)) {
            Task task = RandomTasks.make(loaded.model(), 43, 4, 5, false);
            OraclePrompts prompts = new OraclePrompts(EdgeOracle.of(checkpoint), task, ablation, Metrics.LOGIT_DIFF);
            ModelConfig c = loaded.model().config();
            List<ComputationGraph> graphs = new ArrayList<>(List.of(ComputationGraph.of(c)));
            if (ablation == Ablation.RESAMPLE) {
                graphs.add(ComputationGraph.byPosition(c, 5));
            }
            for (ComputationGraph g : graphs) {
                try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model(), g), task, Metrics.LOGIT_DIFF,
                        ablation, 3)) {
                    String where = family + ", " + ablation + ", " + (g.isByPosition() ? "by position" : "whole edges");
                    double[] estimate = new double[g.nEdges()];
                    double[] nodeEstimate = new double[g.nSources()];
                    for (Edge e : g.edges()) {
                        Port port = e.destination().port();
                        estimate[e.index()] = port == Port.Q || port == Port.K ? prompts.qkFix(e)
                                : prompts.slope(e, GradientRules.EXACT);
                        nodeEstimate[e.source().sourceIndex()] += estimate[e.index()];
                    }
                    double[][] gradDrop = prompts.gradDrop(g);
                    double[] importance = new double[g.nEdges()];
                    for (int i = 0; i < importance.length; i++) {
                        importance[i] = Math.max(Math.abs(estimate[i]), gradDrop[0][i]);
                    }
                    EdgeScores star = new AtpStar(4).score(tp, Progress.NONE);
                    double[] actual = new double[g.nEdges()];
                    for (int i = 0; i < actual.length; i++) {
                        actual[i] = star.importance(i);
                    }
                    ScorersAgainstDoubleOracleTest.compare(where + ", atp* edge importance", actual, g,
                            e -> importance[e.index()]);
                    double[] nodes = star.nodeImportances();
                    double scale = 0;
                    int raised = 0;
                    for (int n = 0; n < nodes.length; n++) {
                        double expected = Math.max(Math.abs(nodeEstimate[n]), gradDrop[1][n]);
                        scale = Math.max(scale, expected);
                        raised += gradDrop[1][n] > Math.abs(nodeEstimate[n]) * 1.01 ? 1 : 0;
                    }
                    for (int n = 0; n < nodes.length; n++) {
                        double expected = Math.max(Math.abs(nodeEstimate[n]), gradDrop[1][n]);
                        assertEquals(expected, nodes[n], 1e-4 * scale + 1e-3 * expected, where + ": node "
                                + g.sources().get(n).name());
                    }
                    assertTrue(raised > 0, where + ": GradDrop must raise some node's importance");
                }
            }
        }
    }
}

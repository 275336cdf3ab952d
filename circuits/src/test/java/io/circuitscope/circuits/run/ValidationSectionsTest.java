package io.circuitscope.circuits.run;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.Circuit;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.EdgeScores;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.planted.PlantedModel;
import io.circuitscope.core.planted.PlantedModels;
import org.junit.jupiter.api.Test;

class ValidationSectionsTest {
    /**
     * Node precision and recall count heads and MLPs only: the input node, which every non-empty circuit and
     * reference holds, made the whole planted IOI graph score 5/16 against its 4-head truth instead of 4/15.
     */
    @Test
    void nodePrecisionAndRecallLeaveTheInputOut() {
        PlantedModel planted = PlantedModels.byName("ioi");
        try (HookedTransformer model = planted.build()) {
            ComputationGraph g = ComputationGraph.of(model.config());
            double[] scores = new double[g.nEdges()];
            java.util.Arrays.fill(scores, 1);
            Circuit everything = Circuit.full(g).withScores(new EdgeScores(g, scores));
            Circuit truth = Circuit.ofEdgeNames(g, planted.groundTruthEdges());
            try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(model, g), planted.task(0, 4),
                    planted.defaultMetric(), Ablation.RESAMPLE, 4)) {
                ObjectNode whole = ValidationSections.comparison(tp, everything, truth, "truth");
                assertEquals(4.0 / 15, whole.get("node_precision").asDouble(), 1e-12, whole.toString());
                assertEquals(1.0, whole.get("node_recall").asDouble(), 1e-12);
                // a circuit of one head of the four (its edges from and to the input and logits)
                Circuit oneHead = Circuit.ofEdgeNames(g, java.util.List.of("input->a2.h0<v>", "a2.h0->logits"))
                        .withScores(new EdgeScores(g, scores));
                ObjectNode one = ValidationSections.comparison(tp, oneHead, truth, "truth");
                assertEquals(1.0, one.get("node_precision").asDouble(), 1e-12);
                assertEquals(0.25, one.get("node_recall").asDouble(), 1e-12, one.toString());
            }
        }
    }
}

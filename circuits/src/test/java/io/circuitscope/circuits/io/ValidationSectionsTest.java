package io.circuitscope.circuits.io;

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

    /**
     * CPR ranks edges by signed score and CMD by |score| (MIB), but only the |score| curve was written, as
     * "faithfulness by circuit size": `discover --method eap --edges 20 --metric logit-diff` reported CPR 1.2583 beside
     * a plotted curve that never rose above 1. Both curves are written now, and each area is the one of its own curve.
     */
    @Test
    void writesTheCurveEachOfCprAndCmdIsTheAreaOf() {
        PlantedModel planted = PlantedModels.byName("ioi");
        try (HookedTransformer model = planted.build()) {
            ComputationGraph g = ComputationGraph.of(model.config());
            Circuit truth = Circuit.ofEdgeNames(g, planted.groundTruthEdges());
            // the truth's edges with large scores of the sign that ranks them last by signed score, the rest small
            // scores of the other sign: the two rankings are opposite
            double sign = planted.defaultMetric().higherIsBetter() ? 1 : -1;
            double[] scores = new double[g.nEdges()];
            for (int i = 0; i < scores.length; i++) {
                scores[i] = truth.contains(i) ? 2 * sign : -0.01 * sign * (1 + i % 7);
            }
            Circuit scored = truth.withScores(new EdgeScores(g, scores));
            try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(model, g), planted.task(0, 4),
                    planted.defaultMetric(), Ablation.RESAMPLE, 4)) {
                ObjectNode cmp = ValidationSections.comparison(tp, scored, truth, "truth");
                com.fasterxml.jackson.databind.JsonNode signed = cmp.get("faithfulness_by_size_signed");
                com.fasterxml.jackson.databind.JsonNode absolute = cmp.get("faithfulness_by_size");
                org.junit.jupiter.api.Assertions.assertNotNull(signed, cmp.toString());
                assertEquals(absolute.size(), signed.size());
                double cpr = 0;
                double cmd = 0;
                boolean differ = false;
                for (int k = 1; k < signed.size(); k++) {
                    double w = signed.get(k).get("fraction").asDouble() - signed.get(k - 1).get("fraction").asDouble();
                    cpr += w * (signed.get(k).get("faithfulness").asDouble() + signed.get(k - 1).get("faithfulness").asDouble()) / 2;
                    cmd += w * (Math.abs(1 - absolute.get(k).get("faithfulness").asDouble())
                            + Math.abs(1 - absolute.get(k - 1).get("faithfulness").asDouble())) / 2;
                    differ |= Math.abs(signed.get(k).get("faithfulness").asDouble()
                            - absolute.get(k).get("faithfulness").asDouble()) > 1e-6;
                }
                assertEquals(cmp.get("cpr").asDouble(), cpr, 1e-9, "CPR is the area under the signed curve");
                assertEquals(cmp.get("cmd").asDouble(), cmd, 1e-9, "CMD is the area of |1 - f| of the |score| curve");
                org.junit.jupiter.api.Assertions.assertTrue(differ, "the rankings differ, so the curves do: " + cmp);
            }
        }
    }
}

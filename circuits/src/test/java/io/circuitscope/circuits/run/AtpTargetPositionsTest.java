package io.circuitscope.circuits.run;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.circuits.io.CircuitDocument;
import io.circuitscope.core.graph.Edge;
import io.circuitscope.core.graph.NodeKind;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.planted.PlantedModel;
import io.circuitscope.core.planted.PlantedModels;
import io.circuitscope.core.progress.Progress;
import io.circuitscope.core.task.Task;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** By position, AtP's node circuit keeps edges into the logits only where a target reads them. */
class AtpTargetPositionsTest {
    @Test
    void atpByPositionKeepsNoEdgeIntoTheLogitsAtANonTargetPosition() {
        PlantedModel planted = PlantedModels.byName("induction");
        Task task = planted.task(0, 8);
        int[] targets = task.targetPositions();
        DiscoverySettings s = new DiscoverySettings("atp", "eap-ig", "200", 0.01, "logit-diff",
                io.circuitscope.core.graph.Ablation.RESAMPLE, 5, 100, 10, 8, 0, true);
        try (HookedTransformer model = planted.build()) {
            CircuitDocument doc = DiscoveryRun.run(model, "planted:induction", task, s, CallerNames.flags(),
                    Progress.NONE);
            List<Edge> intoLogits = doc.circuit().edges().stream()
                    .filter(e -> e.destination().node().kind() == NodeKind.LOGITS).toList();
            assertFalse(intoLogits.isEmpty(), "the circuit reaches the logits");
            for (Edge e : intoLogits) {
                assertTrue(Arrays.stream(targets).anyMatch(p -> p == e.position()),
                        e + " reaches the logits at a position no target reads " + Arrays.toString(targets));
            }
        }
    }
}

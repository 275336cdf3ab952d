package io.circuitscope.core.planted;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.Edge;
import io.circuitscope.core.graph.Node;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A planted model's node and edge sets iterate in graph order, the same in every JVM run: Set.copyOf's order
 * changed from run to run, and with it the roles section of circuit.json that discover writes from them.
 */
class PlantedOrderTest {
    @Test
    void groundTruthAndStructuralSetsIterateInGraphOrder() {
        for (String name : PlantedModels.NAMES) {
            PlantedModel model = PlantedModels.byName(name);
            ComputationGraph g = ComputationGraph.of(model.config());
            List<String> nodes = g.nodes().stream().map(Node::name).filter(model.groundTruthNodes()::contains).toList();
            List<String> edges = g.edges().stream().map(Edge::name).filter(model.groundTruthEdges()::contains).toList();
            List<String> structural = g.edges().stream().map(Edge::name).filter(model.structuralEdges()::contains).toList();
            assertEquals(nodes, List.copyOf(model.groundTruthNodes()), name);
            assertEquals(edges, List.copyOf(model.groundTruthEdges()), name);
            assertEquals(structural, List.copyOf(model.structuralEdges()), name);
            List<String> mean = g.edges().stream().map(Edge::name).filter(model.meanAblationEdges()::contains).toList();
            assertEquals(mean, List.copyOf(model.meanAblationEdges()), name);
        }
    }

    @Test
    void theCheckpointsConfigNamesTheModelBeforeItsVocabulary(@TempDir Path dir) throws Exception {
        String config = Files.readString(PlantedModels.byName("ioi").writeCheckpoint(dir).resolve("config.json"));
        assertTrue(config.indexOf("\"circuitscope_planted\"") < config.indexOf("\"circuitscope_vocabulary\""), config);
    }
}

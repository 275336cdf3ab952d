package io.circuitscope.circuits.render;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.graph.Circuit;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.model.ModelConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** A drawn edge's label gives each port its own positions, runs as ranges. */
class EdgeLabelByPositionTest {
    static final ModelConfig CONFIG = ModelConfig.builder("gpt2").setSizes(8, 2, 2, 8, 10, 8).build();

    static String dot(int positions, List<String> edgeNames) {
        Circuit c = Circuit.ofEdgeNames(ComputationGraph.byPosition(CONFIG, positions), edgeNames);
        return CircuitDiagram.of(c, Roles.none(), CircuitDiagram.Options.defaults()).dot();
    }

    static void addAt(List<String> names, String edge, int... positions) {
        for (int p : positions) {
            names.add(edge + "@" + p);
        }
    }

    @Test
    void eachPortListsItsOwnPositionsAsRanges() {
        List<String> names = new ArrayList<>();
        addAt(names, "input->a1.h0<q>", 6, 7, 8);
        addAt(names, "input->a1.h0<k>", 0, 1, 2, 3, 4, 7, 8);
        addAt(names, "input->a1.h0<v>", 0, 4, 5);
        addAt(names, "input->m1", 0, 1, 2, 3, 4, 7);
        String dot = dot(9, names);
        // before: "q,k,v @0,1,2,3,4,5,6,7,8", as if every port were kept at every position
        assertTrue(dot.contains("headlabel=\"q@6-8 k@0-4,7,8 v@0,4,5\""), dot);
        assertTrue(dot.contains("headlabel=\"@0-4,7\""), dot);
    }

    @Test
    void aLongRunOfPositionsIsOneRange() {
        List<String> names = new ArrayList<>();
        addAt(names, "input->logits", IntStream.range(0, 1000).toArray());
        String dot = dot(1000, names);
        assertTrue(dot.contains("headlabel=\"@0-999\""), dot.length() > 2000 ? dot.substring(0, 2000) : dot);
    }
}

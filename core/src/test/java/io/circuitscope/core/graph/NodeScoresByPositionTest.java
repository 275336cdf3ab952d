package io.circuitscope.core.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.circuitscope.core.model.ModelConfig;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * A head kept at a late position reads keys and values at every earlier one: the node circuit of a
 * position-aware graph keeps those edges (AtP by position recovered nothing of an induction circuit without them).
 */
class NodeScoresByPositionTest {
    @Test
    void aHeadKeptAtALatePositionKeepsItsKeyAndValueEdgesFromEarlierPositions() {
        ModelConfig config = ModelConfig.builder("gpt2").setSizes(8, 2, 2, 8, 10, 8).build();
        ComputationGraph g = ComputationGraph.byPosition(config, 4);
        int positions = 4;
        double[] values = new double[g.nSources() * positions];
        Node input = g.node("input");
        Node head = g.node("a1.h0");
        values[input.sourceIndex() * positions + 1] = 5; // the input at position 1 ...
        values[input.sourceIndex() * positions + 3] = 4; // ... and at 3
        values[head.sourceIndex() * positions + 3] = 3; // the head at position 3 only
        Circuit c = new NodeScores(g, values).circuitOfTop(3, EdgeScores.unscored(g));
        Set<String> expected = new TreeSet<>(Set.of(
                "input->a1.h0<k>@1", "input->a1.h0<v>@1", // read from position 3, where the head is kept
                "input->a1.h0<q>@3", "input->a1.h0<k>@3", "input->a1.h0<v>@3",
                "input->logits@1", "input->logits@3", "a1.h0->logits@3"));
        // no query edge at 1 (the head is not kept there), nothing into positions the head never reads
        assertEquals(expected, new TreeSet<>(c.edgeNames()));
    }
}

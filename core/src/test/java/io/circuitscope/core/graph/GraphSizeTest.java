package io.circuitscope.core.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.model.ModelConfig;
import org.junit.jupiter.api.Test;

/** A graph's size is known before it is built, and a shape whose graph cannot fit is refused before allocating it. */
class GraphSizeTest {
    private static ModelConfig shape(int layers, int heads, boolean parallel) {
        return ModelConfig.builder("gpt2").setSizes(heads, layers, heads, 1, 1, 1).optParallelAttnMlp(parallel).build();
    }

    @Test
    void theCountedEdgesAreTheBuiltGraphs() {
        for (boolean parallel : new boolean[] {false, true}) {
            for (int[] lh : new int[][] {{1, 1}, {2, 4}, {3, 4}, {12, 12}, {5, 7}}) {
                ModelConfig c = shape(lh[0], lh[1], parallel);
                assertEquals(ComputationGraph.of(c).nEdges(), ComputationGraph.edgeCount(c, 0), lh[0] + "x" + lh[1]);
                assertEquals(ComputationGraph.byPosition(c, 3).nEdges(), ComputationGraph.edgeCount(c, 3));
            }
        }
        assertEquals(32491, ComputationGraph.edgeCount(shape(12, 12, false), 0), "GPT-2 small's 32,491 edges");
        assertEquals(Long.MAX_VALUE, ComputationGraph.edgeCount(shape(Integer.MAX_VALUE, Integer.MAX_VALUE, false), 0));
    }

    /** 100,000 layers, read from a circuit.json, ran out of memory with a stack trace in the constructor. */
    @Test
    void aGraphThatCannotFitIsRefusedNamingItsShape() {
        GraphTooLargeException e = assertThrows(GraphTooLargeException.class,
                () -> ComputationGraph.of(shape(100_000, 4, false)));
        assertTrue(e.getMessage().startsWith("the graph of 100000 layers x 4 heads has 324,998,950,001 edges"),
                e.getMessage());
        assertTrue(e.getMessage().contains("GB of memory Java may use here"), e.getMessage());
        e = assertThrows(GraphTooLargeException.class, () -> ComputationGraph.byPosition(shape(3, 4, false), 2_000_000_000));
        assertTrue(e.getMessage().startsWith("the graph of 3 layers x 4 heads split by 2000000000 positions has "),
                e.getMessage());
    }
}

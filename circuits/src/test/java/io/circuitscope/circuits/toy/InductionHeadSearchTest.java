package io.circuitscope.circuits.toy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.graph.ComputationGraph;
import org.junit.jupiter.api.Test;

/**
 * The induction toy's heads are searched in every layer: on a deeper toy (--layers 3) the previous-token and
 * induction heads may sit in layers 1 and 2, where the search, fixed to layers 0 and 1, never looked.
 */
class InductionHeadSearchTest {
    @Test
    void theHeadsAreFoundInAnyLayerOfADeeperToy() {
        ComputationGraph g = ComputationGraph.of(ToyParameters.init(ToyTask.INDUCTION, 3, 0).config());
        int heads = ToyTask.INDUCTION.heads();
        double[][] prev = new double[3][heads];
        double[][] ind = new double[3][heads];
        prev[0][1] = 0.3; // a weaker previous-token head in layer 0
        prev[1][2] = 0.9;
        prev[2][0] = 0.95; // in the last layer: no later head can read it
        ind[1][0] = 0.2;
        ind[2][3] = 0.8;
        ToyRun.HeadScores scores = new ToyRun.HeadScores(prev, ind);
        assertArrayEquals(new int[] {2, 3}, scores.inductionHead());
        assertArrayEquals(new int[] {1, 2}, scores.previousTokenHead());
        double[] effects = new double[g.nSources()];
        effects[g.headSource(1, 2)] = -1.0;
        effects[g.headSource(2, 3)] = -2.0;
        effects[g.headSource(0, 1)] = -0.1;
        effects[g.headSource(1, 0)] = -0.1;
        assertTrue(ToyRun.headsAmongTopNodes(g, scores, effects, ToyRun.TOP_HEAD_NODES),
                "a1.h2 and a2.h3 carry the behaviour and are the best heads of their kind");
    }
}

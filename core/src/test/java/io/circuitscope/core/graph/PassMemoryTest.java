package io.circuitscope.core.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.testing.TestModels;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * What a patched pass makes belongs to the pass's manager, whatever shape the caller's coefficients have, and a
 * pass finished from a shared prefix holds no more at its end than the same pass run whole.
 */
class PassMemoryTest {
    /**
     * One mask may come as [nSources, nDestinations]. Its added mask dimension belonged to the coefficients' manager,
     * which outlives the pass: one array more there for every pass of a long run.
     */
    @Test
    void twoDimensionalCoefficientsLeaveNothingOnTheirManager() {
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(71, 3, 2, 4, 23, 8, false))) {
            EdgePatcher patcher = new EdgePatcher(loaded.model());
            Random rng = new Random(3);
            boolean[] keep = randomKeep(patcher.graph(), rng);
            try (TaskPatcher tp = new TaskPatcher(patcher, ZeroAblationPassMemoryTest.task(rng), Metrics.LOGIT_DIFF, Ablation.RESAMPLE, 4);
                    NDManager outer = tp.manager().newSubManager()) {
                TaskPatcher.PreparedBatch p = tp.batches().get(0);
                NDArray one = patcher.coefficients(outer, keep).squeeze(0);
                assertEquals(2, one.getShape().dimension());
                float expected;
                try (NDManager pass = tp.manager().newSubManager()) {
                    expected = patcher.forward(pass, p.batch().clean(), p.patched(),
                            patcher.coefficients(pass, keep)).sum().getFloat();
                }
                int held = outer.getManagedArrays().size();
                for (int i = 0; i < 3; i++) {
                    try (NDManager pass = tp.manager().newSubManager()) {
                        float got = patcher.forward(pass, p.batch().clean(), p.patched(), one).sum().getFloat();
                        assertEquals(expected, got, 1e-3 * Math.max(1, Math.abs(expected)), "the same pass either shape");
                    }
                }
                assertEquals(held, outer.getManagedArrays().size(), "arrays left on the coefficients' manager");
            }
        }
    }

    /**
     * A pass finished from a prefix mixes the prefix's differences and its own; the two partial mixes and their sum
     * were all held until the pass ended, where the whole pass holds only the sum.
     */
    @Test
    void aPassFromAPrefixHoldsNoMoreAtItsEndThanTheWholePass() {
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(71, 6, 2, 4, 23, 8, false))) {
            EdgePatcher patcher = new EdgePatcher(loaded.model());
            Random rng = new Random(5);
            boolean[] keep = randomKeep(patcher.graph(), rng);
            try (TaskPatcher tp = new TaskPatcher(patcher, ZeroAblationPassMemoryTest.task(rng), Metrics.LOGIT_DIFF, Ablation.RESAMPLE, 4)) {
                TaskPatcher.PreparedBatch p = tp.batches().get(0);
                long whole;
                try (NDManager pass = tp.manager().newSubManager()) {
                    patcher.forward(pass, p.batch().clean(), p.patched(), patcher.coefficients(pass, keep));
                    whole = openElements(pass);
                }
                try (NDManager shared = tp.manager().newSubManager()) {
                    EdgePatcher.Prefix prefix = patcher.prefix(shared, p.batch().clean(), p.patched(),
                            patcher.coefficients(shared, keep), 3);
                    try (NDManager pass = tp.manager().newSubManager()) {
                        patcher.forwardFrom(pass, prefix, p.patched(), patcher.coefficients(pass, keep));
                        long fromPrefix = openElements(pass);
                        assertTrue(fromPrefix <= whole, "a pass from a prefix holds " + fromPrefix
                                + " elements at its end, the whole pass " + whole);
                    }
                }
            }
        }
    }

    /** Elements of the arrays still open (a view counts its size: the buffer it keeps alive). */
    private static long openElements(NDManager pass) {
        return pass.getManagedArrays().stream().filter(x -> !x.isReleased()).mapToLong(NDArray::size).sum();
    }

    private static boolean[] randomKeep(ComputationGraph g, Random rng) {
        boolean[] keep = new boolean[g.nEdges()];
        for (int e = 0; e < keep.length; e++) {
            keep[e] = rng.nextBoolean();
        }
        return keep;
    }
}

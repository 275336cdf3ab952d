package io.circuitscope.core.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.task.Example;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Target;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.testing.TestModels;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Exact passes under zero ablation add the upstream attention output biases to what a destination's kept edges
 * carry. Whatever such a pass makes must be freed with it: the sums of the biases were made from the model's
 * weights and so belonged to the model's manager (GPT-2: layers - 1 arrays per destination, kept until the model
 * closes, every pass of a long ACDC run), and the kept sums from the caller's coefficients belonged to the
 * coefficients' manager. Nor may a pass hold what it no longer needs until it ends: each destination group's inputs
 * with the biases added were held twice, by a view of the sum before the biases and by the sum with them.
 */
class ZeroAblationPassMemoryTest {
    static Stream<Arguments> models() {
        return Stream.of(TinyCheckpoint.gpt2(71, 4, 2, 4, 23, 8, false),
                        TinyCheckpoint.gptNeox(81, 4, 2, 8, 23, 8, 0.25, true),
                        TinyCheckpoint.llamaFamily("gemma2", 78, 4, 4, 2, 4, 8, 12, 23, 8, true, true))
                .map(ck -> Arguments.of(ck.config().get("model_type"), ck));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void passesLeaveNothingOnTheModelsOrTheCoefficientsManager(String family, TinyCheckpoint ck) {
        try (LoadedModel loaded = TestModels.load(ck)) {
            EdgePatcher patcher = new EdgePatcher(loaded.model());
            ComputationGraph g = patcher.graph();
            NDManager weights = loaded.model().weights().wE().getManager();
            Random rng = new Random(1);
            List<boolean[]> masks = new ArrayList<>();
            for (int m = 0; m < 2; m++) {
                boolean[] keep = new boolean[g.nEdges()];
                for (int e = 0; e < keep.length; e++) {
                    keep[e] = rng.nextBoolean();
                }
                masks.add(keep);
            }
            try (TaskPatcher tp = new TaskPatcher(patcher, task(rng), Metrics.LOGIT_DIFF, Ablation.ZERO, 4);
                    NDManager outer = tp.manager().newSubManager()) {
                tp.evaluateKeep(masks);
                int before = weights.getManagedArrays().size();
                for (int i = 0; i < 3; i++) {
                    tp.evaluateKeep(masks);
                    try (TaskPatcher.Prefixes prefixes = tp.prefixes(masks.get(0), 2)) {
                        tp.evaluateKeep(prefixes, List.of(masks.get(0)));
                    }
                }
                assertEquals(before, weights.getManagedArrays().size(), family + ": arrays left on the model's manager");

                // coefficients that outlive the pass (a caller's manager): the pass's arrays are still its own
                TaskPatcher.PreparedBatch p = tp.batches().get(0);
                NDArray coefficients = patcher.coefficients(outer, masks);
                int held = outer.getManagedArrays().size();
                for (int i = 0; i < 3; i++) {
                    try (NDManager pass = tp.manager().newSubManager()) {
                        patcher.forward(pass, p.batch().clean(), p.patched(), coefficients);
                    }
                }
                assertEquals(held, outer.getManagedArrays().size(), family + ": arrays left on the coefficients' manager");
            }
        }
    }

    /**
     * What a pass holds when it ends, under zero ablation, is about what the same pass holds under resampling (which
     * frees each layer's patched inputs as it goes), not a layer's patched inputs more for every layer.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void aZeroAblationPassHoldsNoMoreThanAResamplingOne(String family, TinyCheckpoint ignored) {
        TinyCheckpoint ck = switch (family) { // six layers: what each layer leaves adds up
            case "gpt2" -> TinyCheckpoint.gpt2(71, 6, 2, 4, 23, 8, false);
            case "gpt_neox" -> TinyCheckpoint.gptNeox(81, 6, 2, 8, 23, 8, 0.25, true);
            default -> TinyCheckpoint.llamaFamily("gemma2", 78, 6, 4, 2, 4, 8, 12, 23, 8, true, true);
        };
        try (LoadedModel loaded = TestModels.load(ck)) {
            EdgePatcher patcher = new EdgePatcher(loaded.model());
            Random rng = new Random(1);
            boolean[] keep = new boolean[patcher.graph().nEdges()];
            for (int e = 0; e < keep.length; e++) {
                keep[e] = rng.nextBoolean();
            }
            Task task = task(rng);
            long[] held = new long[2];
            Ablation[] ablations = {Ablation.ZERO, Ablation.RESAMPLE};
            for (int a = 0; a < 2; a++) {
                try (TaskPatcher tp = new TaskPatcher(patcher, task, Metrics.LOGIT_DIFF, ablations[a], 4);
                        NDManager pass = tp.manager().newSubManager()) {
                    TaskPatcher.PreparedBatch p = tp.batches().get(0);
                    patcher.forward(pass, p.batch().clean(), p.patched(), patcher.coefficients(pass, keep));
                    // elements of the arrays still open (a view counts its size: the buffer it keeps alive)
                    held[a] = pass.getManagedArrays().stream().filter(x -> !x.isReleased()).mapToLong(NDArray::size).sum();
                }
            }
            assertTrue(held[0] <= 1.25 * held[1], family + ": a pass under zero ablation holds " + held[0]
                    + " elements at its end, under resampling " + held[1]);
        }
    }

    /** Four random prompts of 5 tokens over a vocabulary of 23, one logit-difference target at the end. */
    static Task task(Random rng) {
        List<Example> examples = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            int[] clean = new int[5];
            int[] corrupt = new int[5];
            for (int p = 0; p < clean.length; p++) {
                clean[p] = rng.nextInt(23);
                corrupt[p] = rng.nextInt(23);
            }
            examples.add(new Example(clean, corrupt, List.of(new Target(-1, 1, 2))));
        }
        return new Task("random", examples);
    }
}

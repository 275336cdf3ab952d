package io.circuitscope.core.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
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
 * Under zero ablation with every edge cut, what reaches the logits is the attention output biases alone (with
 * sandwich norms, each layer's norm of its bias), whatever the prompt: so every row of logits, at every position of
 * every prompt, is bit for bit the same, on the whole pass, from a prefix below a middle layer and from one holding
 * every layer (the logits alone).
 */
class ZeroAblationAllCutTest {
    static Stream<Arguments> models() {
        return Stream.of(TinyCheckpoint.gpt2(71, 3, 2, 4, 23, 8, false),
                        TinyCheckpoint.gptNeox(81, 3, 2, 8, 23, 8, 0.25, true),
                        TinyCheckpoint.llamaFamily("gemma2", 78, 3, 4, 2, 4, 8, 12, 23, 8, true, true))
                .map(ck -> Arguments.of(ck.config().get("model_type"), ck));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void everyRowOfLogitsIsTheSameWhenEveryEdgeIsCut(String family, TinyCheckpoint ck) {
        try (LoadedModel loaded = TestModels.load(ck)) {
            EdgePatcher patcher = new EdgePatcher(loaded.model());
            boolean[] cut = new boolean[patcher.graph().nEdges()];
            try (TaskPatcher tp = new TaskPatcher(patcher, task(), Metrics.LOGIT_DIFF, Ablation.ZERO, 4);
                    NDManager run = tp.manager().newSubManager()) {
                TaskPatcher.PreparedBatch p = tp.batches().get(0);
                int layers = loaded.model().config().nLayers();
                requireSameRows(family + ", whole pass",
                        patcher.forward(run, p.batch().clean(), p.patched(), patcher.coefficients(run, cut)));
                for (int layer : new int[] {1, layers}) {
                    EdgePatcher.Prefix prefix = patcher.prefix(run, p.batch().clean(), p.patched(),
                            patcher.coefficients(run, cut), layer);
                    requireSameRows(family + ", from a prefix below layer " + layer,
                            patcher.forwardFrom(run, prefix, p.patched(), patcher.coefficients(run, cut)));
                }
            }
        }
    }

    private static void requireSameRows(String what, NDArray logits) {
        long rows = logits.getShape().get(0) * logits.getShape().get(1);
        NDArray flat = logits.reshape(rows, -1);
        float[] first = flat.get(new NDIndex("0")).toFloatArray();
        for (int r = 1; r < rows; r++) {
            assertArrayEquals(first, flat.get(new NDIndex("{}", r)).toFloatArray(), what + ", row " + r);
        }
    }

    private static Task task() {
        Random rng = new Random(4);
        List<Example> examples = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            int[] clean = new int[5];
            for (int p = 0; p < clean.length; p++) {
                clean[p] = rng.nextInt(23);
            }
            examples.add(new Example(clean, clean.clone(), List.of(new Target(-1, 1, 2))));
        }
        return new Task("random", examples);
    }
}

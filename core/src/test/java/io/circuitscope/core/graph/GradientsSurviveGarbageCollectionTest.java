package io.circuitscope.core.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.circuitscope.core.DjlRuntime;
import io.circuitscope.core.Scalars;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.testing.TestModels;
import org.junit.jupiter.api.Test;

/**
 * Regression: DJL wraps Java numbers in temporary tensors over Java-owned memory; if autograd saved one,
 * a garbage collection between forward and backward corrupted the gradients (1e30s, 1e-19s, NaN).
 * Every constant on a differentiable path now goes through {@link Scalars}.
 */
class GradientsSurviveGarbageCollectionTest {

    private static void collectGarbage() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(30);
        }
    }

    @Test
    void scalarConstantsKeepTheirValueUntilBackward() throws Exception {
        try (NDManager m = DjlRuntime.newManager()) {
            NDArray w = m.ones(new Shape(100));
            w.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray y = Scalars.div(Scalars.mul(w.mul(w), 3), 2).sum();
                collectGarbage();
                gc.backward(y);
            }
            assertEquals(3f, w.getGradient().getFloat(7), 1e-6f);
        }
    }

    @Test
    void edgeGradientsAreTheSameWithAGarbageCollectionBeforeBackward() throws Exception {
        try (LoadedModel loaded = TestModels.tinyGpt2(13); NDManager run = loaded.model().newRunManager()) {
            EdgePatcher patcher = new EdgePatcher(loaded.model());
            SourceOutputs corrupted = patcher.sourceOutputs(run, EdgePatcherTest.CORRUPT);
            float[] reference = null;
            for (int pass = 0; pass < 3; pass++) {
                NDArray c = patcher.allKept(run, 1);
                c.setRequiresGradient(true);
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray logits = patcher.forward(run, EdgePatcherTest.CLEAN, corrupted, c);
                    NDArray value = Scalars.div(logits.get(":, -1, 3").sum(), 2);
                    if (pass > 0) {
                        collectGarbage();
                    }
                    gc.backward(value);
                }
                float[] grad = c.getGradient().toFloatArray();
                if (reference == null) {
                    reference = grad;
                } else {
                    assertArrayEquals(reference, grad, 1e-5f, "pass " + pass);
                }
            }
        }
    }
}

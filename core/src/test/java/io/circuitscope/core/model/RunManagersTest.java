package io.circuitscope.core.model;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.testing.TestModels;
import io.circuitscope.core.testing.TinyCheckpoint;
import org.junit.jupiter.api.Test;

/** A model's run managers belong to the model: one left open is freed when the model closes, not kept by the engine. */
class RunManagersTest {
    @Test
    void closingTheModelFreesRunsLeftOpen() {
        LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(5, 2, 4, 16, 50, 32, false));
        HookedTransformer model = loaded.model();
        NDManager leaked = model.newRunManager();
        NDArray kept = leaked.zeros(new Shape(64, 64));
        NDManager other = model.newRunManager();
        assertSame(leaked.getParentManager(), other.getParentManager(), "one parent for the model's runs");
        assertNotSame(model.weights().manager(), leaked.getParentManager(), "runs are not counted with the weights");
        other.close();
        loaded.close();
        assertFalse(leaked.isOpen(), "a run left open outlived its model");
        assertTrue(kept.isReleased(), "its arrays with it");
    }
}

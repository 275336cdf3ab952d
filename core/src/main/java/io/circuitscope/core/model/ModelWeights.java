package io.circuitscope.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;

/**
 * All parameters of a model in canonical layout: W_E [v, d], W_pos [ctx, d] (or null), the blocks,
 * the final norm and W_U [d, v] with optional b_U. The weights manager owns every tensor.
 */
public record ModelWeights(
        NDManager manager,
        NDArray wE,
        NDArray wPos,
        List<LayerWeights> layers,
        NDArray finalNormWeight,
        NDArray finalNormBias,
        NDArray wU,
        NDArray bU) implements AutoCloseable {

    public ModelWeights {
        layers = List.copyOf(layers);
    }

    public LayerWeights layer(int l) {
        return layers.get(l);
    }

    @Override
    public void close() {
        manager.close();
    }
}

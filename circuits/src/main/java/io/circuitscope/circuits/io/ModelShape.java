package io.circuitscope.circuits.io;

import io.circuitscope.core.model.ModelConfig;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The shape fields of circuit.json's model section: written from the model a circuit was found on, and
 * compared with the model it is later judged on. With n_layers, n_heads and parallel_attn_mlp they rebuild
 * the graph without the model ({@link CircuitJson#read(java.nio.file.Path)}).
 */
public final class ModelShape {
    private ModelShape() {
    }

    public static Map<String, Object> of(ModelConfig config) {
        Map<String, Object> shape = new LinkedHashMap<>();
        shape.put("n_layers", config.nLayers());
        shape.put("n_heads", config.nHeads());
        shape.put("n_kv_heads", config.nKvHeads());
        shape.put("d_model", config.dModel());
        shape.put("d_mlp", config.dMlp());
        shape.put("vocab_size", config.vocabSize());
        shape.put("context_length", config.contextLength());
        shape.put("parallel_attn_mlp", config.parallelAttnMlp());
        return shape;
    }
}

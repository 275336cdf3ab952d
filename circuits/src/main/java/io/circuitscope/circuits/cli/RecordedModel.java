package io.circuitscope.circuits.cli;

import io.circuitscope.circuits.io.ModelShape;
import io.circuitscope.core.model.ModelConfig;
import java.nio.file.Path;
import java.util.Map;

/**
 * The model a circuit.json says it was found on, checked against the model it is about to be judged on: a
 * circuit's edge names can fit a model of the same depth and head count whose other shapes differ, and the
 * numbers it then produces mean nothing.
 */
final class RecordedModel {
    private RecordedModel() {
    }

    /** Refuses when a shape circuit.json records differs from {@code config}'s; absent fields are not checked. */
    static void requireSame(Path circuitFile, Map<String, Object> recorded, ModelConfig config) {
        for (Map.Entry<String, Object> field : ModelShape.of(config).entrySet()) {
            Object was = recorded.get(field.getKey());
            if (was != null && !was.toString().equals(field.getValue().toString())) {
                throw new IllegalArgumentException(circuitFile + ": the circuit was found on a model with "
                        + field.getKey() + " " + was + (recorded.get("name") == null ? "" : " (model " + recorded.get("name") + ")")
                        + ", but this model has "
                        + field.getValue() + "; validate it on the model it was found on");
            }
        }
    }
}

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
public final class RecordedModel {
    private RecordedModel() {
    }

    /** Refuses when a shape circuit.json records differs from {@code config}'s; absent fields are not checked. */
    static void requireSame(Path circuitFile, Map<String, Object> recorded, ModelConfig config) {
        requireSame(circuitFile, recorded, config, "validate it on the model it was found on");
    }

    /**
     * The same for a {@code --reference} circuit, compared edge by edge with one found on this model: a reference
     * from a 4-head model was taken for an 8-head model's when its edges named only heads 0 to 3.
     */
    static void requireSameForReference(Path referenceFile, Map<String, Object> recorded, ModelConfig config) {
        requireSameForReference(referenceFile, recorded, config, "--reference");
    }

    /** {@link #requireSameForReference(Path, Map, ModelConfig)} naming the reference as {@code given} (a plan's key). */
    public static void requireSameForReference(Path referenceFile, Map<String, Object> recorded, ModelConfig config,
            String given) {
        requireSame(referenceFile, recorded, config, "a " + given + " must be a circuit of the model it is compared on");
    }

    private static void requireSame(Path circuitFile, Map<String, Object> recorded, ModelConfig config, String advice) {
        for (Map.Entry<String, Object> field : ModelShape.of(config).entrySet()) {
            Object was = recorded.get(field.getKey());
            if (was != null && !was.toString().equals(field.getValue().toString())) {
                throw new IllegalArgumentException(circuitFile + ": the circuit was found on a model with "
                        + field.getKey() + " " + was + (recorded.get("name") == null ? "" : " (model " + recorded.get("name") + ")")
                        + ", but this model has "
                        + field.getValue() + "; " + advice);
            }
        }
    }
}

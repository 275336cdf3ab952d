package io.circuitscope.circuits.io;

import io.circuitscope.core.graph.ComputationGraph;
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
    public static void requireSame(Path circuitFile, Map<String, Object> recorded, ModelConfig config) {
        requireSame(circuitFile, recorded, config, "validate it on the model it was found on");
    }

    /**
     * A reference circuit read against {@code graph}, refused when it records a model of another shape than
     * {@code config}: compared edge by edge with a circuit of this model, a reference from a 4-head model was taken for
     * an 8-head model's when its edges named only heads 0 to 3. {@code given} names it in the error ("--reference",
     * or a batch plan's "reference").
     */
    public static CircuitDocument readReference(Path referenceFile, ComputationGraph graph, ModelConfig config,
            String given) {
        CircuitDocument read = CircuitJson.read(referenceFile, graph);
        requireSame(referenceFile, read.model(), config, "a " + given + " must be a circuit of the model it is compared on");
        return read;
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

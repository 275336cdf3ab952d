package io.circuitscope.circuits.io;

import com.fasterxml.jackson.databind.JsonNode;
import io.circuitscope.core.graph.Circuit;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything circuit.json holds: the circuit with its scores, and the provenance that makes it
 * reproducible and comparable. {@code extra} carries sections written by later stages (validation).
 */
public record CircuitDocument(
        Circuit circuit,
        Map<String, Object> model,
        Map<String, Object> task,
        Map<String, Object> method,
        Map<String, Object> summary,
        Map<String, JsonNode> extra) {

    public CircuitDocument {
        model = new LinkedHashMap<>(model);
        task = new LinkedHashMap<>(task);
        method = new LinkedHashMap<>(method);
        summary = new LinkedHashMap<>(summary);
        extra = new LinkedHashMap<>(extra);
    }

    public CircuitDocument withoutExtra(String key) {
        Map<String, JsonNode> e = new LinkedHashMap<>(extra);
        e.remove(key);
        return new CircuitDocument(circuit, model, task, method, summary, e);
    }

    public CircuitDocument withExtra(String key, JsonNode value) {
        Map<String, JsonNode> e = new LinkedHashMap<>(extra);
        e.put(key, value);
        return new CircuitDocument(circuit, model, task, method, summary, e);
    }
}

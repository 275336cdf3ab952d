package io.circuitscope.circuits.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.circuitscope.core.io.AtomicFile;
import io.circuitscope.core.io.ReadErrors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The state of every run of a batch, in {@code manifest.json}, rewritten atomically (temporary file
 * then rename) after every change, so a batch killed at any moment leaves a readable manifest.
 */
public final class Manifest {
    public enum State { PENDING, RUNNING, DONE, FAILED }

    /**
     * One run's record; inputs (what the result depends on, {@link RunInputs}) are set when it starts, results when
     * it finishes. Manifests written before inputs were recorded have none.
     */
    public static final class Entry {
        public State state = State.PENDING;
        public String error;
        public double seconds;
        public Map<String, Object> results = new LinkedHashMap<>();
        public JsonNode inputs;
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Path file;
    private final Map<String, Entry> entries = new LinkedHashMap<>();

    private Manifest(Path file) {
        this.file = file;
    }

    /** Reads the manifest in {@code dir} if there is one. */
    public static Manifest load(Path dir) {
        Manifest m = new Manifest(dir.resolve("manifest.json"));
        if (Files.isRegularFile(m.file)) {
            try {
                JsonNode root = JSON.readTree(m.file.toFile());
                if (root == null || !root.isObject()) {
                    throw unreadable(m.file, "not a JSON object");
                }
                JsonNode runs = root.path("runs");
                if (!runs.isMissingNode() && !runs.isArray()) { // an object's runs.get(i) was null: a NullPointerException
                    throw unreadable(m.file, "field 'runs' must be an array, got " + runs);
                }
                for (int i = 0; i < runs.size(); i++) {
                    JsonNode r = runs.get(i);
                    if (!r.isObject()) {
                        throw unreadable(m.file, "runs[" + i + "] must be an object, got " + r);
                    }
                    Entry e = new Entry();
                    e.state = state(m.file, i, r.path("state"));
                    e.error = r.path("error").isTextual() ? r.get("error").asText() : null;
                    e.seconds = r.path("seconds").asDouble();
                    if (r.has("results")) {
                        if (!r.get("results").isObject()) {
                            throw unreadable(m.file, "runs[" + i + "]: field 'results' must be an object, got "
                                    + r.get("results"));
                        }
                        e.results = JSON.convertValue(r.get("results"), Map.class);
                    }
                    e.inputs = r.path("inputs").isObject() ? r.get("inputs") : null;
                    m.entries.put(r.path("id").asText(), e);
                }
            } catch (IOException e) {
                // Jackson's own message quoted its feature flags and a redacted source over two lines
                throw unreadable(m.file, ReadErrors.describe(e));
            }
        }
        return m;
    }

    /** A hand-edited state ("done") named with its place; valueOf's "No enum constant" named no file. */
    private static State state(Path file, int index, JsonNode state) {
        if (state.isMissingNode()) {
            return State.PENDING;
        }
        for (State s : State.values()) {
            if (state.isTextual() && s.name().equals(state.asText())) {
                return s;
            }
        }
        throw unreadable(file, "runs[" + index + "]: field 'state' must be one of "
                + java.util.Arrays.toString(State.values()) + ", got " + state);
    }

    private static PlanException unreadable(Path file, String why) {
        return new PlanException(file + ": manifest is unreadable (" + why + "); move it away to start the batch afresh");
    }

    public Entry entry(String id) {
        return entries.computeIfAbsent(id, k -> new Entry());
    }

    public Map<String, Entry> entries() {
        return entries;
    }

    /** One run's record as the manifest holds it. */
    public ObjectNode json(String id) {
        Entry e = entry(id);
        ObjectNode r = JSON.createObjectNode();
        r.put("id", id);
        r.put("state", e.state.name());
        if (e.error != null) {
            r.put("error", e.error);
        }
        r.put("seconds", e.seconds);
        JsonNode results = JSON.valueToTree(e.results);
        io.circuitscope.circuits.io.JsonNumbers.normalise(results); // JSON has no NaN
        r.set("results", results);
        if (e.inputs != null) {
            r.set("inputs", e.inputs);
        }
        return r;
    }

    public synchronized void save() {
        ObjectNode root = JSON.createObjectNode();
        root.put("schema", "circuitscope.batch-manifest/1");
        ArrayNode runs = root.putArray("runs");
        entries.forEach((id, e) -> runs.add(json(id)));
        try {
            AtomicFile.write(file, tmp -> JSON.writeValue(tmp.toFile(), root));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

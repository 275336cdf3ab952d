package io.circuitscope.circuits.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The state of every run of a batch, in {@code manifest.json}, rewritten atomically (temporary file
 * then rename) after every change, so a batch killed at any moment leaves a readable manifest.
 */
public final class Manifest {
    public enum State { PENDING, RUNNING, DONE, FAILED }

    /** One run's record; results are filled in when it finishes. */
    public static final class Entry {
        public State state = State.PENDING;
        public String error;
        public double seconds;
        public Map<String, Object> results = new LinkedHashMap<>();
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
                for (JsonNode r : root.path("runs")) {
                    Entry e = new Entry();
                    e.state = State.valueOf(r.path("state").asText("PENDING"));
                    e.error = r.path("error").isTextual() ? r.get("error").asText() : null;
                    e.seconds = r.path("seconds").asDouble();
                    if (r.has("results")) {
                        e.results = JSON.convertValue(r.get("results"), Map.class);
                    }
                    m.entries.put(r.path("id").asText(), e);
                }
            } catch (IOException e) {
                throw new PlanException(m.file + ": manifest is unreadable (" + e.getMessage()
                        + "); move it away to start the batch afresh");
            }
        }
        return m;
    }

    public Entry entry(String id) {
        return entries.computeIfAbsent(id, k -> new Entry());
    }

    public Map<String, Entry> entries() {
        return entries;
    }

    public synchronized void save() {
        ObjectNode root = JSON.createObjectNode();
        root.put("schema", "circuitscope.batch-manifest/1");
        ArrayNode runs = root.putArray("runs");
        entries.forEach((id, e) -> {
            ObjectNode r = runs.addObject();
            r.put("id", id);
            r.put("state", e.state.name());
            if (e.error != null) {
                r.put("error", e.error);
            }
            r.put("seconds", e.seconds);
            r.set("results", JSON.valueToTree(e.results));
        });
        try {
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling("manifest.json.tmp");
            JSON.writeValue(tmp.toFile(), root);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

package io.circuitscope.core.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Typed access to a config.json whose every error names the file and the field. */
public final class ConfigReader {
    private final Path file;
    private final JsonNode root;
    private final String fieldPrefix;

    public ConfigReader(Path file, JsonNode root) {
        this(file, root, "");
    }

    private ConfigReader(Path file, JsonNode root, String fieldPrefix) {
        this.file = file;
        this.root = root;
        this.fieldPrefix = fieldPrefix;
    }

    /**
     * The object held by {@code field} (for example Gemma 3's {@code text_config}) as a reader of its
     * own, whose errors name the field as {@code field.key}.
     */
    public ConfigReader section(String field) {
        JsonNode n = require(field);
        if (!n.isObject()) {
            throw error(field, "must be an object, got " + n);
        }
        return new ConfigReader(file, n, fieldPrefix + field + ".");
    }

    public static ConfigReader read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new CheckpointException(file + ": config.json not found");
        }
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(JsonSyntax.withoutByteOrderMark(Files.readString(file)));
        } catch (IOException e) {
            throw new CheckpointException(file + ": " + ReadErrors.describe(e), e);
        }
        if (root == null || !root.isObject()) {
            throw new CheckpointException(file + ": not a JSON object");
        }
        return new ConfigReader(file, root);
    }


    public Path file() {
        return file;
    }

    public JsonNode root() {
        return root;
    }

    public boolean has(String field) {
        JsonNode n = root.get(field);
        return n != null && !n.isNull();
    }

    public JsonNode node(String field) {
        return root.get(field);
    }

    public String requireString(String field) {
        JsonNode n = require(field);
        if (!n.isTextual()) {
            throw error(field, "must be a string, got " + n);
        }
        return n.asText();
    }

    public String optString(String field, String fallback) {
        return has(field) ? requireString(field) : fallback;
    }

    /** A size or count: an integer above zero; errors name the alias the file uses. */
    public int requirePositiveInt(String... aliases) {
        String field = presentAlias(aliases);
        return positive(field, intField(field));
    }

    public int optPositiveInt(String field, int fallback) {
        return has(field) ? requirePositiveInt(field) : fallback;
    }

    /** A finite number above zero (an epsilon, a base frequency), or {@code fallback} when absent. */
    public double optPositiveDouble(String field, double fallback) {
        if (!has(field)) {
            return fallback;
        }
        double v = requireDouble(field);
        if (!(v > 0) || Double.isInfinite(v)) {
            throw error(field, "must be a positive number, got " + root.get(field));
        }
        return v;
    }

    private String presentAlias(String... aliases) {
        for (String field : aliases) {
            if (has(field)) {
                return field;
            }
        }
        throw error(String.join("' or '", aliases), "is missing");
    }

    private int intField(String field) {
        JsonNode n = root.get(field);
        if (!n.canConvertToInt() || !n.isIntegralNumber()) {
            throw error(field, "must be an integer, got " + n);
        }
        return n.asInt();
    }

    private int positive(String field, int value) {
        if (value <= 0) {
            throw error(field, "must be positive, got " + value);
        }
        return value;
    }

    public double requireDouble(String field) {
        JsonNode n = require(field);
        if (!n.isNumber()) {
            throw error(field, "must be a number, got " + n);
        }
        return n.asDouble();
    }

    public double optDouble(String field, double fallback) {
        return has(field) ? requireDouble(field) : fallback;
    }

    public boolean optBoolean(String field, boolean fallback) {
        if (!has(field)) {
            return fallback;
        }
        JsonNode n = root.get(field);
        if (!n.isBoolean()) {
            throw error(field, "must be true or false, got " + n);
        }
        return n.asBoolean();
    }

    private JsonNode require(String field) {
        if (!has(field)) {
            throw error(field, "is missing");
        }
        return root.get(field);
    }

    public CheckpointException error(String field, String problem) {
        return new CheckpointException(where(field) + " " + problem);
    }

    /** The file and the field as errors name them: {@code <file>: field 'text_config.x'}. */
    public String where(String field) {
        return file + ": field '" + fieldPrefix + field + "'";
    }
}

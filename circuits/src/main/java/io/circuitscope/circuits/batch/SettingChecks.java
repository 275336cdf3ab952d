package io.circuitscope.circuits.batch;

import com.fasterxml.jackson.databind.JsonNode;
import io.circuitscope.circuits.run.DiscoverySettings;
import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.planted.PlantedModels;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.discovery.CandidateBudget;
import io.circuitscope.discovery.Methods;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Checks one object of settings of a plan ({@code defaults}, {@code settings[k]}, {@code runs[i]}) as the plan is
 * read: every key known, every value of its type and within the limits {@code discover} puts on the same option.
 * A bad value then stops the batch before any run, named where it was written, rather than failing (or running
 * uselessly, as {@code edges: -5} did) hours later.
 */
final class SettingChecks {
    static final Set<String> KEYS = Set.of("method", "scorer", "candidates", "tau", "metric", "ablation", "ig_steps",
            "edges", "nodes", "batch_size", "seed", "reference", "align", "bos", "model", "task", "by_position", "examples", "validate");

    /** The smallest value of each whole-number setting: discovery's own ({@link DiscoverySettings#LEAST}), seed and examples. */
    private static final Map<String, Long> MINIMUM = minimums();
    private static final Set<String> FLAGS = Set.of("align", "bos", "by_position", "validate");

    private SettingChecks() {
    }

    private static Map<String, Long> minimums() {
        Map<String, Long> least = new java.util.HashMap<>();
        DiscoverySettings.LEAST.forEach((key, value) -> least.put(key, (long) value));
        least.put("seed", Long.MIN_VALUE);
        least.put("examples", 1L);
        return Map.copyOf(least);
    }

    /** Refuses the first unknown key or bad value of {@code settings}, naming the file and {@code where}. */
    static void check(Path file, String where, JsonNode settings) {
        for (Iterator<Map.Entry<String, JsonNode>> it = settings.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> field = it.next();
            String problem = problem(field.getKey(), field.getValue());
            if (problem != null) {
                throw new PlanException(file + ": " + where + ": " + problem);
            }
        }
    }

    /** Why the seed of a {@code seeds} list entry cannot be used, or null. */
    static String seedProblem(JsonNode value) {
        return value.isNull() ? null : wholeNumber("seed", value, Long.MIN_VALUE);
    }

    private static String problem(String key, JsonNode value) {
        if (!KEYS.contains(key)) {
            return "unknown field '" + key + "' (known: " + String.join(", ", new TreeSet<>(KEYS)) + ")";
        }
        if (value.isNull()) {
            return null; // the default
        }
        if (!value.isValueNode()) {
            return "field '" + key + "' must be a value, got " + value;
        }
        if (MINIMUM.containsKey(key)) {
            return wholeNumber(key, value, MINIMUM.get(key));
        }
        if (FLAGS.contains(key) && !value.isBoolean()) {
            return "field '" + key + "' must be true or false, got " + value;
        }
        if (key.equals("tau")) {
            String problem = value.isNumber() ? DiscoverySettings.tauProblem(value.asDouble())
                    : "must be a finite number >= 0 (the ACDC threshold), got " + value;
            if (problem != null) {
                return "field 'tau' " + problem;
            }
        }
        try {
            switch (key) {
                case "candidates" -> CandidateBudget.parse(value.asText());
                case "method" -> Methods.checkMethod(value.asText());
                case "scorer" -> Methods.scorer(value.asText(), 1);
                case "metric" -> Metrics.byName(value.asText());
                case "ablation" -> Ablation.parse(value.asText());
                case "model" -> modelProblem(value);
                default -> {
                }
            }
        } catch (IllegalArgumentException e) {
            return "field '" + key + "': " + e.getMessage();
        }
        return null;
    }

    /** Why a value of a plan's {@code methods} list cannot be a method, or null. */
    static String methodProblem(JsonNode value) {
        try {
            Methods.checkMethod(value.asText());
            return null;
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    /** Refuses a planted model that does not exist (a path is checked when the batch loads it). */
    static void modelProblem(JsonNode value) {
        if (PlantedModels.isPlanted(value.asText())) {
            PlantedModels.byArgument(value.asText());
        }
    }

    private static String wholeNumber(String key, JsonNode value, long minimum) {
        boolean whole = value.isIntegralNumber() || (value.isNumber() && value.asDouble() == Math.rint(value.asDouble()));
        if (!whole) {
            return "field '" + key + "' must be a whole number, got " + value;
        }
        boolean seed = key.equals("seed"); // a long; the other settings are ints
        if (!value.canConvertToLong() || (!seed && !value.canConvertToInt())) {
            return "field '" + key + "' must be a whole number from " + minimum + " to "
                    + (seed ? Long.MAX_VALUE : Integer.MAX_VALUE) + ", got " + value;
        }
        if (value.asLong() < minimum) {
            return "field '" + key + "' must be at least " + minimum + ", got " + value;
        }
        return null;
    }
}

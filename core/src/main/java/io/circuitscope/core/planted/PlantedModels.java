package io.circuitscope.core.planted;

import java.util.List;
import java.util.Locale;

/** The planted ground-truth models by name. */
public final class PlantedModels {
    private PlantedModels() {
    }

    public static final List<String> NAMES = List.of("induction", "ioi", "greater-than");

    /** How a model argument names an embedded planted model: {@code planted:induction}. */
    public static final String PREFIX = "planted:";

    /** Examples of a planted model's own task when the user names no task file (discover, analyses, batch). */
    public static final int DEFAULT_EXAMPLES = 32;

    /** Whether a model argument (--model, a plan's model) names a planted model rather than a path or hub id. */
    public static boolean isPlanted(String modelArgument) {
        return modelArgument.startsWith(PREFIX);
    }

    /** The planted model a {@code planted:NAME} argument names; an unknown NAME is refused with the known ones. */
    public static PlantedModel byArgument(String modelArgument) {
        if (!isPlanted(modelArgument)) {
            throw new IllegalArgumentException("'" + modelArgument + "' does not name a planted model (" + PREFIX
                    + String.join("|", NAMES) + ")");
        }
        return byName(modelArgument.substring(PREFIX.length()));
    }

    public static PlantedModel byName(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "induction" -> PlantedInduction.create();
            case "ioi" -> PlantedIoi.create();
            case "greater-than", "greaterthan" -> PlantedGreaterThan.create();
            default -> throw new IllegalArgumentException("unknown planted model '" + name + "' (known: "
                    + String.join(", ", NAMES) + ")");
        };
    }
}

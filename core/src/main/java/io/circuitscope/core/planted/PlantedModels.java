package io.circuitscope.core.planted;

import java.util.List;
import java.util.Locale;

/** The planted ground-truth models by name. */
public final class PlantedModels {
    private PlantedModels() {
    }

    public static final List<String> NAMES = List.of("induction", "ioi", "greater-than");

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

package io.circuitscope.core.task.generate;

import java.util.List;
import java.util.Locale;

/** The built-in task generators by the names the command line uses. */
public final class Generators {
    public static final List<TaskGenerator> ALL = List.of(new IoiGenerator(), new GreaterThanGenerator(),
            new InductionGenerator(), new FactualRecallGenerator(), new TranslationGenerator());

    private Generators() {
    }

    public static TaskGenerator byName(String name) {
        String key = name.toLowerCase(Locale.ROOT);
        for (TaskGenerator g : ALL) {
            if (g.name().equals(key)) {
                return g;
            }
        }
        throw new IllegalArgumentException("unknown generator '" + name + "' (known: "
                + String.join(", ", ALL.stream().map(TaskGenerator::name).toList()) + ")");
    }
}

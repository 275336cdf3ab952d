package io.circuitscope.core.task.generate;

import java.util.LinkedHashMap;
import java.util.Map;

/** Counts of skipped candidates by reason. */
final class Skips {
    final Map<String, Integer> counts = new LinkedHashMap<>();

    void add(String reason) {
        counts.merge(reason, 1, Integer::sum);
    }
}

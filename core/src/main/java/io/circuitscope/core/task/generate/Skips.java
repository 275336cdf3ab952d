package io.circuitscope.core.task.generate;

import io.circuitscope.core.task.Example;
import io.circuitscope.core.task.Task;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Counts of skipped candidates by reason. */
final class Skips {
    final Map<String, Integer> counts = new LinkedHashMap<>();

    void add(String reason) {
        counts.merge(reason, 1, Integer::sum);
    }

    /** The generated task, or, when every candidate was skipped, an error saying why instead of an empty file. */
    Generated task(String name, List<Example> examples) {
        if (examples.isEmpty()) {
            throw new IllegalArgumentException("no " + name + " prompt fits this tokenizer (skipped: " + counts + ")");
        }
        return new Generated(new Task(name, examples), counts);
    }
}

package io.circuitscope.core.task.generate;

import io.circuitscope.core.task.Task;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A generated task and what was left out, by reason (e.g. {@code "name not one token"}: 3,
 * {@code "clean and corrupt lengths differ"}: 1), so users see how the tokenizer shaped the data set.
 */
public record Generated(Task task, Map<String, Integer> skipped) {
    public Generated {
        // in the order the reasons arose (Map.copyOf's changes from run to run, and make-task prints it)
        skipped = Collections.unmodifiableMap(new LinkedHashMap<>(skipped));
    }

    /** The length of the longest prompt, clean or corrupted, in tokens. */
    public int longestPrompt() {
        return task.examples().stream().mapToInt(e -> Math.max(e.clean().length, e.corrupt().length)).max().orElse(0);
    }
}

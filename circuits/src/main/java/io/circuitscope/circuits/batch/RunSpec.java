package io.circuitscope.circuits.batch;

import io.circuitscope.circuits.run.DiscoverySettings;
import java.nio.file.Path;

/**
 * One run of a batch: a model, a task, discovery settings and an optional reference circuit.
 *
 * @param task     the task file, or null for a planted model's own task
 * @param examples how many examples of a planted model's own task
 * @param bos      whether text prompts begin with the model's BOS token (the plan's {@code bos}, default true)
 * @param validate whether the found circuit is validated, as discover does unless told {@code --no-validate} (the
 *                 plan's {@code validate}, default true)
 */
public record RunSpec(String id, String model, Path task, DiscoverySettings settings, Path reference, boolean align,
        int examples, boolean bos, boolean validate) {
}

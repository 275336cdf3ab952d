package io.circuitscope.circuits.batch;

import io.circuitscope.circuits.run.DiscoverySettings;
import java.nio.file.Path;

/** One run of a batch: a model, a task, discovery settings and an optional reference circuit. */
public record RunSpec(String id, String model, Path task, DiscoverySettings settings, Path reference, boolean align) {
}

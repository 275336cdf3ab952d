package io.circuitscope.discovery;

import io.circuitscope.core.graph.EdgeScores;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.progress.Progress;

/**
 * Scores every edge of the graph for a task. A score estimates {@code m(edge patched) - m(clean)}
 * (see {@link EdgeScores}). Implementations are small and interchangeable in the pipeline.
 */
public interface EdgeScorer {
    /** Stable key used on the command line and in circuit.json ("eap", "eap-ig", ...). */
    String key();

    EdgeScores score(TaskPatcher task, Progress progress);
}

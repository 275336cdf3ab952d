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

    /**
     * Whether the scores are derivatives of the metric at the clean run (EAP, AtP*, RelP). With a metric
     * at its minimum there (KL divergence) every such score is 0 up to rounding, so callers refuse it.
     */
    default boolean differentiatesAtClean() {
        return false;
    }

    /** Whether the scores are built from gradients of the metric (every scorer but exhaustive patching). */
    default boolean usesGradients() {
        return true;
    }
}

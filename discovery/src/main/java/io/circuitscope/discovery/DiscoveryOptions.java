package io.circuitscope.discovery;

/**
 * What one discovery does on a prepared task ({@link Discovery#find}); the task's metric, ablation, batch size and
 * graph are the {@link io.circuitscope.core.graph.TaskPatcher}'s.
 *
 * @param method     a method key ({@link Methods#checkMethod}), in any case
 * @param scorer     the pipeline's scorer key, in any case (other methods do not read it)
 * @param candidates the pipeline's candidate budget ({@link CandidateBudget#parse})
 * @param tau        ACDC's threshold, and the effect the false-negative check counts as missed
 * @param igSteps    integrated-gradient steps of the scorers that take them
 * @param edges      edges a scorer-only method keeps
 * @param nodes      nodes atp keeps
 * @param seed       the false-negative check's sample and the candidate rounds' draws
 */
public record DiscoveryOptions(String method, String scorer, String candidates, double tau, int igSteps, int edges,
        int nodes, long seed) {
    public DiscoveryOptions {
        method = Methods.canonical(method);
        scorer = Methods.canonical(scorer);
    }

    /** The key of what scores the edges: the pipeline's scorer, else the method itself. */
    public String scoringKey() {
        return method.equals(Methods.PIPELINE) ? scorer : method;
    }
}

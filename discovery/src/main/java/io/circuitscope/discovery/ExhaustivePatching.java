package io.circuitscope.discovery;

import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.Edge;
import io.circuitscope.core.graph.EdgeScores;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.progress.Progress;
import java.util.ArrayList;
import java.util.List;

/**
 * Exact activation patching of every edge on its own: {@code m(only e patched) - m(clean)}. The
 * ground truth the cheap scorers are measured against; {@code variantsPerPass} patched copies of
 * the batch run in each forward pass.
 */
public final class ExhaustivePatching implements EdgeScorer {
    private final int variantsPerPass;

    public ExhaustivePatching(int variantsPerPass) {
        this.variantsPerPass = Math.max(1, variantsPerPass);
    }

    @Override
    public String key() {
        return "exact";
    }

    @Override
    public EdgeScores score(TaskPatcher task, Progress progress) {
        int n = task.graph().nEdges();
        double[] scores = new double[n];
        progress.start("exact patching of every edge", n);
        long passesBefore = task.forwardPasses();
        for (int start = 0; start < n; start += variantsPerPass) {
            int end = Math.min(n, start + variantsPerPass);
            List<boolean[]> masks = new ArrayList<>();
            for (int e = start; e < end; e++) {
                boolean[] keep = new boolean[n];
                java.util.Arrays.fill(keep, true);
                keep[e] = false;
                masks.add(keep);
            }
            double[] values = task.evaluateKeep(masks);
            for (int e = start; e < end; e++) {
                scores[e] = values[e - start] - task.cleanValue();
            }
            progress.advance(end, task.forwardPasses() - passesBefore);
        }
        progress.finish();
        return new EdgeScores(task.graph(), scores);
    }

    /**
     * Exact effect of each source node, {@code m(all its out-edges patched) - m(clean)}, indexed by
     * source (the input at 0): the ground truth for node scores.
     */
    public double[] nodeEffects(TaskPatcher task) {
        ComputationGraph g = task.graph();
        double[] effects = new double[g.nSources()];
        for (int start = 0; start < effects.length; start += variantsPerPass) {
            int end = Math.min(effects.length, start + variantsPerPass);
            List<boolean[]> masks = new ArrayList<>();
            for (int s = start; s < end; s++) {
                boolean[] keep = new boolean[g.nEdges()];
                java.util.Arrays.fill(keep, true);
                for (Edge e : g.edges()) {
                    if (e.source().sourceIndex() == s) {
                        keep[e.index()] = false;
                    }
                }
                masks.add(keep);
            }
            double[] values = task.evaluateKeep(masks);
            for (int s = start; s < end; s++) {
                effects[s] = values[s - start] - task.cleanValue();
            }
        }
        return effects;
    }
}

package io.circuitscope.discovery;

import io.circuitscope.core.graph.EdgeScores;
import io.circuitscope.core.model.GradientRules;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.progress.Progress;
import java.util.List;

/**
 * Edge attribution patching (Syed et al. 2023): the first-order estimate of patching each edge alone,
 * {@code (patched - clean) . dm/d(input)} = {@code -dm/dc} at c = 1. Cost: one forward and one backward
 * pass per batch for all edges. Its node-level sum over out-edges is attribution patching (AtP).
 */
public final class Eap implements EdgeScorer {
    @Override
    public String key() {
        return "eap";
    }

    @Override
    public boolean differentiatesAtClean() {
        return true;
    }

    @Override
    public EdgeScores score(TaskPatcher task, Progress progress) {
        progress.start("scoring edges (EAP)", task.batches().size());
        StagePasses passes = StagePasses.from(task);
        double[] grad = EdgeGradients.atClean(task, GradientRules.EXACT, List.of());
        for (int i = 0; i < grad.length; i++) {
            grad[i] = -grad[i];
        }
        passes.advance(progress, task.batches().size());
        progress.finish();
        return new EdgeScores(task.graph(), grad);
    }
}

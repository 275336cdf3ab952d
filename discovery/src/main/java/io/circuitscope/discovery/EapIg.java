package io.circuitscope.discovery;

import io.circuitscope.core.graph.EdgeScores;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.model.GradientRules;
import io.circuitscope.core.progress.Progress;
import java.util.List;

/**
 * EAP with integrated gradients (Hanna et al. 2024): the gradient is averaged over {@code steps}
 * points on the straight path from every edge patched (c = 0) to every edge clean (c = 1),
 * at c = k / steps for k = 1..steps (the paper's equation 3). Interpolating every edge coefficient
 * at once interpolates every node's input between its corrupted and clean value (the
 * "activations" flavour of EAP-IG). The steps of a batch run as one batched forward and one
 * backward pass, with the interpolation done on node outputs ({@link EdgeGradients#alongStraightPath}).
 * By completeness the scores sum to about m(corrupted) - m(clean).
 */
public final class EapIg implements EdgeScorer {
    private final int steps;

    public EapIg(int steps) {
        if (steps < 1) {
            throw new IllegalArgumentException("EAP-IG needs at least one step, got " + steps);
        }
        this.steps = steps;
    }

    public int steps() {
        return steps;
    }

    @Override
    public String key() {
        return "eap-ig";
    }

    @Override
    public EdgeScores score(TaskPatcher task, Progress progress) {
        progress.start("scoring edges (EAP-IG, " + steps + " steps)", task.batches().size());
        float[] alphas = new float[steps];
        for (int k = 1; k <= steps; k++) {
            alphas[k - 1] = (float) k / steps;
        }
        double[] grad = EdgeGradients.alongStraightPath(task, alphas, GradientRules.EXACT, List.of());
        for (int i = 0; i < grad.length; i++) {
            grad[i] = -grad[i] / steps;
        }
        progress.finish();
        return new EdgeScores(task.graph(), grad);
    }
}

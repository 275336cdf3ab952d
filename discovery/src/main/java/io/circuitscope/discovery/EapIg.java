package io.circuitscope.discovery;

import io.circuitscope.core.graph.EdgeScores;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.model.GradientRules;
import io.circuitscope.core.model.ModelConfig;
import io.circuitscope.core.progress.Progress;
import java.util.List;

/**
 * EAP with integrated gradients (Hanna et al. 2024): the gradient is averaged over {@code steps}
 * points on the straight path from every edge patched (c = 0) to every edge clean (c = 1),
 * at c = k / steps for k = 1..steps (the paper's equation 3). Interpolating every edge coefficient
 * at once interpolates every node's input between its corrupted and clean value (the
 * "activations" flavour of EAP-IG). The steps of a batch run as one batched forward and one
 * backward pass, with the interpolation done on node outputs ({@link EdgeGradients#alongStraightPath}),
 * as many steps per pass as fit a memory budget.
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

    /** Native memory a gradient pass keeps per token, measured on GPT-2 small (about 21 MB per token there). */
    static long bytesPerToken(ModelConfig c) {
        return 48L * c.nLayers() * c.nHeads() * c.dModel() * Float.BYTES;
    }

    /** Budget of one batched pass; steps beyond it run in further passes (GPT-2 small, 20 x 15 tokens: one each). */
    static final long PASS_BUDGET_BYTES = 3L << 30;

    /** How many steps share one pass, so that a pass stays within {@link #PASS_BUDGET_BYTES}. */
    int stepsPerPass(TaskPatcher task) {
        long tokens = 1;
        for (TaskPatcher.PreparedBatch p : task.batches()) {
            tokens = Math.max(tokens, (long) p.batch().size() * p.batch().length());
        }
        long fit = PASS_BUDGET_BYTES / (tokens * bytesPerToken(task.graph().config()));
        return (int) Math.max(1, Math.min(steps, fit));
    }

    @Override
    public EdgeScores score(TaskPatcher task, Progress progress) {
        progress.start("scoring edges (EAP-IG, " + steps + " steps)", task.batches().size());
        int perPass = stepsPerPass(task);
        double[] grad = new double[task.graph().nEdges()];
        for (int first = 1; first <= steps; first += perPass) {
            float[] alphas = new float[Math.min(perPass, steps - first + 1)];
            for (int k = 0; k < alphas.length; k++) {
                alphas[k] = (float) (first + k) / steps;
            }
            double[] part = EdgeGradients.alongStraightPath(task, alphas, GradientRules.EXACT, List.of());
            for (int i = 0; i < grad.length; i++) {
                grad[i] += part[i];
            }
        }
        for (int i = 0; i < grad.length; i++) {
            grad[i] = -grad[i] / steps;
        }
        progress.finish();
        return new EdgeScores(task.graph(), grad);
    }
}

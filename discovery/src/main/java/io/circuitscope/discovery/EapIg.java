package io.circuitscope.discovery;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.circuitscope.core.graph.EdgeScores;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.progress.Progress;

/**
 * EAP with integrated gradients (Hanna et al. 2024): the gradient is averaged over {@code steps}
 * points on the straight path from every edge patched (c = 0) to every edge clean (c = 1),
 * at c = k / steps for k = 1..steps (the paper's equation 3). Interpolating every edge coefficient
 * at once interpolates every node's input between its corrupted and clean value (the
 * "activations" flavour of EAP-IG). The steps of a batch run as one batched forward and one
 * backward pass. By completeness the scores sum to about m(corrupted) - m(clean).
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
        Shape shape = task.graph().coefficientShape(steps);
        double[] grad = EdgeGradients.of(task, run -> {
            float[] alphas = new float[steps];
            for (int k = 1; k <= steps; k++) {
                alphas[k - 1] = (float) k / steps;
            }
            long[] alongSteps = new long[shape.dimension()];
            java.util.Arrays.fill(alongSteps, 1);
            alongSteps[0] = steps;
            return run.create(alphas, new Shape(alongSteps)).broadcast(shape).duplicate();
        });
        for (int i = 0; i < grad.length; i++) {
            grad[i] = -grad[i] / steps;
        }
        progress.finish();
        return new EdgeScores(task.graph(), grad);
    }
}

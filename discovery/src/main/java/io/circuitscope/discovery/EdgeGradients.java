package io.circuitscope.discovery;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.Edge;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.model.GradientRules;
import java.util.function.Function;

/**
 * The derivative of the task metric (mean over targets) with respect to every edge coefficient,
 * summed over the coefficient variants of each pass: one forward and one backward pass per batch,
 * inside its own gradient collector (DJL allows one at a time).
 */
final class EdgeGradients {
    private EdgeGradients() {
    }

    /**
     * @param coefficients builds the coefficients for a pass ({@link ComputationGraph#coefficientShape}); the
     *                     returned tensor is made a gradient leaf here
     * @return per edge, d(metric)/d(coefficient) summed over the M variants
     */
    static double[] of(TaskPatcher task, Function<NDManager, NDArray> coefficients) {
        return of(task, coefficients, GradientRules.EXACT, java.util.List.of());
    }

    /** As {@link #of(TaskPatcher, Function)} with modified gradient rules and extra interventions. */
    static double[] of(TaskPatcher task, Function<NDManager, NDArray> coefficients, GradientRules rules,
            java.util.List<io.circuitscope.core.hook.Intervention> before) {
        ComputationGraph g = task.graph();
        double[] dense = new double[g.coefficientCells()];
        for (TaskPatcher.PreparedBatch p : task.batches()) {
            try (NDManager run = task.manager().newSubManager()) {
                NDArray c = coefficients.apply(run);
                c.setRequiresGradient(true);
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray logits = task.patcher().forward(run, p.batch().clean(), p.patched(), c, rules, before);
                    NDArray value = task.metric().perTarget(logits, p.batch(), p.cleanLogProbs()).sum()
                            .div(io.circuitscope.core.Scalars.of(logits, task.totalTargets()));
                    gc.backward(value);
                }
                float[] grad = c.getGradient().sum(new int[] {0}).toFloatArray();
                for (int i = 0; i < grad.length; i++) {
                    dense[i] += grad[i];
                }
            }
        }
        double[] perEdge = new double[g.nEdges()];
        for (Edge e : g.edges()) {
            perEdge[e.index()] = dense[g.coefficientIndex(e)];
        }
        return perEdge;
    }
}

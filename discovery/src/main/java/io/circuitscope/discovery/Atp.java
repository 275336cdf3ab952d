package io.circuitscope.discovery;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.NodeScores;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.hook.ActivationCache;
import io.circuitscope.core.hook.HookName;
import io.circuitscope.core.hook.HookSite;
import io.circuitscope.core.hook.Hooks;
import io.circuitscope.core.hook.Intervention;
import io.circuitscope.core.hook.Selection;
import io.circuitscope.core.model.ModelConfig;
import io.circuitscope.core.progress.Progress;

/**
 * Attribution patching (AtP; Nanda 2023, Kramár et al. 2024) of nodes: the first-order estimate of
 * patching each node's output, {@code (patched - clean) . dm/d(output)}, for the input embedding,
 * every head and every MLP, summed over positions or kept apart by position in a position-aware
 * graph. One forward and one backward pass per batch, with the gradient taken at the node outputs
 * themselves. Because a node's output reaches every later input through the residual stream, a
 * node's AtP score equals the sum of its out-edges' EAP scores (tested).
 */
public final class Atp {
    public String key() {
        return "atp";
    }

    public NodeScores score(TaskPatcher task, Progress progress) {
        return score(task, progress, java.util.List.of());
    }

    /**
     * As {@link #score(TaskPatcher, Progress)} with {@code after} applied behind the zeros that take
     * the gradients at the node outputs: a gradient those interventions stop never reaches a node
     * (AtP*'s GradDrop, read at the nodes themselves, tests AtP*'s node importance).
     */
    NodeScores score(TaskPatcher task, Progress progress, java.util.List<Intervention> after) {
        ComputationGraph g = task.graph();
        ModelConfig c = g.config();
        int positions = Math.max(1, g.positions());
        double[] scores = new double[g.nSources() * positions];
        progress.start("scoring nodes (AtP)", task.batches().size());
        StagePasses passes = StagePasses.from(task);
        int done = 0;
        for (TaskPatcher.PreparedBatch p : task.batches()) {
            try (NDManager run = task.manager().newSubManager()) {
                int batch = p.batch().size();
                int seq = p.batch().length();
                // zero leaves added at every node output: their gradients are the gradients at the outputs
                NDArray embedding = leaf(run, new Shape(batch, seq, c.dModel()));
                NDArray[] heads = new NDArray[c.nLayers()];
                NDArray[] mlps = new NDArray[c.nLayers()];
                Hooks.Builder hooks = Hooks.builder()
                        .add(Intervention.add(HookName.of(HookSite.RESID_PRE, 0), Selection.all(), embedding));
                for (int l = 0; l < c.nLayers(); l++) {
                    heads[l] = leaf(run, new Shape(batch, seq, c.nHeads(), c.dModel()));
                    mlps[l] = leaf(run, new Shape(batch, seq, c.dModel()));
                    hooks.add(Intervention.add(HookName.of(HookSite.RESULT, l), Selection.all(), heads[l]));
                    hooks.add(Intervention.add(HookName.of(HookSite.MLP_OUT, l), Selection.all(), mlps[l]));
                }
                hooks.addAll(after);
                NDArray differences = forwardAndBackward(task, p, run, hooks);
                NDList gradients = new NDList(embedding.getGradient().expandDims(0));
                for (int l = 0; l < c.nLayers(); l++) {
                    gradients.add(heads[l].getGradient().transpose(2, 0, 1, 3));
                    gradients.add(mlps[l].getGradient().expandDims(0));
                }
                // [nSources, B, s, d]: -(clean - patched) . gradient, summed over rows and features
                NDArray products = differences.mul(NDArrays.concat(gradients, 0)).sum(new int[] {1, 3}).neg();
                float[] perPosition = products.toFloatArray(); // [nSources, s]
                for (int s = 0; s < g.nSources(); s++) {
                    for (int pos = 0; pos < seq; pos++) {
                        scores[s * positions + (positions == 1 ? 0 : pos)] += perPosition[s * seq + pos];
                    }
                }
            }
            passes.advance(progress, ++done);
        }
        progress.finish();
        return new NodeScores(g, scores);
    }

    /** Runs the clean forward and backward pass; returns the source differences (clean - patched), [nSources, B, s, d]. */
    private static NDArray forwardAndBackward(TaskPatcher task, TaskPatcher.PreparedBatch p, NDManager run,
            Hooks.Builder hooks) {
        try (ActivationCache cache = ActivationCache.of(run, task.patcher().sourceHookNames())) {
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray logits = task.patcher().model().forward(run, p.batch().clean(), hooks.cache(cache).build(),
                        io.circuitscope.core.model.GradientRules.EXACT, p.batch().logitPositions());
                NDArray value = task.metricShare(p, logits);
                gc.backward(value);
            }
            return task.patcher().sourceOutputs(run, cache).stacked().sub(p.patched().stacked());
        }
    }

    private static NDArray leaf(NDManager run, Shape shape) {
        NDArray zero = run.zeros(shape);
        zero.setRequiresGradient(true);
        return zero;
    }
}

package io.circuitscope.discovery;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.Edge;
import io.circuitscope.core.graph.Port;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.hook.ActivationCache;
import io.circuitscope.core.hook.HookName;
import io.circuitscope.core.hook.HookSite;
import io.circuitscope.core.hook.Hooks;
import io.circuitscope.core.hook.Intervention;
import io.circuitscope.core.hook.Selection;
import io.circuitscope.core.model.GradientRules;
import io.circuitscope.core.model.ModelConfig;
import java.util.List;
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
        return of(task, coefficients, GradientRules.EXACT, List.of());
    }

    /** As {@link #of(TaskPatcher, Function)} with modified gradient rules and extra interventions. */
    static double[] of(TaskPatcher task, Function<NDManager, NDArray> coefficients, GradientRules rules,
            List<Intervention> before) {
        ComputationGraph g = task.graph();
        double[] dense = new double[g.coefficientCells()];
        for (TaskPatcher.PreparedBatch p : task.batches()) {
            try (NDManager run = task.manager().newSubManager()) {
                NDArray c = coefficients.apply(run);
                c.setRequiresGradient(true);
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray logits = task.patcher().forward(run, p.batch().clean(), p.patched(), c, rules, before,
                            p.batch().logitPositions());
                    NDArray value = task.metricShare(p, logits);
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

    /**
     * The same derivative at the clean model (every coefficient 1), computed the cheaper way EAP's
     * authors do: one forward and one backward pass give the gradient g_d of the metric at every
     * destination input, and {@code dm/dc[s, d] = g_d . (out_s - patched_s)} summed over rows and
     * positions (kept apart by position in a position-aware graph). Equal to {@link #of} with all-ones
     * coefficients, without carrying the edge mixing through the backward pass.
     */
    static double[] atClean(TaskPatcher task, GradientRules rules, List<Intervention> before) {
        return alongStraightPath(task, new float[] {1f}, rules, before, true, null).signed();
    }

    /**
     * What one pass at the clean model gives GradDrop (and, when asked, {@link #atClean}'s signed sums).
     *
     * @param signed       per edge, {@code sum_prompts dm_prompt/dc}, or null when not asked
     * @param edgesPerPrompt per edge, {@code sum_prompts |dm_prompt/dc|}: each prompt's contribution made
     *                     absolute before they are summed, the expectation of an absolute estimate that
     *                     GradDrop takes
     * @param nodesPerPrompt per source node, {@code sum_prompts |sum_out-edges dm_prompt/dc|}: the same for the
     *                     node's estimate, the sum over its out-edges, with the edges into the dropped
     *                     layer left out (dropping a layer cuts them)
     */
    record PerPrompt(double[] signed, double[] edgesPerPrompt, double[] nodesPerPrompt) {
    }

    /**
     * {@link PerPrompt} sums from one pass at the clean model with {@code before} in place; node sums leave
     * out every edge into {@code droppedLayer}. A pass that drops a layer's gradient (GradDrop) gives
     * those edges 0 itself; the pass that drops nothing doubles as the pass that drops layer 0, since
     * nothing downstream of a later destination runs through layer 0.
     */
    static PerPrompt atCleanPerPrompt(TaskPatcher task, GradientRules rules, List<Intervention> before, int droppedLayer,
            boolean signed) {
        return alongStraightPath(task, new float[] {1f}, rules, before, signed, droppedLayer);
    }

    /**
     * dm/dc summed over the coefficient sets c = alpha * 1 (every edge alike), one per alpha: what
     * {@link #of} gives for those coefficients, computed without mixing edges. With every coefficient
     * equal, each destination reads {@code sum_s patched_s + alpha (out_s - patched_s)}, so the pass is
     * the model with every node's output interpolated towards its patched value where it joins the
     * residual stream; then {@code dm/dc[s, d] = g_d . (out_s - patched_s)} as in {@link #atClean}, with
     * out_s the node's own output in that pass. All alphas of a batch run as one batched pass.
     */
    static double[] alongStraightPath(TaskPatcher task, float[] alphas, GradientRules rules, List<Intervention> before) {
        return alongStraightPath(task, alphas, rules, before, true, null).signed();
    }

    /**
     * The sums EAP-IG's "inputs" flavour takes (Hanna et al.'s {@code EAP-IG-inputs}): per edge,
     * {@code sum_alpha g_d(alpha) . (clean_s - patched_s)}, where g_d(alpha) is the metric's gradient at
     * destination d's input in the model run on the input embedding interpolated to
     * {@code patched_0 + alpha (clean_0 - patched_0)}, every node computed from it, and
     * {@code clean_s - patched_s} is the source's difference between the clean and patched runs, not
     * the interpolated one. With every alpha 1 it is {@link #atClean}. Per batch, one forward pass without
     * gradients gives the clean differences, and the alphas run {@code stepsPerPass} at a time.
     */
    static double[] alongInputPath(TaskPatcher task, float[] alphas, int stepsPerPass) {
        Sums sums = new Sums(task.graph(), true, false);
        for (TaskPatcher.PreparedBatch p : task.batches()) {
            try (NDManager batchScope = task.manager().newSubManager()) {
                NDArray clean;
                try (NDManager forward = batchScope.newSubManager()) { // the clean pass's activations end here
                    clean = cleanDifferences(forward, task, p);
                    clean.attach(batchScope);
                }
                for (int first = 0; first < alphas.length; first += stepsPerPass) {
                    float[] chunk = java.util.Arrays.copyOfRange(alphas, first, Math.min(alphas.length, first + stepsPerPass));
                    try (NDManager run = batchScope.newSubManager()) {
                        passOnBatch(run, task, p, chunk, GradientRules.EXACT, List.of(), null,
                                perStep(clean, chunk.length, run), sums);
                    }
                }
            }
        }
        return sums.perPrompt().signed();
    }

    /**
     * The clean differences [nSources, B, s, d] repeated for {@code steps} steps (step-major rows), owned by
     * {@code run}: what is computed from them (by operand order) then belongs to the pass and is freed with it,
     * not kept with the batch's differences until the batch ends. One step is a view, not a copy.
     */
    private static NDArray perStep(NDArray clean, int steps, NDManager run) {
        NDArray diffs = steps == 1 ? clean.reshape(clean.getShape()) : clean.tile(new long[] {1, steps, 1, 1});
        diffs.attach(run);
        return diffs;
    }

    /**
     * Signed sums (if {@code signed}) and, unless {@code droppedLayer} is null, the per-row absolute
     * sums of {@link PerPrompt} (one alpha only: a row is then a prompt), from the same passes.
     */
    private static PerPrompt alongStraightPath(TaskPatcher task, float[] alphas, GradientRules rules,
            List<Intervention> before, boolean signed, Integer droppedLayer) {
        Sums sums = new Sums(task.graph(), signed, droppedLayer != null);
        for (TaskPatcher.PreparedBatch p : task.batches()) {
            try (NDManager run = task.manager().newSubManager()) {
                passOnBatch(run, task, p, alphas, rules, before, droppedLayer, null, sums);
            }
        }
        return sums.perPrompt();
    }

    /** What the passes add up: per coefficient cell, signed and per-row absolute, and per source node. */
    private static final class Sums {
        final ComputationGraph graph;
        final double[] dense;
        final double[] denseAbsolute;
        final double[] nodesAbsolute;

        Sums(ComputationGraph graph, boolean signed, boolean absolutePerRow) {
            this.graph = graph;
            this.dense = signed ? new double[graph.coefficientCells()] : null;
            this.denseAbsolute = absolutePerRow ? new double[graph.coefficientCells()] : null;
            this.nodesAbsolute = absolutePerRow ? new double[graph.nSources()] : null;
        }

        PerPrompt perPrompt() {
            return new PerPrompt(perEdge(graph, dense), perEdge(graph, denseAbsolute), nodesAbsolute);
        }
    }

    /**
     * One forward and one backward pass over the batch's clean prompts, once per alpha (step-major rows),
     * added to {@code sums}. With {@code cleanDiffs} null, every node's output is interpolated and the
     * differences are the pass's own; otherwise only the input embedding is, and {@code cleanDiffs}
     * ([nSources, rows, s, d]) are the differences.
     */
    private static void passOnBatch(NDManager run, TaskPatcher task, TaskPatcher.PreparedBatch p, float[] alphas,
            GradientRules rules, List<Intervention> before, Integer droppedLayer, NDArray cleanDiffs, Sums sums) {
        ComputationGraph g = task.graph();
        int layers = g.config().nLayers();
        int positions = Math.max(1, g.positions());
        boolean absolutePerRow = droppedLayer != null;
        int batch = p.batch().size();
        int rows = alphas.length * batch; // step-major: row k * batch + b
        int[][] tokens = new int[rows][];
        float[] alphaPerRow = new float[rows];
        for (int k = 0; k < alphas.length; k++) {
            for (int b = 0; b < batch; b++) {
                tokens[k * batch + b] = p.batch().clean()[b];
                alphaPerRow[k * batch + b] = alphas[k];
            }
        }
        boolean inputsOnly = cleanDiffs != null;
        NodeInterpolation nodes = new NodeInterpolation(run, task, p, alphaPerRow, alphas.length, inputsOnly);
        DestinationLeaves leaves = new DestinationLeaves(run, g.config(), rows, p.batch().length());
        Hooks hooks = leaves.addTo(nodes.addTo(Hooks.builder().addAll(before))).build();
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray logits = task.patcher().model().forward(run, tokens, hooks, rules, p.batch().logitPositions());
            NDArray value = task.metricShare(p, logits);
            gc.backward(value);
        }
        NDArray diffs = inputsOnly ? cleanDiffs
                : task.patcher().linearStreamDifferences(run, nodes::interpolatedOutputs, nodes.differences(), rules);
        // per row and source, the node's signed estimate from this batch: [row * nSources + source]
        double[] nodeRows = absolutePerRow ? new double[rows * g.nSources()] : null;
        for (int l = 0; l <= layers; l++) {
            boolean logits = l == layers;
            NDArray[] gradients = logits ? new NDArray[] {leaves.logits.getGradient().expandDims(0)}
                    : new NDArray[] {leaves.headGradients(l), leaves.mlp[l].getGradient().expandDims(0)};
            int[] first = logits ? new int[] {g.logitsDestination()}
                    : new int[] {g.headDestination(l, Port.Q, 0), g.mlpDestination(l)};
            double[] rowsHere = absolutePerRow && l != droppedLayer ? nodeRows : null;
            for (int k = 0; k < gradients.length; k++) {
                if (sums.dense != null) {
                    accumulate(g, sums.dense, false, null, diffs, gradients[k], first[k], positions);
                }
                if (absolutePerRow) {
                    accumulate(g, sums.denseAbsolute, true, rowsHere, diffs, gradients[k], first[k], positions);
                }
            }
        }
        if (absolutePerRow) {
            for (int row = 0; row < rows; row++) {
                for (int src = 0; src < sums.nodesAbsolute.length; src++) {
                    sums.nodesAbsolute[src] += Math.abs(nodeRows[row * sums.nodesAbsolute.length + src]);
                }
            }
        }
    }

    /**
     * {@code clean_s - patched_s} for every source on one batch, [nSources, B, s, d], from a forward pass
     * on the clean prompts without gradients, carried to the residual stream as EAP carries them.
     */
    private static NDArray cleanDifferences(NDManager run, TaskPatcher task, TaskPatcher.PreparedBatch p) {
        float[] ones = new float[p.batch().size()];
        java.util.Arrays.fill(ones, 1f);
        NodeInterpolation clean = new NodeInterpolation(run, task, p, ones, 1, false);
        task.patcher().model().forward(run, p.batch().clean(), clean.addTo(Hooks.builder()).build(), GradientRules.EXACT,
                p.batch().logitPositions());
        task.countForwardPass();
        return task.patcher().linearStreamDifferences(run, clean::interpolatedOutputs, clean.differences(),
                GradientRules.EXACT);
    }

    private static double[] perEdge(ComputationGraph g, double[] dense) {
        if (dense == null) {
            return null;
        }
        double[] perEdge = new double[g.nEdges()];
        for (Edge e : g.edges()) {
            perEdge[e.index()] = dense[g.coefficientIndex(e)];
        }
        return perEdge;
    }

    /**
     * Records every node's output where it joins the residual stream and replaces it by
     * {@code patched + alpha (output - patched)} (nothing to replace when every alpha is 1); with
     * {@code inputsOnly}, only the embedding's, so that every later node is computed from it, and nothing else
     * is recorded (the differences then come from the clean run).
     */
    private static final class NodeInterpolation {
        private final NDManager run;
        private final NDArray patched; // [nSources, rows, s, d]
        private final NDArray alpha; // [rows, 1, 1]
        private final boolean identity;
        private final boolean inputsOnly;
        private final NDArray[] outputs; // per source, [rows, s, d], no gradient
        private NDArray stacked; // the outputs stacked, once asked for
        private final int heads;

        NodeInterpolation(NDManager run, TaskPatcher task, TaskPatcher.PreparedBatch p, float[] alphaPerRow, int steps,
                boolean inputsOnly) {
            this.run = run;
            this.inputsOnly = inputsOnly;
            boolean allOne = true;
            for (float a : alphaPerRow) {
                allOne &= a == 1f;
            }
            this.identity = allOne;
            NDArray perBatch = p.patched().stacked(); // owned by the task: never attach it to this pass
            if (steps == 1) {
                this.patched = perBatch;
            } else {
                // interpolating the input alone needs the embedding's patched output only
                NDArray kept = inputsOnly ? perBatch.get(new NDIndex("0:1")) : perBatch;
                this.patched = kept.tile(new long[] {1, steps, 1, 1});
                this.patched.attach(run);
                if (kept != perBatch) {
                    kept.attach(run);
                }
            }
            this.alpha = run.create(alphaPerRow, new Shape(alphaPerRow.length, 1, 1));
            this.outputs = new NDArray[task.graph().nSources()];
            this.heads = task.graph().config().nHeads();
        }

        Hooks.Builder addTo(Hooks.Builder hooks) {
            int layers = (outputs.length - 1) / (heads + 1);
            hooks.add(Intervention.applyReadOnly(HookName.of(HookSite.RESID_PRE, 0), Selection.all(), "interpolate input",
                    x -> interpolate(x, 0)));
            for (int l = 0; l < layers && !inputsOnly; l++) {
                final int firstHead = 1 + l * (heads + 1);
                hooks.add(Intervention.applyReadOnly(HookName.of(HookSite.RESULT, l), Selection.all(), "interpolate heads",
                        x -> interpolateHeads(x, firstHead)));
                hooks.add(Intervention.applyReadOnly(HookName.of(HookSite.MLP_OUT, l), Selection.all(), "interpolate mlp",
                        x -> interpolate(x, firstHead + heads)));
            }
            return hooks;
        }

        private NDArray interpolate(NDArray x, int source) {
            outputs[source] = x.stopGradient();
            if (identity) {
                return x;
            }
            NDArray target = patched(source, source + 1).squeeze(0);
            return target.add(alpha.mul(x.sub(target)));
        }

        /** Per-head results [rows, s, H, d]: source firstHead + h is head h. */
        private NDArray interpolateHeads(NDArray x, int firstHead) {
            for (int h = 0; h < heads; h++) {
                outputs[firstHead + h] = x.get(new NDIndex(":, :, {}, :", h)).stopGradient();
            }
            if (identity) {
                return x;
            }
            NDArray target = patched(firstHead, firstHead + heads).transpose(1, 2, 0, 3);
            return target.add(alpha.expandDims(3).mul(x.sub(target)));
        }

        /** Patched outputs of sources from..to-1, [n, rows, s, d], as a view owned by this pass. */
        private NDArray patched(int from, int to) {
            NDArray view = patched.get(new NDIndex("{}:{}", from, to));
            view.attach(run);
            return view;
        }

        /** out_s - patched_s for every source, [nSources, rows, s, d]. */
        NDArray differences() {
            return stackedOutputs().sub(patched);
        }

        /** What the pass carried on from every source, patched_s + alpha (out_s - patched_s), [nSources, rows, s, d]. */
        NDArray interpolatedOutputs() {
            NDArray outs = stackedOutputs();
            return identity ? outs : alpha.mul(outs.sub(patched)).add(patched); // alpha first: the result belongs to this pass
        }

        /** Every source's recorded output, [nSources, rows, s, d], stacked once per pass (a copy of them all). */
        private NDArray stackedOutputs() {
            requireEverySource();
            if (stacked == null) {
                stacked = NDArrays.stack(new NDList(outputs));
            }
            return stacked;
        }

        private void requireEverySource() {
            if (inputsOnly) {
                throw new IllegalStateException("a pass that interpolates only the input records no other outputs");
            }
        }
    }

    /** A zero added at every destination input: its gradient is the metric's gradient at that input. */
    private static final class DestinationLeaves {
        private static final HookSite[] HEAD_INPUTS = {HookSite.Q_INPUT, HookSite.K_INPUT, HookSite.V_INPUT};
        final NDArray[][] heads; // [layer][q|k|v], each [B, s, H, d]
        final NDArray[] mlp; // [layer], each [B, s, d]
        final NDArray logits; // [B, s, d]

        DestinationLeaves(NDManager run, ModelConfig c, int batch, int seq) {
            heads = new NDArray[c.nLayers()][3];
            mlp = new NDArray[c.nLayers()];
            for (int l = 0; l < c.nLayers(); l++) {
                for (int port = 0; port < 3; port++) {
                    heads[l][port] = leaf(run, new Shape(batch, seq, c.nHeads(), c.dModel()));
                }
                mlp[l] = leaf(run, new Shape(batch, seq, c.dModel()));
            }
            logits = leaf(run, new Shape(batch, seq, c.dModel()));
        }

        Hooks.Builder addTo(Hooks.Builder hooks) {
            for (int l = 0; l < mlp.length; l++) {
                for (int port = 0; port < 3; port++) {
                    hooks.add(Intervention.add(HookName.of(HEAD_INPUTS[port], l), Selection.all(), heads[l][port]));
                }
                hooks.add(Intervention.add(HookName.of(HookSite.MLP_IN, l), Selection.all(), mlp[l]));
            }
            return hooks.add(Intervention.add(HookName.of(HookSite.RESID_POST, mlp.length - 1), Selection.all(), logits));
        }

        /** Gradients at layer l's q, k and v inputs as [3H, B, s, d], in destination order. */
        NDArray headGradients(int l) {
            NDList perPort = new NDList();
            for (int port = 0; port < 3; port++) {
                perPort.add(heads[l][port].getGradient().transpose(2, 0, 1, 3));
            }
            return NDArrays.concat(perPort, 0);
        }
    }

    private static NDArray leaf(NDManager run, Shape shape) {
        NDArray zero = run.zeros(shape);
        zero.setRequiresGradient(true);
        return zero;
    }

    /**
     * Adds g_d . diff_s for destinations first..first+count-1 (gradients [count, B, s, d]) and their
     * upstream sources into {@code dense}, per position when {@code positions > 1}; with
     * {@code absolutePerRow}, each row's product is made absolute before the rows are summed, and
     * {@code nodeRows} (if not null) gets each row's signed product summed over the destinations and
     * positions, per source ({@code [row * nSources + source]}).
     */
    private static void accumulate(ComputationGraph g, double[] dense, boolean absolutePerRow, double[] nodeRows,
            NDArray diffs, NDArray gradients, int first, int positions) {
        int count = (int) gradients.getShape().get(0);
        int upstream = g.upstreamCount(first);
        Shape s = gradients.getShape();
        long batch = s.get(1);
        long seq = s.get(2);
        long d = s.get(3);
        NDArray sources = diffs.get(new NDIndex("0:{}", upstream));
        float[] products;
        if (absolutePerRow) {
            NDArray perRow; // [B, upstream, count], or [s, B, upstream, count] per position
            if (positions == 1) {
                // [B, upstream, s*d] x [B, s*d, count]
                NDArray a = sources.reshape(upstream, batch, seq * d).transpose(1, 0, 2);
                NDArray b = gradients.reshape(count, batch, seq * d).transpose(1, 2, 0);
                perRow = a.matMul(b);
            } else {
                // [s, B, upstream, d] x [s, B, d, count]
                perRow = sources.transpose(2, 1, 0, 3).matMul(gradients.transpose(2, 1, 3, 0));
            }
            int rowAxis = positions == 1 ? 0 : 1;
            products = perRow.abs().sum(new int[] {rowAxis}).toFloatArray(); // [upstream, count] or [s, upstream, count]
            if (nodeRows != null) {
                float[] bySource = (positions == 1 ? perRow.sum(new int[] {2}) : perRow.sum(new int[] {0, 3}))
                        .toFloatArray(); // [B, upstream]
                int nSources = g.nSources();
                for (int row = 0; row < batch; row++) {
                    for (int src = 0; src < upstream; src++) {
                        nodeRows[row * nSources + src] += bySource[row * upstream + src];
                    }
                }
            }
        } else if (positions == 1) {
            products = sources.reshape(upstream, batch * seq * d).matMul(gradients.reshape(count, batch * seq * d).transpose())
                    .toFloatArray(); // [upstream, count]
        } else {
            // [s, upstream, B*d] x [s, B*d, count] -> [s, upstream, count]
            NDArray a = sources.transpose(2, 0, 1, 3).reshape(seq, upstream, batch * d);
            NDArray b = gradients.transpose(2, 1, 3, 0).reshape(seq, batch * d, count);
            products = a.matMul(b).toFloatArray();
        }
        int nDest = g.nDestinations();
        for (int pos = 0; pos < positions; pos++) {
            for (int src = 0; src < upstream; src++) {
                for (int k = 0; k < count; k++) {
                    int cell = (src * nDest + first + k) * positions + pos;
                    dense[positions == 1 ? src * nDest + first + k : cell] +=
                            products[(pos * upstream + src) * count + k];
                }
            }
        }
    }
}

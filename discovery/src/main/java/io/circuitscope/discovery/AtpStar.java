package io.circuitscope.discovery;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.Edge;
import io.circuitscope.core.graph.EdgeScores;
import io.circuitscope.core.graph.Node;
import io.circuitscope.core.graph.NodeKind;
import io.circuitscope.core.graph.Port;
import io.circuitscope.core.graph.SourceOutputs;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.hook.ActivationCache;
import io.circuitscope.core.hook.HookName;
import io.circuitscope.core.hook.HookSite;
import io.circuitscope.core.hook.Hooks;
import io.circuitscope.core.hook.Intervention;
import io.circuitscope.core.hook.Selection;
import io.circuitscope.core.model.AttentionScores;
import io.circuitscope.core.model.GradientRules;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.progress.Progress;
import java.util.ArrayList;
import java.util.List;

/**
 * AtP* (Kramár et al. 2024) at edge level: attribution patching with its two fixes.
 * <ul>
 * <li>QK fix: for edges into a query or key input the attention softmax is not linearised. The
 * pattern is recomputed exactly with that one edge patched, and only the step from the pattern to
 * the metric is linear: {@code sum (A_patched - A) . dm/dA}.</li>
 * <li>GradDrop: one extra backward pass per layer with the gradient through that layer's residual
 * contributions dropped, to undo cancellation between paths: {@code GD(e) = E_prompts[sum_l |AtP_GD_l(e)|] / (L - 1)}
 * (the paper's formula, the absolute value taken per prompt). Dropping the destination's own layer
 * cuts the edge itself (that term is 0), so the L - 1 other layers are averaged; an edge into the
 * logits has no own layer, and its L terms are averaged over L, else it would outrank every other
 * edge by L / (L - 1).</li>
 * </ul>
 * The score is the QK-fixed estimate, a signed estimate of the edge's effect like every other
 * scorer's. GradDrop is no such estimate (an average of absolute values, so never negative); the
 * paper uses it to rank, so it enters the edge's importance: the larger of |QK-fixed estimate| and
 * GradDrop orders the candidates (our reading of the paper's combination; documented in the README).
 * Nodes, the paper's own unit, get the same from the same passes: a node's estimate is the sum of its
 * out-edges', its GradDrop the per-prompt absolute value of that sum averaged over the layers, so that
 * an edge's cancellation across prompts or paths is undone for the node as a whole.
 * Cost: L forward and backward passes per batch (the first gives the estimate and GradDrop's layer-0
 * term, which drops nothing downstream of any edge but those into layer 0; one more per later layer),
 * one forward pass for dm/dA, plus the pattern recomputations (no full forward passes).
 */
public final class AtpStar implements EdgeScorer {
    private final int sourcesPerChunk;

    public AtpStar() {
        this(16);
    }

    public AtpStar(int sourcesPerChunk) {
        this.sourcesPerChunk = Math.max(1, sourcesPerChunk);
    }

    @Override
    public String key() {
        return "atp-star";
    }

    @Override
    public boolean differentiatesAtClean() {
        return true;
    }

    @Override
    public EdgeScores score(TaskPatcher task, Progress progress) {
        ComputationGraph g = task.graph();
        int layers = g.config().nLayers();
        progress.start("scoring edges (AtP*: QK fix + GradDrop over " + layers + " layers)", layers + 2L);
        StagePasses passes = StagePasses.from(task);
        // one pass gives the AtP estimate and its per-prompt absolute values, which are GradDrop's terms
        // for every layer that does not lie downstream of an edge's destination; its node sums leave out the
        // edges into layer 0, which makes them the nodes' layer-0 terms
        EdgeGradients.PerPrompt atp = EdgeGradients.atCleanPerPrompt(task, GradientRules.EXACT, List.of(), 0, true);
        double[] fixed = negated(atp.signed());
        qkFix(task, fixed);
        passes.advance(progress, 2);
        double[] gradDrop = new double[fixed.length];
        double[] nodeGradDrop = new double[g.nSources()];
        if (layers > 1) {
            addEdgeTerm(g, gradDrop, atp.edgesPerPrompt(), 0);
            addNodeTerm(g, nodeGradDrop, atp.nodesPerPrompt(), 0);
            passes.advance(progress, 3);
            for (int l = 1; l < layers; l++) {
                List<Intervention> drop = List.of(
                        Intervention.applyReadOnly(HookName.of(HookSite.RESULT, l), Selection.all(), "GradDrop",
                                NDArray::stopGradient),
                        Intervention.applyReadOnly(HookName.of(HookSite.MLP_OUT, l), Selection.all(), "GradDrop",
                                NDArray::stopGradient));
                // the paper's E[ |AtP_GD_l| ]: absolute per prompt, then averaged
                EdgeGradients.PerPrompt dropped = EdgeGradients.atCleanPerPrompt(task, GradientRules.EXACT, drop, l, false);
                addEdgeTerm(g, gradDrop, dropped.edgesPerPrompt(), l);
                addNodeTerm(g, nodeGradDrop, dropped.nodesPerPrompt(), l);
                passes.advance(progress, 3 + l);
            }
        }
        double[] importance = new double[fixed.length];
        for (int i = 0; i < importance.length; i++) {
            importance[i] = Math.max(Math.abs(fixed[i]), gradDrop[i]);
        }
        double[] nodeImportance = new EdgeScores(g, fixed).nodeImportances(); // |sum of QK-fixed out-edges|
        for (int i = 0; i < nodeImportance.length; i++) {
            nodeImportance[i] = Math.max(nodeImportance[i], nodeGradDrop[i]);
        }
        progress.finish();
        return EdgeScores.ranked(g, fixed, importance, nodeImportance);
    }

    /**
     * Adds GradDrop's layer-{@code dropped} term for every edge: the pass's per-prompt absolute estimate,
     * except for an edge into the dropped layer, which the drop cuts (term 0; a pass that drops the layer
     * gives 0 itself, and the pass that drops nothing stands in for layer 0, since nothing downstream of
     * a later destination runs through layer 0). An edge averages the L - 1 terms of the layers other
     * than its destination's; an edge into the logits has no own layer and averages all L, else it would
     * outrank every other edge by L / (L - 1).
     */
    private static void addEdgeTerm(ComputationGraph g, double[] into, double[] perPrompt, int dropped) {
        int layers = g.config().nLayers();
        for (Edge e : g.edges()) {
            Node destination = e.destination().node();
            if (destination.layer() != dropped) {
                into[e.index()] += perPrompt[e.index()] / (destination.kind() == NodeKind.LOGITS ? layers : layers - 1);
            }
        }
    }

    /**
     * Adds GradDrop's layer-{@code dropped} term for every node: the pass's per-prompt absolute node
     * estimate, except for a node in the dropped layer itself, whose output the drop detaches (term 0;
     * the pass cannot show this, since it reads gradients at the node's destinations, which lie
     * downstream of the drop). A component node averages its L - 1 other layers' terms; the input has
     * no own layer and averages all L.
     */
    private static void addNodeTerm(ComputationGraph g, double[] into, double[] perPrompt, int dropped) {
        int layers = g.config().nLayers();
        for (Node n : g.sources()) {
            if (n.layer() != dropped) {
                into[n.sourceIndex()] += perPrompt[n.sourceIndex()] / (n.kind() == NodeKind.INPUT ? layers : layers - 1);
            }
        }
    }

    /** The AtP estimate of every edge with the QK fix applied to query and key edges (no GradDrop). */
    double[] qkFixedEstimate(TaskPatcher task) {
        double[] fixed = negated(EdgeGradients.atClean(task, GradientRules.EXACT, List.of()));
        qkFix(task, fixed);
        return fixed;
    }

    /** The change when an edge is patched is minus the derivative with respect to keeping it. */
    private static double[] negated(double[] gradient) {
        double[] out = new double[gradient.length];
        for (int i = 0; i < gradient.length; i++) {
            out[i] = -gradient[i];
        }
        return out;
    }

    /**
     * Replaces the linear estimate of every edge into a query or key input by the QK-fixed one. Patching
     * source s into head h's query input changes only h's queries, and each head's pattern reads only
     * its own queries and keys, so one recomputation of every head's pattern with the queries of
     * {@code resid - diff_s} (keys clean) gives the query edges of s into every head; keys likewise. In a
     * position-aware graph the edge into a query at position p moves only row p of the pattern, so one
     * recomputation gives every position; an edge into a key at position p moves column p of every
     * row, which the softmax couples, so keys are recomputed once per position. A source whose output
     * is the same in both runs (at that position) gets exactly 0, not the rounding of a recomputation.
     */
    private void qkFix(TaskPatcher task, double[] scores) {
        ComputationGraph g = task.graph();
        HookedTransformer model = task.patcher().model();
        int layers = g.config().nLayers();
        int heads = g.config().nHeads();
        int positions = Math.max(1, g.positions());
        double[][][] effect = new double[layers][2][]; // [layer][q|k][(source * heads + head) * positions + position]
        for (TaskPatcher.PreparedBatch p : task.batches()) {
            try (NDManager run = task.manager().newSubManager()) {
                int[][] clean = p.batch().clean();
                SourceOutputs cleanOutputs = task.patcher().sourceOutputs(run, clean);
                NDArray outputDiffs = cleanOutputs.stacked().sub(p.patched().stacked()); // [nSrc, B, s, d]
                // does a source's output differ between the runs at a position? [nSrc, s]
                float[] moved = outputDiffs.abs().max(new int[] {3}).max(new int[] {1}).toFloatArray();
                NDArray diffs = task.patcher().streamDifferences(run, cleanOutputs, outputDiffs);
                int seq = p.batch().length();
                List<NDArray> residPre = new ArrayList<>();
                List<NDArray> patternGrads = patternGradients(task, p, run, residPre);
                for (int l = 0; l < layers; l++) {
                    int upstream = g.upstreamCount(g.headDestination(l, Port.Q, 0));
                    CleanAttention att = new CleanAttention(model.attentionScores(run, l), residPre.get(l),
                            patternGrads.get(l));
                    for (int which = 0; which < 2; which++) {
                        if (effect[l][which] == null) {
                            effect[l][which] = new double[upstream * heads * positions];
                        }
                        boolean query = which == 0;
                        for (int start = 0; start < upstream; start += sourcesPerChunk) {
                            int end = Math.min(upstream, start + sourcesPerChunk);
                            // every chunk's temporaries are freed before the next one
                            try (NDManager pass = run.newSubManager()) {
                                NDArray chunk = diffs.get(new NDIndex("{}:{}", start, end));
                                chunk.attach(pass);
                                if (!g.isByPosition()) {
                                    float[] e = att.effects(model.attentionScores(pass, l), pass, query, chunk, false);
                                    add(effect[l][which], start, end, heads, 1, 0, e, moved, seq);
                                } else if (query) {
                                    float[] e = att.effects(model.attentionScores(pass, l), pass, true, chunk, true);
                                    add(effect[l][which], start, end, heads, positions, -1, e, moved, seq);
                                } else {
                                    for (int pos = 0; pos < positions; pos++) {
                                        try (NDManager position = pass.newSubManager()) {
                                            float[] onlyHere = new float[positions];
                                            onlyHere[pos] = 1f;
                                            NDArray atPosition = chunk.mul(position.create(onlyHere,
                                                    new Shape(1, 1, positions, 1)));
                                            atPosition.attach(position);
                                            float[] e = att.effects(model.attentionScores(position, l), position, false,
                                                    atPosition, false);
                                            add(effect[l][which], start, end, heads, positions, pos, e, moved, seq);
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        for (int l = 0; l < layers; l++) {
            int upstream = g.upstreamCount(g.headDestination(l, Port.Q, 0));
            for (int which = 0; which < 2; which++) {
                Port port = which == 0 ? Port.Q : Port.K;
                for (int s = 0; s < upstream; s++) {
                    for (int h = 0; h < heads; h++) {
                        for (int pos = 0; pos < positions; pos++) {
                            scores[g.edgeIndex(s, g.headDestination(l, port, h), pos)] =
                                    effect[l][which][(s * heads + h) * positions + pos];
                        }
                    }
                }
            }
        }
    }

    /** One layer of the clean run: residual input, queries, keys, pattern and dm/dA, computed once per batch. */
    private static final class CleanAttention {
        private final NDArray resid; // [B, s, d]
        private final NDArray queries; // [B, s, H, e]
        private final NDArray keys;
        private final NDArray pattern; // [B, H, s, s]
        private final NDArray patternGrad;

        CleanAttention(AttentionScores scores, NDArray resid, NDArray patternGrad) {
            this.resid = resid;
            this.queries = scores.queries(resid);
            this.keys = scores.keys(resid);
            this.pattern = scores.pattern(queries, keys);
            this.patternGrad = patternGrad;
        }

        /**
         * Effects [n * heads] of patching each of n sources ({@code diffs} [n, B, s, d]) into every head's
         * query (or key) input, {@code sum (A_patched - A) . dm/dA}; [n * heads * s] kept apart by query
         * position when {@code byQueryPosition}.
         */
        float[] effects(AttentionScores scores, NDManager pass, boolean query, NDArray diffs, boolean byQueryPosition) {
            // results of operations belong to their operand's manager: lend the clean arrays to this pass
            // so that every temporary below is freed with it (they return when it closes)
            for (NDArray a : new NDArray[] {resid, queries, keys, pattern, patternGrad}) {
                a.tempAttach(pass);
            }
            Shape rs = resid.getShape(); // [B, s, d]
            long n = diffs.getShape().get(0);
            long b = rs.get(0);
            long s = rs.get(1);
            NDArray patched = resid.expandDims(0).sub(diffs).reshape(n * b, s, rs.get(2));
            NDArray moved = query ? scores.pattern(scores.queries(patched), repeat(keys, n))
                    : scores.pattern(repeat(queries, n), scores.keys(patched));
            NDArray change = moved.reshape(n, b, moved.getShape().get(1), s, s).sub(pattern.expandDims(0));
            return change.mul(patternGrad.expandDims(0)).sum(byQueryPosition ? new int[] {1, 4} : new int[] {1, 3, 4})
                    .toFloatArray();
        }

        /** [B, ...] repeated n times along the batch: [n * B, ...]. */
        private static NDArray repeat(NDArray x, long n) {
            long[] shape = x.getShape().getShape();
            long[] expanded = new long[shape.length + 1];
            expanded[0] = n;
            System.arraycopy(shape, 0, expanded, 1, shape.length);
            long[] flat = shape.clone();
            flat[0] = n * shape[0];
            return x.expandDims(0).broadcast(new Shape(expanded)).reshape(new Shape(flat));
        }
    }

    /**
     * Accumulates chunk effects for sources start..end-1: {@code e} is [n, heads] when {@code position >= 0}
     * or for a position-agnostic graph, and [n, heads, positions] when {@code position == -1}. A source
     * whose output did not move ({@code moved} [nSrc, seq]; at that position, or at any position for a
     * position-agnostic graph) contributes exactly 0.
     */
    private static void add(double[] into, int start, int end, int heads, int positions, int position, float[] e,
            float[] moved, int seq) {
        for (int s = start; s < end; s++) {
            for (int h = 0; h < heads; h++) {
                int cell = (s * heads + h) * positions;
                if (position >= 0) {
                    if (positions == 1 ? movedAnywhere(moved, s, seq) : moved[s * seq + position] > 0) {
                        into[cell + position] += e[(s - start) * heads + h];
                    }
                } else {
                    for (int pos = 0; pos < positions; pos++) {
                        if (moved[s * seq + pos] > 0) {
                            into[cell + pos] += e[((s - start) * heads + h) * positions + pos];
                        }
                    }
                }
            }
        }
    }

    private static boolean movedAnywhere(float[] moved, int source, int seq) {
        for (int p = 0; p < seq; p++) {
            if (moved[source * seq + p] > 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * dm/dA for every layer's pattern from one forward and one backward pass of the clean run; each
     * layer's residual input goes into {@code residPre}.
     */
    private static List<NDArray> patternGradients(TaskPatcher task, TaskPatcher.PreparedBatch p, NDManager run,
            List<NDArray> residPre) {
        HookedTransformer model = task.patcher().model();
        int layers = model.config().nLayers();
        java.util.Set<HookName> names = new java.util.HashSet<>();
        for (int l = 0; l < layers; l++) {
            names.add(HookName.of(HookSite.RESID_PRE, l));
        }
        ActivationCache cache = new ActivationCache(run, names::contains);
        List<NDArray> deltas = new ArrayList<>();
        Hooks.Builder hooks = Hooks.builder().cache(cache);
        int batch = p.batch().size();
        int seq = p.batch().length();
        for (int l = 0; l < layers; l++) {
            NDArray delta = run.zeros(new Shape(batch, model.config().nHeads(), seq, seq));
            delta.setRequiresGradient(true);
            deltas.add(delta);
            hooks.add(Intervention.add(HookName.of(HookSite.PATTERN, l), Selection.all(), delta));
        }
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray logits = model.forward(run, p.batch().clean(), hooks.build(), GradientRules.EXACT,
                    p.batch().logitPositions());
            NDArray value = task.metricShare(p, logits);
            gc.backward(value);
        }
        List<NDArray> grads = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            NDArray grad = deltas.get(l).getGradient().duplicate();
            grad.attach(run);
            grads.add(grad);
            NDArray resid = cache.get(HookSite.RESID_PRE, l).stopGradient().duplicate();
            resid.attach(run);
            residPre.add(resid);
        }
        cache.close();
        return grads;
    }
}

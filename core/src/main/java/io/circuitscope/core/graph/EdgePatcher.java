package io.circuitscope.core.graph;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.circuitscope.core.hook.ActivationCache;
import io.circuitscope.core.hook.HookName;
import io.circuitscope.core.hook.HookSite;
import io.circuitscope.core.hook.Hooks;
import io.circuitscope.core.hook.Intervention;
import io.circuitscope.core.hook.Selection;
import io.circuitscope.core.model.GradientRules;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.model.ModelConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The one patching primitive: a forward pass in which the input of every destination is
 * <pre>  sum over upstream sources s of  c[s,d] * out_s + (1 - c[s,d]) * patched_s  (+ constant biases)</pre>
 * where out_s is the source's output in this same pass and patched_s its output in another run
 * (corrupted prompt, mean, zero). Coefficient 1 keeps an edge, 0 patches it; values in between
 * interpolate, and the coefficients may require gradients, so one backward pass gives the
 * derivative of a metric with respect to every edge.
 *
 * <p>Several coefficient sets ("masks") run in one pass: coefficients [M, nSources, nDestinations]
 * with tokens [B, seq] evaluate M x B rows, mask-major (row m * B + b).
 *
 * <p>Implementation: hooks on the split q/k/v inputs, the MLP input and the final residual stream
 * subtract sum_s (1 - c[s,d]) * (out_s - patched_s) from the current residual stream; the
 * per-head results and MLP outputs are recorded as the pass goes.
 *
 * <p>Sandwich norms (Gemma 2/3) normalise the sum of a layer's head results before it joins the stream,
 * so a head's share of the stream is not its result. There, each destination sees every earlier
 * attention layer l as N_l(A_l - sum_h (1 - c[h,d]) * (out_h - patched_h)) instead of N_l(A_l), where
 * A_l is the sum of l's head results in this pass: the norm is recomputed per destination, as EAP-IG's
 * evaluate_graph does for Gemma 2. The embedding and MLP outputs (taken after their norms) stay linear.
 * All kept is still the unpatched run and all patched the other run, exactly. Passes without gradients get
 * these norms from per-row statistics ({@link SandwichNormMixer}); passes with gradients recompute each norm
 * per destination group, so that autograd and the LN-rule act on the norm itself.
 *
 * <p>Zero ablation, in passes without gradients: a destination with a patched edge reads the sum of what its
 * kept edges carry (plus the output biases), not the stream minus the rest. The stream minus every source's
 * output is float rounding, not zero, and a norm downstream divides it by sqrt(eps): on a tiny Gemma 2 an MLP
 * whose in-edges were all cut read 0.84 where 1.21 was right. A destination whose edges are all kept reads
 * the stream as it is.
 */
public final class EdgePatcher {
    private final HookedTransformer model;
    private final ComputationGraph graph;

    public EdgePatcher(HookedTransformer model) {
        this(model, ComputationGraph.of(model.config()));
    }

    public EdgePatcher(HookedTransformer model, ComputationGraph graph) {
        requireGraphOf(model.config(), graph.config());
        this.model = model;
        this.graph = graph;
    }

    /**
     * Which sources a destination reads comes from the graph, the heads and layers that run from the model:
     * a graph of another shape would patch the wrong rows without failing. Only what the graph is built from
     * is compared (layers, heads, parallel attention and MLP); its key/value heads are not, since a graph
     * rebuilt from a file that does not record them (EAP-IG's) assumes one per head.
     */
    private static void requireGraphOf(ModelConfig model, ModelConfig graph) {
        List<String> differences = new ArrayList<>();
        if (graph.nLayers() != model.nLayers()) {
            differences.add(graph.nLayers() + " layers (the model has " + model.nLayers() + ")");
        }
        if (graph.nHeads() != model.nHeads()) {
            differences.add(graph.nHeads() + " heads (the model has " + model.nHeads() + ")");
        }
        if (graph.parallelAttnMlp() != model.parallelAttnMlp()) {
            differences.add("parallelAttnMlp " + graph.parallelAttnMlp() + " (the model has "
                    + model.parallelAttnMlp() + ")");
        }
        if (!differences.isEmpty()) {
            throw new IllegalArgumentException("the computational graph is not this model's: it has "
                    + String.join(", ", differences));
        }
    }

    public ComputationGraph graph() {
        return graph;
    }

    public HookedTransformer model() {
        return model;
    }

    /**
     * The output of every source in an unpatched run on {@code tokens}, owned by {@code run}. The pass itself
     * (every layer's activations, the logits) is freed on return: callers keep these for a task's lifetime.
     */
    public SourceOutputs sourceOutputs(NDManager run, int[][] tokens) {
        try (NDManager pass = run.newSubManager();
                ActivationCache cache = ActivationCache.of(pass, sourceHookNames())) {
            model.forward(pass, tokens, Hooks.caching(cache));
            SourceOutputs outputs = sourceOutputs(pass, cache);
            outputs.stacked().attach(run);
            return outputs;
        }
    }

    /** The hook points whose values are the sources' outputs (the embedding, per-head results, MLP outputs). */
    public Set<HookName> sourceHookNames() {
        Set<HookName> names = new HashSet<>();
        names.add(HookName.of(HookSite.RESID_PRE, 0));
        for (int l = 0; l < model.config().nLayers(); l++) {
            names.add(HookName.of(HookSite.RESULT, l));
            names.add(HookName.of(HookSite.MLP_OUT, l));
        }
        return names;
    }

    /** The sources' outputs, in source order, from a cache of {@link #sourceHookNames}; owned by {@code run}. */
    public SourceOutputs sourceOutputs(NDManager run, ActivationCache cache) {
        ModelConfig c = model.config();
        List<NDArray> outputs = new ArrayList<>();
        outputs.add(cache.get(HookSite.RESID_PRE, 0));
        for (int l = 0; l < c.nLayers(); l++) {
            NDArray results = cache.get(HookSite.RESULT, l);
            for (int h = 0; h < c.nHeads(); h++) {
                outputs.add(results.get(new NDIndex(":, :, {}, :", h)));
            }
            outputs.add(cache.get(HookSite.MLP_OUT, l));
        }
        NDArray stacked = NDArrays.stack(new NDList(outputs)).stopGradient();
        stacked.attach(run);
        return new SourceOutputs(stacked);
    }

    /**
     * What patching one source alone takes away from the residual stream that every destination reads,
     * [nSources, B, s, d], given the sources' outputs in this run ({@code own}) and {@code differences} =
     * own - patched. That is the difference itself, except with sandwich norms, where a head h of layer l
     * takes away N_l(A_l) - N_l(A_l - diff_h), A_l being the sum of l's head results in {@code own}.
     * The result belongs to {@code run}.
     */
    public NDArray streamDifferences(NDManager run, SourceOutputs own, NDArray differences) {
        return withHeadRowsReplaced(run, differences, (layer, range) -> {
            NDArray headSum = own.stacked().get(range).sum(new int[] {0}, true);
            headSum.attach(run);
            return model.attentionOutputLoss(run, layer, headSum, differences.get(range));
        });
    }

    /**
     * The first-order {@link #streamDifferences}: with sandwich norms, a head h of layer l takes away
     * J_l(A_l) diff_h, the derivative of N_l at A_l (the sum of l's head outputs in {@code outputs}
     * [nSources, rows, s, d]) under {@code rules}; otherwise the differences themselves. With these,
     * g_d . diff_s (g_d the metric's gradient at destination d) is the derivative with respect to the
     * edge's coefficient at a pass whose sources output {@code outputs}, as {@link #forward} defines it.
     * {@code outputs} is asked for only with sandwich norms, and at most once.
     */
    public NDArray linearStreamDifferences(NDManager run, Supplier<NDArray> outputs, NDArray differences,
            GradientRules rules) {
        NDArray[] made = new NDArray[1];
        return withHeadRowsReplaced(run, differences, (layer, range) -> {
            if (made[0] == null) {
                made[0] = outputs.get();
            }
            NDArray headSum = made[0].get(range).sum(new int[] {0}, true);
            headSum.attach(run);
            return model.attentionOutputDerivative(run, layer, headSum, differences.get(range), rules);
        });
    }

    /** {@code differences} [nSources, ...] with each layer's head rows replaced by {@code heads(layer, rows)}. */
    private NDArray withHeadRowsReplaced(NDManager run, NDArray differences,
            BiFunction<Integer, NDIndex, NDArray> heads) {
        ModelConfig c = model.config();
        if (!c.sandwichNorms()) {
            return differences;
        }
        NDList parts = new NDList();
        int done = 0;
        for (int l = 0; l < c.nLayers(); l++) {
            int first = graph.headSource(l, 0);
            parts.add(differences.get(new NDIndex("{}:{}", done, first)));
            parts.add(heads.apply(l, new NDIndex("{}:{}", first, first + c.nHeads())));
            done = first + c.nHeads();
        }
        parts.add(differences.get(new NDIndex("{}:", done)));
        NDArray out = NDArrays.concat(parts, 0);
        out.attach(run);
        return out;
    }

    /**
     * A coefficient set as a [1, nSources, nDestinations] tensor (with a trailing positions axis for a
     * position-aware graph): 1 where {@code keepEdge} is true.
     */
    public NDArray coefficients(NDManager run, boolean[] keepEdge) {
        return coefficients(run, List.of(keepEdge));
    }

    /** Several keep-masks as one coefficient tensor, [M, nSources, nDestinations(, positions)]. */
    public NDArray coefficients(NDManager run, List<boolean[]> keepMasks) {
        int cells = graph.coefficientCells();
        float[] dense = new float[keepMasks.size() * cells];
        for (int m = 0; m < keepMasks.size(); m++) {
            boolean[] keep = keepMasks.get(m);
            if (keep.length != graph.nEdges()) {
                throw new IllegalArgumentException("need " + graph.nEdges() + " edge flags, got " + keep.length);
            }
            for (Edge e : graph.edges()) {
                if (keep[e.index()]) {
                    dense[m * cells + graph.coefficientIndex(e)] = 1f;
                }
            }
        }
        return run.create(dense, graph.coefficientShape(keepMasks.size()));
    }

    /** Coefficient 1 on every edge: the unpatched model. */
    public NDArray allKept(NDManager run, int masks) {
        return run.ones(graph.coefficientShape(masks));
    }

    /**
     * Logits [M * B, seq, vocab] of the patched forward.
     *
     * @param tokens       the prompts whose own activations flow along kept edges, [B][seq]
     * @param patched      what patched edges carry, from {@link #sourceOutputs} on B prompts of the same length
     * @param coefficients [M, nSources, nDestinations] (or [nSources, nDestinations] for M = 1)
     */
    public NDArray forward(NDManager run, int[][] tokens, SourceOutputs patched, NDArray coefficients) {
        return forward(run, tokens, patched, coefficients, GradientRules.EXACT, List.of());
    }

    /**
     * The patched forward with a modified backward pass ({@code rules}) and extra interventions that run
     * before the patching hooks at the same hook points (e.g. stopping gradients through one layer).
     */
    public NDArray forward(NDManager run, int[][] tokens, SourceOutputs patched, NDArray coefficients,
            GradientRules rules, List<Intervention> before) {
        return forward(run, tokens, patched, coefficients, rules, before, null);
    }

    /** As above, with logits only at {@code logitPositions} (ascending; null: every position). */
    public NDArray forward(NDManager run, int[][] tokens, SourceOutputs patched, NDArray coefficients,
            GradientRules rules, List<Intervention> before, int[] logitPositions) {
        NDArray coef = checkedCoefficients(run, tokens, patched, coefficients);
        int masks = (int) coef.getShape().get(0);
        int[][] rows = new int[masks * tokens.length][];
        for (int m = 0; m < masks; m++) {
            for (int b = 0; b < tokens.length; b++) {
                rows[m * tokens.length + b] = tokens[b];
            }
        }
        boolean keepForBackward = coef.hasGradient() || !before.isEmpty();
        PassState state = new PassState(run, coef, patched, masks, tokens.length, keepForBackward, rules, null);
        return model.forward(run, rows, state.hooks(before, model.config().nLayers(), true), rules, logitPositions,
                !keepForBackward);
    }

    /**
     * The part of a patched pass below {@code layer}: the residual stream entering that layer and the
     * source differences recorded so far. Passes whose coefficients agree on every edge into a
     * destination below {@code layer} share it; {@link #forwardFrom} finishes them from there (ACDC
     * tries many edges into one layer this way). No gradients flow through a prefix.
     *
     * @param coefficients one mask, [1, nSources, nDestinations(, positions)]
     */
    public Prefix prefix(NDManager run, int[][] tokens, SourceOutputs patched, NDArray coefficients, int layer) {
        int layers = model.config().nLayers();
        if (layer < 0 || layer > layers) {
            throw new IllegalArgumentException("prefix layer " + layer + " is outside [0, " + layers + "]");
        }
        NDArray coef = checkedCoefficients(run, tokens, patched, coefficients);
        if (coef.getShape().get(0) != 1) {
            throw new IllegalArgumentException("a prefix is computed for one mask, got " + coef.getShape().get(0));
        }
        // The pass's buffers are sized for a whole pass (every source's differences, the mixer's rows) and a
        // prefix lives for many passes: it keeps copies of what it needs, and the pass is freed here.
        try (NDManager pass = run.newSubManager()) {
            PassState state = new PassState(pass, coef, patched, 1, tokens.length, false, GradientRules.EXACT, null);
            NDArray residual = model.residualBefore(pass, tokens, layer, state.hooks(List.of(), layer, false), true);
            int expected = layer == 0 ? 0 : graph.headSource(layer, 0);
            if (state.recorded != expected) {
                throw new IllegalStateException("prefix below layer " + layer + " recorded " + state.recorded
                        + " sources, expected " + expected);
            }
            NDArray[] headSums = new NDArray[Math.min(layer, state.headSums.length)];
            for (int l = 0; l < headSums.length; l++) {
                headSums[l] = copyOwnedBy(run, state.headSums[l]);
            }
            return new Prefix(layer, tokens, copyOwnedBy(run, residual),
                    state.recorded == 0 ? null : copyOwnedBy(run, state.ownDifferences(state.recorded)), state.recorded,
                    headSums);
        }
    }

    /** A copy of {@code array} owned by {@code run}: a slice's copy does not keep the whole buffer alive. */
    private static NDArray copyOwnedBy(NDManager run, NDArray array) {
        NDArray copy = array.duplicate();
        copy.attach(run);
        return copy;
    }

    /**
     * Logits [M * B, seq, vocab] of M patched passes that share {@code prefix}: equal to {@link #forward}
     * with {@code coefficients} as long as they agree with the prefix's mask on every edge into a
     * destination below the prefix's layer (the caller's promise; not checked here).
     */
    public NDArray forwardFrom(NDManager run, Prefix prefix, SourceOutputs patched, NDArray coefficients) {
        return forwardFrom(run, prefix, patched, coefficients, null);
    }

    /** As above, with logits only at {@code logitPositions} (ascending; null: every position). */
    public NDArray forwardFrom(NDManager run, Prefix prefix, SourceOutputs patched, NDArray coefficients,
            int[] logitPositions) {
        NDArray coef = checkedCoefficients(run, prefix.tokens(), patched, coefficients);
        int masks = (int) coef.getShape().get(0);
        int batch = prefix.tokens().length;
        PassState state = new PassState(run, coef, patched, masks, batch, false, GradientRules.EXACT, prefix);
        // a copy owned by this pass: results of operations belong to their first operand's manager, and
        // the prefix's manager lives for many passes
        NDArray residual = masks == 1 ? prefix.residual().duplicate() : prefix.residual().tile(new long[] {masks, 1, 1});
        residual.attach(run);
        int layers = model.config().nLayers();
        if (prefix.layer() == layers) {
            // nothing left to run but the logits' own input: patch it here, then unembed
            NDArray patchedResidual = state.patchSingle(residual, graph.logitsDestination());
            return model.forwardFrom(run, layers, patchedResidual, Hooks.none(), logitPositions);
        }
        return model.forwardFrom(run, prefix.layer(), residual, state.hooks(List.of(), layers, true), logitPositions,
                true);
    }

    /**
     * See {@link #prefix}: what passes that differ only from {@code layer} on have in common. With sandwich
     * norms, {@code headSums} holds each lower layer's sum of head results ([1, 1, B*s*d]; empty otherwise).
     */
    public record Prefix(int layer, int[][] tokens, NDArray residual, NDArray differences, int sources,
            NDArray[] headSums) {
    }

    private NDArray checkedCoefficients(NDManager run, int[][] tokens, SourceOutputs patched, NDArray coefficients) {
        NDArray coef = coefficients;
        if (coefficients.getShape().dimension() == 2) {
            coef = coefficients.expandDims(0);
            coef.attach(run); // else it would live as long as the caller's coefficients, one more each pass
        }
        Shape cs = coef.getShape();
        boolean byPosition = cs.dimension() == 4;
        if (graph.isByPosition() && graph.positions() != tokens[0].length) {
            throw new IllegalArgumentException("the position-aware graph has " + graph.positions() + " positions but the "
                    + "prompts have " + tokens[0].length + " tokens");
        }
        if ((cs.dimension() != 3 && !byPosition) || cs.get(1) != graph.nSources() || cs.get(2) != graph.nDestinations()
                || (byPosition && cs.get(3) != tokens[0].length)) {
            throw new IllegalArgumentException("coefficients must be [M, " + graph.nSources() + ", "
                    + graph.nDestinations() + "] or, by position, [M, " + graph.nSources() + ", " + graph.nDestinations()
                    + ", " + tokens[0].length + "], got " + cs);
        }
        if (patched.batch() != tokens.length || patched.seq() != tokens[0].length) {
            throw new IllegalArgumentException("patched outputs are for " + patched.batch() + " x " + patched.seq()
                    + " tokens but the prompts are " + tokens.length + " x " + tokens[0].length);
        }
        return coef;
    }

    /**
     * Bookkeeping of one patched pass: the current outputs recorded so far. The differences are kept
     * stacked and grown once per layer; the q, k and v deltas of a layer come from one product. Without
     * gradients, tensors no longer needed are freed at once, so a pass's memory stays near one layer's.
     * The first {@code sharedCount} differences may come from a {@link Prefix}, the same for every mask.
     */
    private final class PassState {
        private final NDManager run;
        private final NDArray patchWeight; // 1 - c, [M, nSrc, nDest(, positions)]
        private final NDArray keepWeight; // c, with exactZero only
        private NDArray negatedKeep; // -c, with exactZero and sandwich norms, made when first needed
        private final boolean exactZero; // zero ablation without gradients: destinations sum their kept edges
        // with exactZero: per count of attention layers upstream, what their output biases add to the stream, [d]
        // (null where there are none), made once per pass
        private final NDArray[] upstreamBiases;
        private final boolean[] upstreamBiasSummed;
        private final SourceOutputs patched;
        private final int masks;
        private final int batch;
        private final boolean keepForBackward;
        private final NDArray shared; // [1, sharedCount, B*s*d] from a prefix, or null
        private final int sharedCount;
        private final List<NDArray> pending = new ArrayList<>(); // recorded, not yet stacked, each [M, 1, B*s*d]
        private NDArray stacked; // [M, n, B*s*d]
        private NDArray buffer; // [M, nSources - sharedCount, B*s*d], filled in place when no backward pass will follow
        private int recorded;
        private NDArray headDeltas; // [M, 3H, B*s*d] of the current layer
        private int headDeltasLayer = -1;
        // For sandwich norms: the rules the norms are recomputed under; the sources that join the stream
        // linearly (the embedding and the MLPs; heads go through their layer's norm); per layer, this pass's
        // sum of head results [M or 1, 1, B*s*d] (no layers otherwise). Without gradients the norms' effect
        // comes from the mixer's per-row statistics; with gradients each norm is recomputed per destination
        // group on its head mix, from each layer's unpatched normalised head sum (null otherwise).
        private final GradientRules rules;
        private final int[] linearSources;
        private final NDArray[] headSums;
        private final SandwichNormMixer mixer;
        private final NDArray[] normalisedHeadSums;

        PassState(NDManager run, NDArray coefficients, SourceOutputs patched, int masks, int batch,
                boolean keepForBackward, GradientRules rules, Prefix prefix) {
            if (keepForBackward && prefix != null && prefix.sources() > 0) {
                throw new IllegalArgumentException("gradients do not flow through a prefix");
            }
            this.run = run;
            NDArray ones = coefficients.onesLike();
            ones.attach(run); // results belong to their first operand's manager: this pass's
            this.patchWeight = ones.sub(coefficients);
            this.exactZero = patched.allZero() && !keepForBackward;
            if (exactZero) {
                // a view owned by this pass, for the same reason: the caller's coefficients may outlive it
                NDArray view = coefficients.reshape(coefficients.getShape());
                view.attach(run);
                this.keepWeight = view;
            } else {
                this.keepWeight = null;
            }
            this.upstreamBiases = new NDArray[model.config().nLayers() + 1];
            this.upstreamBiasSummed = new boolean[model.config().nLayers() + 1];
            this.patched = patched;
            this.masks = masks;
            this.batch = batch;
            this.keepForBackward = keepForBackward;
            this.shared = prefix == null ? null : prefix.differences();
            this.sharedCount = prefix == null ? 0 : prefix.sources();
            this.recorded = sharedCount;
            this.rules = rules;
            int layers = model.config().nLayers();
            if (model.config().sandwichNorms()) {
                this.linearSources = new int[layers + 1];
                for (int l = 0; l < layers; l++) {
                    linearSources[l + 1] = graph.mlpSource(l); // source 0 is the embedding
                }
                this.headSums = new NDArray[layers];
                this.mixer = keepForBackward ? null : new SandwichNormMixer(run, model, masks, batch);
                this.normalisedHeadSums = keepForBackward ? new NDArray[layers] : null;
                for (int l = 0; prefix != null && l < prefix.headSums().length; l++) {
                    // a view owned by this pass: results of operations belong to their first operand's
                    // manager, and the prefix's manager lives for many passes
                    NDArray view = prefix.headSums()[l].reshape(prefix.headSums()[l].getShape());
                    view.attach(run);
                    headSums[l] = view;
                }
            } else {
                this.linearSources = null;
                this.headSums = new NDArray[0];
                this.mixer = null;
                this.normalisedHeadSums = null;
            }
        }

        /** Patching hooks for layers below {@code layersBelow}, and for the logits' input when asked. */
        Hooks hooks(List<Intervention> before, int layersBelow, boolean withLogits) {
            ModelConfig c = model.config();
            Hooks.Builder b = Hooks.builder().addAll(before);
            b.add(observe(HookName.of(HookSite.RESID_PRE, 0), x -> record(x)));
            for (int l = 0; l < Math.min(layersBelow, c.nLayers()); l++) {
                final int layer = l;
                for (Port port : new Port[] {Port.Q, Port.K, Port.V}) {
                    HookSite site = port == Port.Q ? HookSite.Q_INPUT : port == Port.K ? HookSite.K_INPUT : HookSite.V_INPUT;
                    b.add(Intervention.applyReadOnly(HookName.of(site, l), Selection.all(), "edge patch " + port,
                            x -> patchHeads(x, layer, port)));
                }
                b.add(observe(HookName.of(HookSite.RESULT, l), x -> {
                    for (int h = 0; h < c.nHeads(); h++) {
                        record(x.get(new NDIndex(":, :, {}, :", h)));
                    }
                    if (headSums.length > 0) {
                        recordHeadSum(layer, x);
                    }
                }));
                b.add(Intervention.applyReadOnly(HookName.of(HookSite.MLP_IN, l), Selection.all(), "edge patch mlp",
                        x -> patchSingle(x, graph.mlpDestination(layer))));
                b.add(observe(HookName.of(HookSite.MLP_OUT, l), this::record));
            }
            if (withLogits) {
                b.add(Intervention.applyReadOnly(HookName.of(HookSite.RESID_POST, c.nLayers() - 1), Selection.all(),
                        "edge patch logits", x -> patchSingle(x, graph.logitsDestination())));
            }
            return b.build();
        }

        private Intervention observe(HookName name, Consumer<NDArray> sink) {
            return Intervention.applyReadOnly(name, Selection.all(), "record " + name, x -> {
                sink.accept(x);
                return x;
            });
        }

        /** Records the current output of the next source, [M*B, s, d]. */
        private void record(NDArray current) {
            Shape shape = current.getShape();
            long width = batch * shape.get(1) * shape.get(2);
            NDArray mine = current.reshape(masks, 1, width);
            NDArray source = patched.source(recorded);
            source.attach(run); // a view into outputs that outlive this pass: free the handle with the pass
            NDArray theirs = source.reshape(1, 1, width);
            NDArray difference = mine.sub(theirs);
            if (keepForBackward) {
                pending.add(difference);
            } else {
                // In-place writes would break autograd's saved tensors, so they are used only without gradients:
                // they avoid re-copying all earlier differences at every layer.
                if (buffer == null) {
                    buffer = run.zeros(new Shape(masks, graph.nSources() - sharedCount, width));
                }
                int own = recorded - sharedCount;
                buffer.set(new NDIndex(":, {}:{}", own, own + 1), difference);
                difference.close();
                theirs.close();
            }
            recorded++;
        }

        /** Keeps layer {@code layer}'s sum of head results [M*B, s, H, d] as [M, 1, B*s*d], beyond the layer's end. */
        private void recordHeadSum(int layer, NDArray results) {
            Shape shape = results.getShape();
            NDArray sum = results.sum(new int[] {2}).reshape(masks, 1, batch * shape.get(1) * shape.get(3));
            if (!keepForBackward) {
                sum.attach(run); // the layer's own manager may free everything else when the layer ends
            }
            headSums[layer] = sum;
        }

        /** This pass's own differences for sources sharedCount..upstream-1, [M, upstream - sharedCount, B*s*d]. */
        private NDArray ownDifferences(int upstream) {
            int own = upstream - sharedCount;
            if (buffer != null) {
                return buffer.get(new NDIndex(":, 0:{}", own));
            }
            if (stacked == null || stacked.getShape().get(1) < own) {
                List<NDArray> parts = new ArrayList<>();
                if (stacked != null) {
                    parts.add(stacked);
                }
                parts.addAll(pending);
                NDArray grown = parts.size() == 1 ? parts.get(0) : NDArrays.concat(new NDList(parts), 1);
                if (!keepForBackward) {
                    for (NDArray p : parts) {
                        if (p != grown) {
                            p.close();
                        }
                    }
                }
                pending.clear();
                stacked = grown;
            }
            long have = stacked.getShape().get(1);
            return have == own ? stacked : stacked.get(new NDIndex(":, 0:{}", own));
        }

        /**
         * What patching takes away from the current stream for destinations first..first+count-1, [M, count, B*s*d]:
         * sum_s w[m, s, d] * diff_s over the first {@code upstream} sources, with sandwich norms the heads'
         * terms through each layer's norm instead.
         */
        private NDArray delta(int upstream, int firstDest, int count) {
            NDArray out = linearDelta(upstream, firstDest, count);
            // the layers whose heads are all upstream go through their norms (none without sandwich norms)
            int layers = Math.min(headSums.length, layersUpstream(upstream));
            if (layers == 0) {
                return out;
            }
            if (mixer != null) {
                NDArray correction = mixer.correction(layers, count, l -> mixerWeights(l, firstDest, count));
                if (correction == null) {
                    return out;
                }
                NDArray sum = out.add(correction);
                out.close();
                correction.close();
                return sum;
            }
            for (int l = 0; l < layers; l++) {
                out = out.add(normCorrection(l, firstDest, count)); // with gradients: autograd keeps every step
            }
            return out;
        }

        /**
         * Layer {@code layer}'s head patch weights into these destinations for the mixer, [M, H, count(, s)],
         * with the layer's norm inputs prepared; null where they are all 0.
         */
        private NDArray mixerWeights(int layer, int firstDest, int count) {
            return mixerWeights(patchWeight, layer, firstDest, count);
        }

        /** As above for any weights on the heads' differences (the kept sums pass -c on a zero head sum). */
        private NDArray mixerWeights(NDArray weight, int layer, int firstDest, int count) {
            int first = graph.headSource(layer, 0);
            int last = first + model.config().nHeads();
            if (isZero(weight, first, last, firstDest, count)) {
                return null;
            }
            if (!mixer.isPrepared(layer)) {
                NDArray diffs = differences(first, last);
                // exact zero ablation sums the kept heads from nothing: a_l in the mixer is then 0, not the head sum
                NDArray headSum = exactZero ? headSums[layer].zerosLike() : headSums[layer];
                mixer.prepare(layer, headSum, diffs);
                diffs.close();
                if (headSum != headSums[layer]) {
                    headSum.close();
                }
            }
            return weights(weight, first, last, firstDest, count);
        }

        /** Patch weights from sources from..to-1 into destinations first..first+count-1, [M, n, count(, s)]. */
        private NDArray patchWeights(int from, int to, int firstDest, int count) {
            return weights(patchWeight, from, to, firstDest, count);
        }

        /** {@code weight}'s entries from sources from..to-1 into destinations first..first+count-1. */
        private NDArray weights(NDArray weight, int from, int to, int firstDest, int count) {
            return weight.get(weight.getShape().dimension() == 4
                    ? new NDIndex(":, {}:{}, {}:{}, :", from, to, firstDest, firstDest + count)
                    : new NDIndex(":, {}:{}, {}:{}", from, to, firstDest, firstDest + count));
        }

        /**
         * N_l(A_l) - N_l(A_l - sum_h w[m, h, d] * diff_h) for layer l's heads h, the norm recomputed on the head
         * mix (passes with gradients; the others use the mixer).
         */
        private NDArray normCorrection(int layer, int firstDest, int count) {
            int first = graph.headSource(layer, 0);
            NDArray moved = mix(patchWeight, differences(first, first + model.config().nHeads()), first,
                    first + model.config().nHeads(), firstDest, count);
            if (normalisedHeadSums[layer] == null) {
                normalisedHeadSums[layer] = normalised(layer, headSums[layer], 1);
            }
            return normalisedHeadSums[layer].sub(normalised(layer, headSums[layer].sub(moved), count));
        }

        /** Layer {@code layer}'s attention output for head sums [M', count, B*s*d], in the same layout. */
        private NDArray normalised(int layer, NDArray headSum, int count) {
            long leading = headSum.getShape().get(0);
            long width = headSum.getShape().get(2);
            long dModel = model.config().dModel();
            NDArray split = headSum.reshape(leading, count, width / dModel, dModel);
            return model.attentionOutput(run, layer, split, rules).reshape(leading, count, width);
        }

        /** Whether every patch weight from sources from..to-1 into these destinations is 0 (they are all kept). */
        private boolean isZero(int from, int to, int firstDest, int count) {
            return isZero(patchWeight, from, to, firstDest, count);
        }

        /** Whether every entry of {@code weight} from sources from..to-1 into these destinations is 0. */
        private boolean isZero(NDArray weight, int from, int to, int firstDest, int count) {
            try (NDManager check = run.newSubManager()) {
                NDArray weights = weights(weight, from, to, firstDest, count);
                weights.attach(check);
                return weights.abs().max().getFloat() == 0f;
            }
        }

        /** The recorded differences of sources from..to-1, which lie wholly in the prefix or wholly in this pass. */
        private NDArray differences(int from, int to) {
            if (to <= sharedCount) {
                NDArray diffs = shared.get(new NDIndex(":, {}:{}", from, to));
                diffs.attach(run); // so that everything computed from it belongs to this pass
                return diffs;
            }
            if (from < sharedCount) {
                throw new IllegalStateException("sources " + from + ".." + (to - 1) + " straddle the prefix's end");
            }
            NDArray own = ownDifferences(to);
            NDArray diffs = own.get(new NDIndex(":, {}:{}", from - sharedCount, to - sharedCount));
            if (!keepForBackward && own != stacked && own != buffer) {
                own.close();
            }
            return diffs;
        }

        /** sum_s w[m, s, d] * diff_s over the first {@code upstream} sources (heads excluded with sandwich norms). */
        private NDArray linearDelta(int upstream, int firstDest, int count) {
            return linearMix(patchWeight, upstream, firstDest, count);
        }

        /** sum_s weight[m, s, d] * diff_s over the first {@code upstream} sources (heads excluded with sandwich norms). */
        private NDArray linearMix(NDArray weight, int upstream, int firstDest, int count) {
            if (linearSources != null) {
                return gatheredDelta(weight, linearSources, upstream, firstDest, count);
            }
            NDArray out = null;
            int fromPrefix = Math.min(sharedCount, upstream);
            if (fromPrefix > 0) {
                NDArray diffs = shared.get(new NDIndex(":, 0:{}", fromPrefix));
                diffs.attach(run); // so that everything computed from it belongs to this pass
                out = mix(weight, diffs, 0, fromPrefix, firstDest, count);
                diffs.close();
            }
            if (upstream > fromPrefix) {
                NDArray diffs = ownDifferences(upstream);
                NDArray part = mix(weight, diffs, fromPrefix, upstream, firstDest, count);
                if (!keepForBackward && diffs != stacked) {
                    diffs.close();
                }
                if (out == null) {
                    out = part;
                } else {
                    NDArray sum = out.add(part);
                    if (!keepForBackward) { // else both would hold their buffers until the pass ends
                        out.close();
                        part.close();
                    }
                    out = sum;
                }
            }
            return out;
        }

        /**
         * sum_s w[m, s, d] * diff_s over the given sources below {@code upstream} (ascending; the first, the
         * embedding, is upstream of everything): those few gathered, not the whole range mixed with zero weights.
         */
        private NDArray gatheredDelta(NDArray weight, int[] sources, int upstream, int firstDest, int count) {
            int below = 0;
            while (below < sources.length && sources[below] < upstream) {
                below++;
            }
            int fromPrefix = 0;
            while (fromPrefix < below && sources[fromPrefix] < sharedCount) {
                fromPrefix++;
            }
            NDArray out = fromPrefix == 0 ? null
                    : gatheredMix(weight, Arrays.copyOfRange(sources, 0, fromPrefix), shared, 0, firstDest, count);
            if (below > fromPrefix) {
                NDArray own = ownDifferences(upstream);
                NDArray part = gatheredMix(weight, Arrays.copyOfRange(sources, fromPrefix, below), own, sharedCount,
                        firstDest, count);
                if (!keepForBackward && own != stacked) {
                    own.close();
                }
                if (out == null) {
                    out = part;
                } else {
                    NDArray sum = out.add(part);
                    if (!keepForBackward) {
                        out.close();
                        part.close();
                    }
                    out = sum;
                }
            }
            return out;
        }

        /** {@link #mix} over {@code sources}, whose differences are rows s - offset of {@code diffs}. */
        private NDArray gatheredMix(NDArray weight, int[] sources, NDArray diffs, int offset, int firstDest, int count) {
            NDList weights = new NDList();
            NDList rows = new NDList();
            for (int s : sources) {
                weights.add(weights(weight, s, s + 1, firstDest, count));
                NDArray row = diffs.get(new NDIndex(":, {}:{}", s - offset, s - offset + 1));
                row.attach(run); // a view into the prefix's differences, too: freed with this pass
                rows.add(row);
            }
            NDArray w = joined(weights);
            NDArray d = joined(rows);
            NDArray out = mix(w, d, 0, sources.length, 0, count);
            if (!keepForBackward) {
                weights.close();
                rows.close();
                w.close();
                d.close();
            }
            return out;
        }

        /** The arrays concatenated along axis 1; DJL's concat of a single array copies it without its gradient. */
        private NDArray joined(NDList parts) {
            return parts.size() == 1 ? parts.head().reshape(parts.head().getShape()) : NDArrays.concat(parts, 1);
        }

        /**
         * sum over sources from..to-1 of w[m, s, d] * diffs[s - from] for destinations first..first+count-1.
         * {@code diffs} is [M or 1, to - from, B*s*d] (1: shared by every mask); returns [M, count, B*s*d].
         */
        private NDArray mix(NDArray weight, NDArray diffs, int from, int to, int firstDest, int count) {
            if (weight.getShape().dimension() == 4) {
                return mixByPosition(weight, diffs, from, to, firstDest, count);
            }
            NDArray weights = weight.get(new NDIndex(":, {}:{}, {}:{}", from, to, firstDest, firstDest + count));
            NDArray transposed = weights.transpose(0, 2, 1);
            NDArray out = transposed.matMul(diffs);
            if (!keepForBackward) {
                weights.close();
                transposed.close();
            }
            return out;
        }

        /** Position-aware edges: weights [M, n, count, s] mix each position's differences on their own. */
        private NDArray mixByPosition(NDArray weight, NDArray diffs, int from, int to, int firstDest, int count) {
            Shape ws = weight.getShape();
            long seq = ws.get(3);
            long leading = diffs.getShape().get(0);
            long width = diffs.getShape().get(2);
            long dModel = width / batch / seq;
            int n = to - from;
            // diffs [M', n, B*s*d] -> [M', s, n, B*d]
            NDArray split = diffs.reshape(leading, n, batch, seq, dModel);
            NDArray moved = split.transpose(0, 3, 1, 2, 4);
            NDArray perPosition = moved.reshape(leading, seq, n, batch * dModel);
            // weights [M, n, count, s] -> [M, s, count, n]
            NDArray slice = weight.get(new NDIndex(":, {}:{}, {}:{}, :", from, to, firstDest, firstDest + count));
            NDArray weights = slice.transpose(0, 3, 2, 1);
            // [M, s, count, B*d] -> [M, count, B, s, d] -> [M, count, B*s*d]
            NDArray mixed = weights.matMul(perPosition);
            NDArray unsplit = mixed.reshape(masks, seq, count, batch, dModel);
            NDArray back = unsplit.transpose(0, 2, 3, 1, 4);
            NDArray out = back.reshape(masks, count, width);
            if (!keepForBackward) {
                // each of these holds a copy or a view that would keep the differences alive until the pass ends
                for (NDArray step : new NDArray[] {split, moved, perPosition, slice, weights, mixed, unsplit, back}) {
                    step.close();
                }
            }
            return out;
        }

        private NDArray patchHeads(NDArray perHead, int layer, Port port) {
            int heads = model.config().nHeads();
            if (headDeltasLayer != layer) {
                // q, k and v destinations of a layer are contiguous and read the same sources
                int first = graph.headDestination(layer, Port.Q, 0);
                if (headDeltas != null && !keepForBackward) {
                    headDeltas.close();
                }
                int upstream = graph.upstreamCount(first);
                headDeltas = exactZero ? keptInputs(upstream, first, 3 * heads) : delta(upstream, first, 3 * heads);
                headDeltasLayer = layer;
            }
            if (headDeltas == null) {
                return perHead; // exact zero ablation, every edge into the layer's heads kept
            }
            Shape s = perHead.getShape(); // [M*B, s, H, d]
            int offset = port.ordinal() * heads;
            NDArray slice = headDeltas.get(new NDIndex(":, {}:{}", offset, offset + heads));
            slice.attach(perHead.getManager()); // its reshaped copies belong to the layer, freed with it
            NDArray d = slice.reshape(masks, heads, batch, s.get(1), s.get(3)).transpose(0, 2, 3, 1, 4).reshape(s);
            return exactZero ? d : perHead.sub(d);
        }

        private NDArray patchSingle(NDArray resid, int destination) {
            int upstream = graph.upstreamCount(destination);
            Shape s = resid.getShape();
            if (exactZero) {
                NDArray kept = keptInputs(upstream, destination, 1);
                if (kept == null) {
                    return resid;
                }
                kept.attach(resid.getManager());
                return kept.reshape(s);
            }
            NDArray delta = delta(upstream, destination, 1);
            delta.attach(resid.getManager());
            return resid.sub(delta.reshape(s));
        }

        /**
         * Zero ablation: the inputs of destinations first..first+count-1, [M, count, B*s*d], as the sum of what
         * their kept edges carry, c[s, d] * out_s, plus the output biases of the attention layers upstream
         * (inside their norm with sandwich norms); null when every edge into them is kept. The recorded
         * differences are the outputs themselves, as the patched outputs are zero.
         */
        private NDArray keptInputs(int upstream, int firstDest, int count) {
            if (isZero(0, upstream, firstDest, count)) {
                return null;
            }
            ModelConfig c = model.config();
            NDArray out = linearMix(keepWeight, upstream, firstDest, count);
            int layers = layersUpstream(upstream);
            if (mixer != null) {
                if (negatedKeep == null) {
                    negatedKeep = keepWeight.neg(); // once a pass: every destination group reads it
                }
                NDArray kept = mixer.correction(layers, count, l -> mixerWeights(negatedKeep, l, firstDest, count));
                if (kept != null) { // N_l(b_l) - N_l(b_l + sum_h c_h out_h), summed over the layers
                    NDArray sum = out.sub(kept);
                    out.close();
                    kept.close();
                    out = sum;
                }
            }
            NDArray constant = upstreamBias(layers); // [d]: what joins the stream whatever is cut
            if (constant == null) {
                return out;
            }
            long width = out.getShape().get(2);
            // the view and the sum are closed here: each would hold its buffer (every mask's inputs of this
            // destination group) until the pass ends, one more per layer
            NDArray split = out.reshape(masks, count, width / c.dModel(), c.dModel());
            NDArray added = split.add(constant);
            NDArray withBias = added.reshape(masks, count, width);
            split.close();
            added.close();
            out.close();
            return withBias;
        }

        /** How many attention layers, from layer 0, have all their heads among the first {@code upstream} sources. */
        private int layersUpstream(int upstream) {
            int heads = model.config().nHeads();
            int layers = 0;
            while (layers < model.config().nLayers() && graph.headSource(layers, 0) + heads <= upstream) {
                layers++;
            }
            return layers;
        }

        /**
         * What the output biases of attention layers 0..layers-1 add to the stream whatever is cut, [d], owned by
         * this pass (made once per pass); null where there are none. With sandwich norms layer l adds N_l(b_l).
         */
        private NDArray upstreamBias(int layers) {
            if (layers == 0) {
                return null;
            }
            if (!upstreamBiasSummed[layers]) {
                NDArray below = upstreamBias(layers - 1);
                NDArray own;
                if (mixer != null) {
                    own = normalisedBias(layers - 1);
                } else {
                    NDArray bias = model.weights().layer(layers - 1).bO();
                    // a copy owned by this pass: results belong to their first operand's manager, the model's here
                    own = bias == null ? null : copyOwnedBy(run, bias);
                }
                upstreamBiases[layers] = below == null ? own : own == null ? below : below.add(own);
                upstreamBiasSummed[layers] = true;
            }
            return upstreamBiases[layers];
        }

        /** N_l(b_l), what sandwich-normed layer l adds to the stream when every head is cut, [d]. */
        private NDArray normalisedBias(int layer) {
            long d = model.config().dModel();
            NDArray none = run.zeros(new Shape(1, 1, 1, d), model.weights().wE().getDataType());
            return model.attentionOutput(run, layer, none, GradientRules.EXACT).reshape(d);
        }
    }
}

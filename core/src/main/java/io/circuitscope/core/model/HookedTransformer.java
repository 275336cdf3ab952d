package io.circuitscope.core.model;

import io.circuitscope.core.Scalars;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.circuitscope.core.hook.HookName;
import io.circuitscope.core.hook.HookSite;
import io.circuitscope.core.hook.Hooks;
import java.util.Objects;

/**
 * A decoder-only transformer computed from NDArray operations, with a hook at every activation
 * of {@link HookSite}. One implementation serves every family; {@link ModelConfig} says how they differ.
 *
 * <p>Memory: every tensor a forward call creates is owned by the {@code run} manager the caller
 * passes in; close it (try-with-resources) to free the pass. Weights are owned by {@link ModelWeights}.
 */
public final class HookedTransformer implements AutoCloseable {
    /** Added to the logits of masked keys; finite so that patched score tensors never produce inf - inf. */
    static final float MASKED_SCORE = -1e30f;

    private final ModelConfig config;
    private final ModelWeights weights;
    /** Parent of every run manager, beside the weights': closing the model frees a run left open. */
    private final NDManager runs;

    public HookedTransformer(ModelConfig config, ModelWeights weights) {
        this.config = Objects.requireNonNull(config, "config");
        this.weights = Objects.requireNonNull(weights, "weights");
        if (weights.layers().size() != config.nLayers()) {
            throw new IllegalArgumentException("config has " + config.nLayers() + " layers but weights have "
                    + weights.layers().size());
        }
        this.runs = weights.manager().getParentManager().newSubManager();
    }

    public ModelConfig config() {
        return config;
    }

    public ModelWeights weights() {
        return weights;
    }

    /**
     * A manager for one or more forward passes; every tensor they create is freed when it closes, or at the
     * latest when the model closes.
     */
    public NDManager newRunManager() {
        return runs.newSubManager();
    }

    /** Logits [batch, seq, vocab] of an unhooked forward pass. */
    public NDArray forward(NDManager run, int[][] tokens) {
        return forward(run, tokens, Hooks.none());
    }

    /** Logits [batch, seq, vocab] with the given interventions applied and activations cached. */
    public NDArray forward(NDManager run, int[][] tokens, Hooks hooks) {
        return forward(run, tokens, hooks, GradientRules.EXACT);
    }

    /** As {@link #forward(NDManager, int[][], Hooks)}, with a modified backward pass (same values). */
    public NDArray forward(NDManager run, int[][] tokens, Hooks hooks, GradientRules rules) {
        return forward(run, tokens, hooks, rules, null);
    }

    /**
     * As {@link #forward(NDManager, int[][], Hooks, GradientRules)}, with logits [batch, k, vocab] only at the
     * k given positions (ascending; null means every position). The unembedding of every position is the
     * largest single cost of a pass for large vocabularies; metrics read a few positions. The positions are
     * picked before the final norm, so {@code ln_final.hook_normalized} and {@code hook_logits} fire with
     * shape [batch, k, .] too, and a selection's positions there index the k kept ones.
     */
    public NDArray forward(NDManager run, int[][] tokens, Hooks hooks, GradientRules rules, int[] logitPositions) {
        return forward(run, tokens, hooks, rules, logitPositions, false);
    }

    /**
     * As {@link #forward(NDManager, int[][], Hooks, GradientRules, int[])}; with {@code freeEachLayer} every
     * layer's intermediate tensors are freed when the layer is done (only its output residual stream
     * stays), so a pass needs about one layer's memory instead of all of them. Only for passes that no
     * backward pass follows, and whose hooks copy what they keep.
     */
    public NDArray forward(NDManager run, int[][] tokens, Hooks hooks, GradientRules rules, int[] logitPositions,
            boolean freeEachLayer) {
        validate(tokens);
        requireReachable(hooks);
        int batch = tokens.length;
        int seq = tokens[0].length;
        NDArray resid = embed(run, tokens, batch, seq, hooks);
        resid = blocks(run, 0, config.nLayers(), resid, hooks, rules, freeEachLayer);
        return unembed(run, atPositions(run, resid, logitPositions), hooks, rules);
    }

    /** Layers {@code from..to-1} on {@code resid}; see {@link #forward(NDManager, int[][], Hooks, GradientRules, int[], boolean)}. */
    private NDArray blocks(NDManager run, int from, int to, NDArray resid, Hooks hooks, GradientRules rules,
            boolean freeEachLayer) {
        for (int layer = from; layer < to; layer++) {
            if (!freeEachLayer) {
                resid = block(run, layer, resid, hooks, rules);
                continue;
            }
            try (NDManager layerRun = run.newSubManager()) {
                // results of operations belong to their first operand's manager: lend the input to this
                // layer's manager so that every intermediate is freed with it (the input returns after)
                resid.tempAttach(layerRun);
                NDArray out = block(layerRun, layer, resid, hooks, rules);
                out.attach(run);
                resid = out;
            }
        }
        return resid;
    }

    private static NDArray atPositions(NDManager run, NDArray resid, int[] positions) {
        if (positions == null) {
            return resid;
        }
        long seq = resid.getShape().get(1);
        for (int p : positions) {
            if (p < 0 || p >= seq) {
                throw new IllegalArgumentException("logit position " + p + " is outside [0, " + seq + ")");
            }
        }
        if (positions.length == seq) {
            return resid;
        }
        return resid.get(new NDIndex(":, {}, :", run.create(java.util.Arrays.stream(positions).asLongStream().toArray())));
    }

    /**
     * Logits [batch, seq, vocab] of the layers from {@code startLayer} on, given that layer's residual stream
     * {@code residPre} [batch, seq, d_model] (for example taken from a cache of an earlier run). Hooks of
     * earlier layers never fire; {@code startLayer == nLayers} only applies the final norm and unembedding.
     * Used by patching sweeps to recompute only from the patched layer onward.
     */
    public NDArray forwardFrom(NDManager run, int startLayer, NDArray residPre, Hooks hooks) {
        return forwardFrom(run, startLayer, residPre, hooks, null);
    }

    /**
     * As {@link #forwardFrom(NDManager, int, NDArray, Hooks)}, with logits only at {@code logitPositions} (null: all);
     * the final norm and logits hooks then fire with [batch, k, .], as in {@link #forward(NDManager, int[][], Hooks,
     * GradientRules, int[])}.
     */
    public NDArray forwardFrom(NDManager run, int startLayer, NDArray residPre, Hooks hooks, int[] logitPositions) {
        return forwardFrom(run, startLayer, residPre, hooks, logitPositions, false);
    }

    /** As above; {@code freeEachLayer} as in {@link #forward(NDManager, int[][], Hooks, GradientRules, int[], boolean)}. */
    public NDArray forwardFrom(NDManager run, int startLayer, NDArray residPre, Hooks hooks, int[] logitPositions,
            boolean freeEachLayer) {
        if (startLayer < 0 || startLayer > config.nLayers()) {
            throw new IllegalArgumentException("start layer " + startLayer + " is outside [0, " + config.nLayers() + "]");
        }
        Shape s = residPre.getShape();
        if (s.dimension() != 3 || s.get(2) != config.dModel()) {
            throw new IllegalArgumentException("resid_pre must be [batch, seq, " + config.dModel() + "], got " + s);
        }
        if (s.get(1) > config.contextLength()) {
            throw new IllegalArgumentException("sequence of " + s.get(1) + " positions is longer than the context window of "
                    + config.contextLength());
        }
        requireReachable(hooks);
        NDArray resid = blocks(run, startLayer, config.nLayers(), residPre, hooks, GradientRules.EXACT, freeEachLayer);
        return unembed(run, atPositions(run, resid, logitPositions), hooks, GradientRules.EXACT);
    }

    /**
     * The residual stream [batch, seq, d_model] entering layer {@code endLayer} (before its resid_pre
     * hook): the embedding and layers 0..endLayer-1 with {@code hooks}. With {@link #forwardFrom} it
     * splits one forward pass in two, so passes that differ only from some layer on can share the start.
     */
    public NDArray residualBefore(NDManager run, int[][] tokens, int endLayer, Hooks hooks) {
        return residualBefore(run, tokens, endLayer, hooks, false);
    }

    /** As above; {@code freeEachLayer} as in {@link #forward(NDManager, int[][], Hooks, GradientRules, int[], boolean)}. */
    public NDArray residualBefore(NDManager run, int[][] tokens, int endLayer, Hooks hooks, boolean freeEachLayer) {
        if (endLayer < 0 || endLayer > config.nLayers()) {
            throw new IllegalArgumentException("end layer " + endLayer + " is outside [0, " + config.nLayers() + "]");
        }
        validate(tokens);
        requireReachable(hooks);
        NDArray resid = embed(run, tokens, tokens.length, tokens[0].length, hooks);
        return blocks(run, 0, endLayer, resid, hooks, GradientRules.EXACT, freeEachLayer);
    }

    /** Refuses interventions and cache requests at hooks this model never reaches, which would do nothing. */
    private void requireReachable(Hooks hooks) {
        for (HookName name : hooks.named()) {
            String why = whyUnreachable(name);
            if (why != null) {
                throw new IllegalArgumentException("hook " + name + " is never reached: " + why);
            }
        }
    }

    /** Why the forward pass never reaches {@code name}, or null when it does (see {@link #block} and {@link #embed}). */
    private String whyUnreachable(HookName name) {
        if (name.site().perLayer() && name.layer() >= config.nLayers()) {
            return "this " + config.family() + " model has " + config.nLayers() + " layers, 0.." + (config.nLayers() - 1);
        }
        if (name.site() == HookSite.POS_EMBED && !config.learnedPositions()) {
            return "this " + config.family() + " model has no learned position embeddings"
                    + (config.rotary() != null ? " (positions enter as rotary embeddings of q and k)" : "");
        }
        if (name.site() == HookSite.RESID_MID && config.parallelAttnMlp()) {
            return "this " + config.family() + " model runs attention and MLP in parallel on the same input, so there"
                    + " is no residual stream between them; use hook_resid_pre or hook_mlp_in";
        }
        return null;
    }

    /** The final norm and unembedding (and soft-cap) applied to any residual stream [..., d_model]: the logit lens. */
    public NDArray logitsOfResidual(NDManager run, NDArray resid) {
        return unembed(run, resid, Hooks.none(), GradientRules.EXACT);
    }

    /** Checks the batch is rectangular, non-empty, inside the vocabulary and the context window. */
    public void validate(int[][] tokens) {
        if (tokens.length == 0 || tokens[0].length == 0) {
            throw new IllegalArgumentException("empty token batch");
        }
        int seq = tokens[0].length;
        if (seq > config.contextLength()) {
            throw new IllegalArgumentException("sequence of " + seq + " tokens is longer than the context window of "
                    + config.contextLength());
        }
        for (int b = 0; b < tokens.length; b++) {
            if (tokens[b].length != seq) {
                throw new IllegalArgumentException("batch row " + b + " has " + tokens[b].length
                        + " tokens but row 0 has " + seq + "; pad or align prompts first");
            }
            for (int p = 0; p < seq; p++) {
                int id = tokens[b][p];
                if (id < 0 || id >= config.vocabSize()) {
                    throw new IllegalArgumentException("token id " + id + " at row " + b + ", position " + p
                            + " is outside the vocabulary [0, " + config.vocabSize() + ")");
                }
            }
        }
    }

    private NDArray embed(NDManager run, int[][] tokens, int batch, int seq, Hooks hooks) {
        int[] flat = new int[batch * seq];
        for (int b = 0; b < batch; b++) {
            System.arraycopy(tokens[b], 0, flat, b * seq, seq);
        }
        NDArray ids = run.create(flat, new Shape(batch * seq));
        NDArray embedded = weights.wE().get(run, new NDIndex("{}", ids)).reshape(batch, seq, config.dModel());
        if (config.embeddingScale() != 1.0) {
            embedded = Scalars.mul(embedded, config.embeddingScale());
        }
        NDArray resid = hooks.at(HookName.of(HookSite.EMBED), embedded, run);
        if (config.learnedPositions()) {
            NDArray pos = weights.wPos().get(run, new NDIndex("0:{}", seq)).expandDims(0);
            HookName posName = HookName.of(HookSite.POS_EMBED);
            if (hooks.touches(posName)) {
                pos = hooks.at(posName, pos.broadcast(batch, seq, config.dModel()), run);
            }
            resid = resid.add(pos);
        }
        return resid;
    }

    private NDArray block(NDManager run, int layer, NDArray residIn, Hooks hooks, GradientRules rules) {
        LayerWeights w = weights.layer(layer);
        NDArray resid = hooks.at(HookName.of(HookSite.RESID_PRE, layer), residIn, run);
        NDArray attnOut = new AttentionLayer(config, w, layer, run, hooks, rules).forward(resid);
        if (config.parallelAttnMlp()) {
            NDArray mlpOut = mlp(run, layer, w, resid, hooks, rules);
            resid = resid.add(attnOut).add(mlpOut);
        } else {
            resid = hooks.at(HookName.of(HookSite.RESID_MID, layer), resid.add(attnOut), run);
            resid = resid.add(mlp(run, layer, w, resid, hooks, rules));
        }
        return hooks.at(HookName.of(HookSite.RESID_POST, layer), resid, run);
    }

    private NDArray mlp(NDManager run, int layer, LayerWeights w, NDArray residIn, Hooks hooks, GradientRules rules) {
        NDArray in = hooks.at(HookName.of(HookSite.MLP_IN, layer), residIn, run);
        NDArray normed = Norms.apply(config.normType(), config.normEps(), in, w.mlpNormWeight(), w.mlpNormBias(),
                rules.constantNormScale());
        NDArray post;
        if (config.gatedMlp()) {
            NDArray gate = Linear.apply(normed, w.wGate(), w.bGate());
            NDArray up = Linear.apply(normed, w.wIn(), w.bIn());
            gate = hooks.at(HookName.of(HookSite.MLP_PRE, layer), gate, run);
            NDArray activated = activate(gate, rules);
            post = rules.halfGates()
                    // Half-rule: same value, each factor receives half of the relevance
                    ? Scalars.mul(activated.mul(up.stopGradient()).add(activated.stopGradient().mul(up)), 0.5)
                    : activated.mul(up);
        } else {
            NDArray pre = hooks.at(HookName.of(HookSite.MLP_PRE, layer), Linear.apply(normed, w.wIn(), w.bIn()), run);
            post = activate(pre, rules);
        }
        post = hooks.at(HookName.of(HookSite.MLP_POST, layer), post, run);
        NDArray out = Linear.apply(post, w.wOut(), w.bOut());
        if (config.sandwichNorms()) {
            out = Norms.apply(config.normType(), config.normEps(), out, w.postMlpNormWeight(), null,
                    rules.constantNormScale());
        }
        return hooks.at(HookName.of(HookSite.MLP_OUT, layer), out, run);
    }

    private NDArray activate(NDArray x, GradientRules rules) {
        return rules.identityActivation() ? config.activation().applyIdentityRule(x) : config.activation().apply(x);
    }

    private NDArray unembed(NDManager run, NDArray resid, Hooks hooks, GradientRules rules) {
        NDArray normed = Norms.apply(config.normType(), config.normEps(), resid, weights.finalNormWeight(),
                weights.finalNormBias(), rules.constantNormScale());
        normed = hooks.at(HookName.of(HookSite.FINAL_NORM), normed, run);
        NDArray logits = Linear.apply(normed, weights.wU(), weights.bU());
        if (config.finalSoftcap() > 0) {
            float cap = (float) config.finalSoftcap();
            logits = Scalars.mul(Scalars.div(logits, cap).tanh(), cap);
        }
        return hooks.at(HookName.of(HookSite.LOGITS), logits, run);
    }

    /**
     * Layer {@code layer}'s attention softmax in pieces (queries, keys, pattern) for residual inputs, to
     * recompute a pattern exactly with only the queries or only the keys changed (AtP*'s QK fix).
     * Arrays it derives from the weights belong to {@code run}.
     */
    public AttentionScores attentionScores(NDManager run, int layer) {
        return new AttentionScores(new AttentionLayer(config, weights.layer(layer), layer, run, Hooks.none(),
                GradientRules.EXACT));
    }

    /**
     * What layer {@code layer}'s attention adds to the residual stream when its heads' results sum to
     * {@code headSum} [..., d_model]: the output bias added and, in models with sandwich norms (Gemma 2/3),
     * the post-attention norm applied under {@code rules}. That norm makes the heads' contributions
     * non-additive, so edge patching recomputes it for every destination.
     */
    public NDArray attentionOutput(NDManager run, int layer, NDArray headSum, GradientRules rules) {
        return new AttentionLayer(config, weights.layer(layer), layer, run, Hooks.none(), rules).output(headSum);
    }

    /**
     * What layer {@code layer}'s attention output loses when {@code removed} is taken out of its heads' result
     * sum {@code headSum} (both [..., d_model]): {@code removed} itself, except with sandwich norms, where it
     * is N(headSum) - N(headSum - removed) under exact gradients.
     */
    public NDArray attentionOutputLoss(NDManager run, int layer, NDArray headSum, NDArray removed) {
        if (!config.sandwichNorms()) {
            return removed;
        }
        return attentionOutput(run, layer, headSum, GradientRules.EXACT)
                .sub(attentionOutput(run, layer, headSum.sub(removed), GradientRules.EXACT));
    }

    /**
     * The derivative of {@link #attentionOutput} at {@code headSum} in the direction {@code change} (both
     * [..., d_model]): {@code change} itself unless the model has sandwich norms. Under {@code rules}' LN-rule
     * the norm's scale is held fixed, matching the modified backward pass.
     */
    public NDArray attentionOutputDerivative(NDManager run, int layer, NDArray headSum, NDArray change,
            GradientRules rules) {
        return new AttentionLayer(config, weights.layer(layer), layer, run, Hooks.none(), rules)
                .outputDerivative(headSum, change);
    }

    /** Convenience: the logits of one sequence as float[seq][vocab]. */
    public float[][] logits(int[] tokens) {
        try (NDManager run = newRunManager()) {
            NDArray logits = forward(run, new int[][] {tokens});
            float[] flat = logits.toType(DataType.FLOAT32, false).toFloatArray();
            int v = config.vocabSize();
            float[][] out = new float[tokens.length][v];
            for (int p = 0; p < tokens.length; p++) {
                System.arraycopy(flat, p * v, out[p], 0, v);
            }
            return out;
        }
    }

    @Override
    public void close() {
        runs.close();
        weights.close();
    }
}

package io.circuitscope.core.model;

import io.circuitscope.core.Scalars;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.circuitscope.core.hook.HookName;
import io.circuitscope.core.hook.HookSite;
import io.circuitscope.core.hook.Hooks;

/**
 * One attention sublayer for one forward call. Grouped key/value heads are expanded to one per
 * query head before their hooks, so every query head can be read and patched on its own.
 */
final class AttentionLayer {
    private final ModelConfig config;
    private final LayerWeights w;
    private final int layer;
    private final NDManager run;
    private final Hooks hooks;
    private final GradientRules rules;

    AttentionLayer(ModelConfig config, LayerWeights w, int layer, NDManager run, Hooks hooks, GradientRules rules) {
        this.rules = rules;
        this.config = config;
        this.w = w;
        this.layer = layer;
        this.run = run;
        this.hooks = hooks;
    }

    private HookName name(HookSite site) {
        return HookName.of(site, layer);
    }

    /** The attention sublayer's contribution to the residual stream, [b, s, d]. */
    NDArray forward(NDArray resid) {
        Shape shape = resid.getShape();
        long batch = shape.get(0);
        long seq = shape.get(1);
        int heads = config.nHeads();
        int dHead = config.dHead();

        NDArray q;
        NDArray k;
        NDArray v;
        if (hooks.touches(name(HookSite.Q_INPUT)) || hooks.touches(name(HookSite.K_INPUT))
                || hooks.touches(name(HookSite.V_INPUT))) {
            NDArray perHead = resid.expandDims(2).broadcast(batch, seq, heads, config.dModel());
            q = projectPerHead(hooks.at(name(HookSite.Q_INPUT), perHead, run), w.wQ(), w.bQ(), config.nHeads());
            k = projectPerHead(hooks.at(name(HookSite.K_INPUT), perHead, run), w.wK(), w.bK(), config.nKvHeads());
            v = projectPerHead(hooks.at(name(HookSite.V_INPUT), perHead, run), w.wV(), w.bV(), config.nKvHeads());
        } else {
            NDArray normed = norm(resid);
            q = Linear.apply(normed, w.wQ(), w.bQ()).reshape(batch, seq, heads, dHead);
            k = expandKv(Linear.apply(normed, w.wK(), w.bK()).reshape(batch, seq, config.nKvHeads(), dHead));
            v = expandKv(Linear.apply(normed, w.wV(), w.bV()).reshape(batch, seq, config.nKvHeads(), dHead));
        }
        q = hooks.at(name(HookSite.Q), q, run);
        k = hooks.at(name(HookSite.K), k, run);
        v = hooks.at(name(HookSite.V), v, run);
        NDArray scores = hooks.at(name(HookSite.ATTN_SCORES), scores(q, k, (int) seq), run);
        NDArray pattern = hooks.at(name(HookSite.PATTERN), scores.softmax(-1), run);
        NDArray mixing = rules.constantAttention() ? pattern.stopGradient() : pattern;
        NDArray z = mixing.matMul(v.transpose(0, 2, 1, 3)).transpose(0, 2, 1, 3);
        z = hooks.at(name(HookSite.Z), z, run);

        NDArray out;
        if (hooks.touches(name(HookSite.RESULT))) {
            // [b, s, h, e] -> [h, b*s, e] x [h, e, d] -> [b, s, h, d], one batched product as in projectPerHead
            NDArray wOPerHead = own(w.wO().reshape(heads, dHead, config.dModel()));
            NDArray result = z.transpose(2, 0, 1, 3).reshape(heads, batch * seq, dHead).matMul(wOPerHead)
                    .reshape(heads, batch, seq, config.dModel()).transpose(1, 2, 0, 3);
            result = hooks.at(name(HookSite.RESULT), result, run);
            out = output(result.sum(new int[] {2}));
        } else {
            out = Linear.apply(z.reshape(batch, seq, (long) heads * dHead), w.wO(), w.bO());
            if (config.sandwichNorms()) {
                out = postNorm(out);
            }
        }
        return hooks.at(name(HookSite.ATTN_OUT), out, run);
    }

    /**
     * What the sublayer adds to the residual stream for a given sum of its heads' results [..., d]: the
     * output bias added and, with sandwich norms, the post-attention norm applied.
     */
    NDArray output(NDArray headSum) {
        NDArray out = w.bO() == null ? headSum : headSum.add(w.bO());
        return config.sandwichNorms() ? postNorm(out) : out;
    }

    /** The derivative of {@link #output} at {@code headSum} in the direction {@code change}. */
    NDArray outputDerivative(NDArray headSum, NDArray change) {
        if (!config.sandwichNorms()) {
            return change;
        }
        NDArray in = w.bO() == null ? headSum : headSum.add(w.bO());
        return Norms.derivative(config.normType(), config.normEps(), in, change, w.postAttnNormWeight(),
                rules.constantNormScale());
    }

    private NDArray postNorm(NDArray x) {
        return Norms.apply(config.normType(), config.normEps(), x, w.postAttnNormWeight(), null,
                rules.constantNormScale());
    }

    /** Masked attention logits [b, h, s_q, s_k] from projected q and k [b, s, h, e] (q/k-norm and rotary applied here). */
    private NDArray scores(NDArray q, NDArray k, int seq) {
        if (config.qkNorm()) {
            q = Norms.apply(NormType.RMS_NORM, config.normEps(), q, w.qNormWeight(), null, rules.constantNormScale());
            k = Norms.apply(NormType.RMS_NORM, config.normEps(), k, w.kNormWeight(), null, rules.constantNormScale());
        }
        Rotary rotary = config.rotaryFor(layer);
        if (rotary != null) {
            RotaryEmbedding rope = new RotaryEmbedding(rotary, run, seq);
            q = rope.apply(q);
            k = rope.apply(k);
        }
        NDArray scores = Scalars.mul(q.transpose(0, 2, 1, 3).matMul(k.transpose(0, 2, 3, 1)), config.attnScale(layer));
        if (config.attnSoftcap() > 0) {
            float cap = (float) config.attnSoftcap();
            scores = Scalars.mul(Scalars.div(scores, cap).tanh(), cap);
        }
        return scores.add(causalMask(seq));
    }

    /** Queries [b, s, h, e] of residual inputs [b, s, d], normalised and projected as the forward pass does. */
    NDArray queries(NDArray resid) {
        Shape s = resid.getShape();
        return Linear.apply(norm(resid), w.wQ(), w.bQ()).reshape(s.get(0), s.get(1), config.nHeads(), config.dHead());
    }

    /** Keys [b, s, h, e] of residual inputs [b, s, d], expanded to one per query head. */
    NDArray keys(NDArray resid) {
        Shape s = resid.getShape();
        return expandKv(Linear.apply(norm(resid), w.wK(), w.bK()).reshape(s.get(0), s.get(1), config.nKvHeads(),
                config.dHead()));
    }

    /** The pattern [b, h, s_q, s_k] of projected queries and keys (q/k-norm, rotary, scale, cap and mask as the forward pass). */
    NDArray pattern(NDArray queries, NDArray keys) {
        return scores(queries, keys, (int) queries.getShape().get(1)).softmax(-1);
    }

    private NDArray norm(NDArray x) {
        return Norms.apply(config.normType(), config.normEps(), x, w.attnNormWeight(), w.attnNormBias(),
                rules.constantNormScale());
    }

    /**
     * Per-head projection of per-head inputs [b, s, h, d]; grouped weights are expanded per query head
     * (query head h reads key/value head h / group). One batched product over the heads, [h, b*s, d] x
     * [h, d, e]: multiplying [b, h, s, d] by the [h, d, e] weights would make PyTorch's matmul broadcast
     * and copy the weights once per row.
     */
    private NDArray projectPerHead(NDArray perHeadInput, NDArray weight, NDArray bias, int storedHeads) {
        int heads = config.nHeads();
        int dHead = config.dHead();
        int d = config.dModel();
        int group = heads / storedHeads;
        Shape s = perHeadInput.getShape();
        long rows = s.get(0) * s.get(1);
        // [d, stored*e] -> [d, heads, e] -> [heads, d, e]
        NDArray perHeadWeight = own(weight.reshape(d, storedHeads, 1, dHead))
                .broadcast(d, storedHeads, group, dHead).reshape(d, heads, dHead).transpose(1, 0, 2);
        NDArray normed = Norms.applyFused(config.normType(), config.normEps(), perHeadInput, w.attnNormWeight(),
                w.attnNormBias(), rules.constantNormScale());
        // [b, s, h, d] -> [h, b*s, d] -> [h, b*s, e] -> [b, s, h, e]
        NDArray byHead = normed.transpose(2, 0, 1, 3).reshape(heads, rows, d);
        NDArray projected = byHead.matMul(perHeadWeight).reshape(heads, s.get(0), s.get(1), dHead)
                .transpose(1, 2, 0, 3);
        if (bias != null) {
            NDArray perHeadBias = own(bias.reshape(storedHeads, 1, dHead)).broadcast(storedHeads, group, dHead)
                    .reshape(heads, dHead);
            projected = projected.add(perHeadBias);
        }
        return projected;
    }

    /** [b, s, kv, e] -> [b, s, h, e], query head h reading key/value head h / group. */
    private NDArray expandKv(NDArray x) {
        int group = config.queryHeadsPerKvHead();
        if (group == 1) {
            return x;
        }
        Shape s = x.getShape();
        return x.expandDims(3).broadcast(s.get(0), s.get(1), s.get(2), group, s.get(3))
                .reshape(s.get(0), s.get(1), (long) config.nHeads(), s.get(3));
    }

    private NDArray causalMask(int seq) {
        boolean sliding = config.isSlidingLayer(layer);
        int window = config.slidingWindow();
        float[] mask = new float[seq * seq];
        for (int i = 0; i < seq; i++) {
            for (int j = 0; j < seq; j++) {
                boolean visible = j <= i && (!sliding || i - j < window);
                mask[i * seq + j] = visible ? 0f : HookedTransformer.MASKED_SCORE;
            }
        }
        return run.create(mask, new Shape(1, 1, seq, seq));
    }

    /** Moves a tensor derived from a weight into this run, so the weights' manager never grows. */
    private NDArray own(NDArray derivedFromWeight) {
        derivedFromWeight.attach(run);
        return derivedFromWeight;
    }
}

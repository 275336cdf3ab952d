package io.circuitscope.core.hook;

/**
 * Every place in the forward pass whose activation can be read and replaced. Names follow
 * TransformerLens so that users can carry their habits over; axes are fixed per site.
 *
 * <p>Shapes: b = batch, s = position, h = query head (grouped key/value heads are expanded so that
 * every query head has its own k and v), d = d_model, e = d_head, m = d_mlp, v = vocab.
 */
public enum HookSite {
    EMBED("hook_embed", false, "[b,s,d]", 1, -1),
    POS_EMBED("hook_pos_embed", false, "[b,s,d]", 1, -1),
    RESID_PRE("blocks.%d.hook_resid_pre", true, "[b,s,d]", 1, -1),
    /** The residual stream copied per head before it enters the query projection (and its norm). */
    Q_INPUT("blocks.%d.hook_q_input", true, "[b,s,h,d]", 1, 2),
    K_INPUT("blocks.%d.hook_k_input", true, "[b,s,h,d]", 1, 2),
    V_INPUT("blocks.%d.hook_v_input", true, "[b,s,h,d]", 1, 2),
    /** Queries after projection and bias, before q-norm and rotary. */
    Q("blocks.%d.attn.hook_q", true, "[b,s,h,e]", 1, 2),
    K("blocks.%d.attn.hook_k", true, "[b,s,h,e]", 1, 2),
    V("blocks.%d.attn.hook_v", true, "[b,s,h,e]", 1, 2),
    /**
     * Scaled, soft-capped and masked attention logits; the position axis is the query position. Masked
     * entries (future keys, keys outside a sliding window) hold -1e30, not -inf, so that patched scores
     * never produce inf - inf.
     */
    ATTN_SCORES("blocks.%d.attn.hook_attn_scores", true, "[b,h,s_q,s_k]", 2, 1),
    PATTERN("blocks.%d.attn.hook_pattern", true, "[b,h,s_q,s_k]", 2, 1),
    /** Each head's mixed values, before the output projection. */
    Z("blocks.%d.attn.hook_z", true, "[b,s,h,e]", 1, 2),
    /**
     * Each head's z times that head's slice of W_O, before the output bias and, in Gemma 2/3, before the
     * post-attention norm: with the bias, the heads' results sum to attn_out only in models without
     * sandwich norms (there the norm acts on their sum, so no head has a term of its own).
     */
    RESULT("blocks.%d.attn.hook_result", true, "[b,s,h,d]", 1, 2),
    ATTN_OUT("blocks.%d.hook_attn_out", true, "[b,s,d]", 1, -1),
    RESID_MID("blocks.%d.hook_resid_mid", true, "[b,s,d]", 1, -1),
    /** The MLP's input before its normalisation. */
    MLP_IN("blocks.%d.hook_mlp_in", true, "[b,s,d]", 1, -1),
    /** MLP pre-activation (the gate projection in gated MLPs). */
    MLP_PRE("blocks.%d.mlp.hook_pre", true, "[b,s,m]", 1, -1),
    /** MLP hidden activation after the non-linearity (and gate product). */
    MLP_POST("blocks.%d.mlp.hook_post", true, "[b,s,m]", 1, -1),
    MLP_OUT("blocks.%d.hook_mlp_out", true, "[b,s,d]", 1, -1),
    RESID_POST("blocks.%d.hook_resid_post", true, "[b,s,d]", 1, -1),
    /** The final norm's output; with logit positions (see HookedTransformer.forward) only those k: [b,k,d]. */
    FINAL_NORM("ln_final.hook_normalized", false, "[b,s,d]", 1, -1),
    /** The logits (after any final soft cap); with logit positions only those k: [b,k,v]. */
    LOGITS("hook_logits", false, "[b,s,v]", 1, -1);

    private final String pattern;
    private final boolean perLayer;
    private final String shape;
    private final int positionAxis;
    private final int headAxis;

    HookSite(String pattern, boolean perLayer, String shape, int positionAxis, int headAxis) {
        this.pattern = pattern;
        this.perLayer = perLayer;
        this.shape = shape;
        this.positionAxis = positionAxis;
        this.headAxis = headAxis;
    }

    public boolean perLayer() {
        return perLayer;
    }

    /** Human-readable axes of the activation, e.g. {@code [b,s,h,e]}. */
    public String shape() {
        return shape;
    }

    /** Axis that indexes token positions (the query position for attention maps). */
    public int positionAxis() {
        return positionAxis;
    }

    /** Axis that indexes heads, or -1 when the site is not split by head. */
    public int headAxis() {
        return headAxis;
    }

    public boolean hasHeads() {
        return headAxis >= 0;
    }

    String format(int layer) {
        return perLayer ? String.format(java.util.Locale.ROOT, pattern, layer) : pattern;
    }

    String pattern() {
        return pattern;
    }
}

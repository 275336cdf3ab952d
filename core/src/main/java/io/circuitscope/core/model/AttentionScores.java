package io.circuitscope.core.model;

import ai.djl.ndarray.NDArray;

/**
 * One layer's attention softmax in pieces, computed exactly as the forward pass computes it: the
 * queries and keys of a residual input [b, s, d] (normalised and projected; grouped keys expanded
 * to one per query head) and the pattern [b, h, s_q, s_k] of given queries and keys. A pattern with
 * changed queries and clean keys (or the reverse) is {@code pattern(queries(changed), keys(clean))}:
 * each head's pattern reads only its own query and key, so one call changes every head's at once.
 */
public final class AttentionScores {
    private final AttentionLayer layer;

    AttentionScores(AttentionLayer layer) {
        this.layer = layer;
    }

    /** [b, s, h, e] */
    public NDArray queries(NDArray resid) {
        return layer.queries(resid);
    }

    /** [b, s, h, e], one per query head. */
    public NDArray keys(NDArray resid) {
        return layer.keys(resid);
    }

    /** [b, h, s_q, s_k] */
    public NDArray pattern(NDArray queries, NDArray keys) {
        return layer.pattern(queries, keys);
    }
}

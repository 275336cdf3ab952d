package io.circuitscope.core.model;

import ai.djl.ndarray.NDArray;

/**
 * One block's parameters in circuitscope's canonical layout, whatever file they came from.
 * Projections are stored input-major so activations multiply them directly:
 * W_Q [d, h*e], W_K and W_V [d, kv*e], W_O [h*e, d], W_in and W_gate [d, m], W_out [m, d].
 * Optional tensors (biases, extra norms) are null when the architecture has none.
 */
public record LayerWeights(
        NDArray attnNormWeight, NDArray attnNormBias,
        NDArray wQ, NDArray bQ,
        NDArray wK, NDArray bK,
        NDArray wV, NDArray bV,
        NDArray wO, NDArray bO,
        NDArray qNormWeight, NDArray kNormWeight,
        NDArray postAttnNormWeight,
        NDArray mlpNormWeight, NDArray mlpNormBias,
        NDArray wIn, NDArray bIn,
        NDArray wGate, NDArray bGate,
        NDArray wOut, NDArray bOut,
        NDArray postMlpNormWeight) {
}

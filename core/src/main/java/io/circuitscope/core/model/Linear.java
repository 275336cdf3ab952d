package io.circuitscope.core.model;

import ai.djl.ndarray.NDArray;

/** x W + b with an input-major weight; the activation comes first so the result stays in its manager. */
final class Linear {
    private Linear() {
    }

    static NDArray apply(NDArray x, NDArray weight, NDArray bias) {
        NDArray y = x.matMul(weight);
        return bias == null ? y : y.add(bias);
    }
}

package io.circuitscope.core.model;

import ai.djl.ndarray.NDArray;

/** Normalisations over the last axis, written from primitives (float32, biased variance as in PyTorch). */
final class Norms {
    private Norms() {
    }

    static NDArray apply(NormType type, double eps, NDArray x, NDArray weight, NDArray bias) {
        switch (type) {
            case NONE:
                return x;
            case LAYER_NORM: {
                NDArray centered = x.sub(x.mean(new int[] {-1}, true));
                NDArray variance = centered.square().mean(new int[] {-1}, true);
                NDArray y = centered.div(variance.add((float) eps).sqrt());
                y = weight == null ? y : y.mul(weight);
                return bias == null ? y : y.add(bias);
            }
            case RMS_NORM: {
                NDArray y = x.div(x.square().mean(new int[] {-1}, true).add((float) eps).sqrt());
                return weight == null ? y : y.mul(weight);
            }
            default:
                throw new IllegalStateException(type.name());
        }
    }
}

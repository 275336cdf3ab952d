package io.circuitscope.core.model;

import io.circuitscope.core.Scalars;
import ai.djl.ndarray.NDArray;

/** Normalisations over the last axis, written from primitives (float32, biased variance as in PyTorch). */
final class Norms {
    private Norms() {
    }

    static NDArray apply(NormType type, double eps, NDArray x, NDArray weight, NDArray bias) {
        return apply(type, eps, x, weight, bias, false);
    }

    /** With {@code constantScale}, the 1/sigma factor carries no gradient (LRP's LN-rule); values are unchanged. */
    static NDArray apply(NormType type, double eps, NDArray x, NDArray weight, NDArray bias, boolean constantScale) {
        switch (type) {
            case NONE:
                return x;
            case LAYER_NORM: {
                NDArray centered = x.sub(x.mean(new int[] {-1}, true));
                NDArray variance = centered.square().mean(new int[] {-1}, true);
                NDArray inverse = scale(Scalars.pow(Scalars.add(variance, eps).sqrt(), -1), constantScale);
                NDArray y = centered.mul(inverse);
                y = weight == null ? y : y.mul(weight);
                return bias == null ? y : y.add(bias);
            }
            case RMS_NORM: {
                NDArray inverse = scale(Scalars.pow(Scalars.add(x.square().mean(new int[] {-1}, true), eps).sqrt(), -1),
                        constantScale);
                NDArray y = x.mul(inverse);
                return weight == null ? y : y.mul(weight);
            }
            default:
                throw new IllegalStateException(type.name());
        }
    }

    private static NDArray scale(NDArray inverse, boolean constant) {
        return constant ? inverse.stopGradient() : inverse;
    }
}

package io.circuitscope.core.model;

import io.circuitscope.core.Scalars;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Normalisations over the last axis, written from primitives (float32, biased variance as in PyTorch); {@link #applyFused}
 * uses PyTorch's fused layer norm where it computes the same.
 */
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

    /**
     * {@link #apply}, with a layer norm that has weight and bias and whose scale carries its gradient computed by
     * PyTorch's fused layer_norm: the same function and gradient (1/sqrt(biased variance + eps)) in one pass instead of
     * about ten, equal to {@link #apply} up to float rounding. The LN-rule needs the scale detached, so it keeps the
     * chain, as do RMS norms. Used for the per-head q/k/v inputs of patched and gradient passes, the largest norms
     * there are; the ordinary forward (and training) keeps {@link #apply}, so its float bits, and the reference
     * circuits committed from models trained with it, stay as they were.
     */
    static NDArray applyFused(NormType type, double eps, NDArray x, NDArray weight, NDArray bias,
            boolean constantScale) {
        if (type == NormType.LAYER_NORM && !constantScale && weight != null && bias != null) {
            return x.getNDArrayInternal()
                    .layerNorm(x, new Shape(x.getShape().get(x.getShape().dimension() - 1)), weight, bias, (float) eps)
                    .singletonOrThrow();
        }
        return apply(type, eps, x, weight, bias, constantScale);
    }

    /**
     * The derivative of {@link #apply} at {@code x} in the direction {@code v} (the bias drops out); with
     * {@code constantScale} the 1/sigma factor is held fixed, as {@link #apply}'s modified backward holds it.
     */
    static NDArray derivative(NormType type, double eps, NDArray x, NDArray v, NDArray weight, boolean constantScale) {
        NDArray dy;
        switch (type) {
            case NONE:
                return v;
            case LAYER_NORM: {
                // y = c / sigma with c = x - mean(x): dy = dc / sigma - c * mean(c dc) / sigma^3
                NDArray centered = x.sub(x.mean(new int[] {-1}, true));
                NDArray inverse = Scalars.pow(Scalars.add(centered.square().mean(new int[] {-1}, true), eps).sqrt(), -1);
                NDArray dc = v.sub(v.mean(new int[] {-1}, true));
                dy = dc.mul(inverse);
                if (!constantScale) {
                    dy = dy.sub(centered.mul(Scalars.pow(inverse, 3)).mul(centered.mul(dc).mean(new int[] {-1}, true)));
                }
                break;
            }
            case RMS_NORM: {
                // y = x / r with r = sqrt(mean(x^2) + eps): dy = v / r - x * mean(x v) / r^3
                NDArray inverse = Scalars.pow(Scalars.add(x.square().mean(new int[] {-1}, true), eps).sqrt(), -1);
                dy = v.mul(inverse);
                if (!constantScale) {
                    dy = dy.sub(x.mul(Scalars.pow(inverse, 3)).mul(x.mul(v).mean(new int[] {-1}, true)));
                }
                break;
            }
            default:
                throw new IllegalStateException(type.name());
        }
        return weight == null ? dy : dy.mul(weight);
    }

    private static NDArray scale(NDArray inverse, boolean constant) {
        return constant ? inverse.stopGradient() : inverse;
    }
}

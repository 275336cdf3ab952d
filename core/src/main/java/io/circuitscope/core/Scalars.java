package io.circuitscope.core;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Arithmetic with a constant, safe under autograd. DJL's PyTorch engine turns a Java number into a
 * temporary tensor that wraps Java-owned memory and closes it right after the operation; when
 * autograd saved that tensor for the backward pass (as in x * 3 or x / n), the garbage collector
 * can free its memory before backward runs, and gradients come out as garbage (seen as 1e30s,
 * 1e-19s and NaN). These helpers make the constant with {@code full}, natively owned by PyTorch.
 * Use them for every constant in a differentiable path.
 */
public final class Scalars {
    private Scalars() {
    }

    /** A 0-d tensor holding {@code value}, in {@code like}'s manager and type. */
    public static NDArray of(NDArray like, double value) {
        return like.getManager().full(new Shape(), (float) value, like.getDataType());
    }

    public static NDArray mul(NDArray x, double value) {
        return x.mul(of(x, value));
    }

    public static NDArray div(NDArray x, double value) {
        return x.div(of(x, value));
    }

    public static NDArray add(NDArray x, double value) {
        return x.add(of(x, value));
    }

    public static NDArray pow(NDArray x, double exponent) {
        return x.pow(of(x, exponent));
    }

    public static NDArray maximum(NDArray x, double value) {
        return x.maximum(of(x, value));
    }
}

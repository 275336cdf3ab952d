package io.circuitscope.core.model;

import io.circuitscope.core.Scalars;
import ai.djl.ndarray.NDArray;

/** MLP non-linearities, each written from NDArray primitives so autograd sees every step. */
public enum Activation {
    /** tanh approximation of GELU (GPT-2's gelu_new, Gemma's gelu_pytorch_tanh). */
    GELU_TANH,
    /** exact GELU with erf (NeoX/Pythia). */
    GELU_EXACT,
    SILU,
    RELU;

    private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);
    private static final double INV_SQRT_2 = 1.0 / Math.sqrt(2.0);

    public NDArray apply(NDArray x) {
        switch (this) {
            case GELU_TANH: {
                NDArray inner = Scalars.mul(x.add(Scalars.mul(Scalars.pow(x, 3), 0.044715)), SQRT_2_OVER_PI);
                return Scalars.mul(x, 0.5).mul(Scalars.add(inner.tanh(), 1));
            }
            case GELU_EXACT:
                return Scalars.mul(x, 0.5).mul(Scalars.add(Scalars.mul(x, INV_SQRT_2).erf(), 1));
            case SILU:
                return x.mul(ai.djl.nn.Activation.sigmoid(x));
            case RELU:
                return Scalars.maximum(x, 0);
            default:
                throw new IllegalStateException(name());
        }
    }

    /**
     * The activation with LRP's Identity-rule: the value f(x), with gradient f(x)/x (the derivative
     * at 0 where x is 0), so relevance passes as through a linear map.
     */
    public NDArray applyIdentityRule(NDArray x) {
        NDArray value = apply(x);
        NDArray tiny = x.abs().lt(1e-12f);
        NDArray safeX = ai.djl.ndarray.NDArrays.where(tiny, x.onesLike(), x);
        float slopeAtZero = this == RELU ? 0f : 0.5f;
        NDArray ratio = ai.djl.ndarray.NDArrays.where(tiny, Scalars.add(x.zerosLike(), slopeAtZero), value.div(safeX));
        return x.mul(ratio.stopGradient());
    }

    /** Parses the activation names used in Hugging Face config.json files. */
    public static Activation fromHuggingFace(String name, String field) {
        switch (name) {
            case "gelu_new":
            case "gelu_pytorch_tanh":
            case "gelu_fast":
                return GELU_TANH;
            case "gelu":
                return GELU_EXACT;
            case "silu":
            case "swish":
                return SILU;
            case "relu":
                return RELU;
            default:
                throw new IllegalArgumentException(
                        "config field '" + field + "': unsupported activation '" + name
                                + "' (supported: " + HUGGING_FACE_NAMES + ")");
        }
    }

    /** The names {@link #fromHuggingFace} accepts, for error messages. */
    public static final String HUGGING_FACE_NAMES = "gelu_new, gelu_pytorch_tanh, gelu_fast, gelu, silu, swish, relu";
}

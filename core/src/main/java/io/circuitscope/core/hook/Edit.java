package io.circuitscope.core.hook;

import io.circuitscope.core.Scalars;
import ai.djl.ndarray.NDArray;
import java.util.function.UnaryOperator;

/** What an intervention does to the selected part of an activation. */
public sealed interface Edit permits Edit.Replace, Edit.Add, Edit.Zero, Edit.Scale, Edit.Apply {

    /** The edited activation, for the whole tensor; the selection is applied afterwards. */
    NDArray apply(NDArray activation, HookName where);

    /** Replace with a tensor of the same shape (a batch or position axis of size 1 broadcasts). */
    record Replace(NDArray source) implements Edit {
        @Override
        public NDArray apply(NDArray activation, HookName where) {
            Shapes.requireBroadcastable(source, activation, where);
            return activation.zerosLike().add(source);
        }
    }

    /** Add a tensor (same broadcasting rules as {@link Replace}). */
    record Add(NDArray delta) implements Edit {
        @Override
        public NDArray apply(NDArray activation, HookName where) {
            Shapes.requireBroadcastable(delta, activation, where);
            return activation.add(delta);
        }
    }

    /** Set to zero (zero ablation). */
    record Zero() implements Edit {
        @Override
        public NDArray apply(NDArray activation, HookName where) {
            return activation.zerosLike();
        }
    }

    /** Multiply by a constant. */
    record Scale(float factor) implements Edit {
        @Override
        public NDArray apply(NDArray activation, HookName where) {
            return Scalars.mul(activation, factor);
        }
    }

    /**
     * Any function of the activation; it must return a tensor of the same shape. With a selection of some
     * heads or positions the function is given a copy of the activation, so an in-place edit
     * ({@code x -> x.muli(0)}) still changes only the selected part.
     */
    record Apply(UnaryOperator<NDArray> function, String description) implements Edit {
        @Override
        public NDArray apply(NDArray activation, HookName where) {
            NDArray out = function.apply(activation);
            if (!out.getShape().equals(activation.getShape())) {
                throw new IllegalArgumentException("intervention '" + description + "' at " + where
                        + " returned shape " + out.getShape() + " but the activation has shape "
                        + activation.getShape());
            }
            return out;
        }
    }
}

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
     * Any function of the activation; it must return a tensor of the same shape. Unless {@code readsOnly},
     * the function is given a copy of the activation, so an in-place edit ({@code x -> x.muli(0)}) changes
     * neither the unselected heads and positions, nor cached activations, nor other hooks that share the
     * tensor (resid_post L is resid_pre L+1; q/k/v_input are one tensor; mlp_in is the stream the MLP's
     * output is added to). {@code readsOnly} is a promise that the function never changes its argument in
     * place; it then gets the live tensor and the copy is saved.
     */
    record Apply(UnaryOperator<NDArray> function, String description, boolean readsOnly) implements Edit {
        /** A function that may change its argument in place; it is given a copy. */
        public Apply(UnaryOperator<NDArray> function, String description) {
            this(function, description, false);
        }

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

package io.circuitscope.core.hook;

import ai.djl.ndarray.NDArray;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * One change to one hook point, as data: where, which heads and positions, and what to do.
 * Interventions are passed to a single forward call; nothing stays installed on the model.
 */
public record Intervention(HookName target, Selection selection, Edit edit) {
    public Intervention {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(selection, "selection");
        Objects.requireNonNull(edit, "edit");
        if (selection.heads() != null && !target.site().hasHeads()) {
            throw new IllegalArgumentException("hook " + target + " has no head axis; cannot select heads");
        }
    }

    public static Intervention replace(HookName target, Selection where, NDArray source) {
        return new Intervention(target, where, new Edit.Replace(source));
    }

    public static Intervention add(HookName target, Selection where, NDArray delta) {
        return new Intervention(target, where, new Edit.Add(delta));
    }

    public static Intervention zero(HookName target, Selection where) {
        return new Intervention(target, where, new Edit.Zero());
    }

    public static Intervention scale(HookName target, Selection where, float factor) {
        return new Intervention(target, where, new Edit.Scale(factor));
    }

    /** Any function of the activation; it is given a copy, so it may change its argument in place. */
    public static Intervention apply(HookName target, Selection where, String description,
            UnaryOperator<NDArray> function) {
        return new Intervention(target, where, new Edit.Apply(function, description));
    }

    /**
     * As {@link #apply}, for a function that never changes its argument in place: it gets the live
     * activation, saving a copy per pass (for hot loops such as edge patching).
     */
    public static Intervention applyReadOnly(HookName target, Selection where, String description,
            UnaryOperator<NDArray> function) {
        return new Intervention(target, where, new Edit.Apply(function, description, true));
    }
}

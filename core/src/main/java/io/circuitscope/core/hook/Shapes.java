package io.circuitscope.core.hook;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

final class Shapes {
    private Shapes() {
    }

    static void requireBroadcastable(NDArray source, NDArray activation, HookName where) {
        Shape s = source.getShape();
        Shape a = activation.getShape();
        boolean ok = s.dimension() == a.dimension();
        for (int i = 0; ok && i < a.dimension(); i++) {
            ok = s.get(i) == a.get(i) || s.get(i) == 1;
        }
        if (!ok) {
            throw new IllegalArgumentException("intervention tensor of shape " + s + " does not fit " + where
                    + " of shape " + a + " " + where.site().shape());
        }
    }
}

package io.circuitscope.core.io;

import ai.djl.ndarray.NDArray;
import java.nio.file.Path;

/**
 * Refuses weights holding NaN or infinity: a corrupt file would otherwise load, give NaN logits and
 * have discovery blame the task. One sum per tensor in the usual case: any NaN or infinity makes the
 * sum non-finite; only then are the bad values counted (a sum that overflowed on finite values passes).
 */
final class NonFiniteCheck {
    private NonFiniteCheck() {
    }

    /** {@code tensor} when every value is finite; otherwise closes it and names the file and the tensor. */
    static NDArray requireFinite(NDArray tensor, Path file, String name) {
        long bad = nonFiniteCount(tensor);
        if (bad == 0) {
            return tensor;
        }
        tensor.close();
        throw new CheckpointException(file + ": tensor '" + name + "' has " + bad + " non-finite value"
                + (bad == 1 ? "" : "s") + " (NaN or infinity); the file is corrupt or was saved from a diverged run");
    }

    private static long nonFiniteCount(NDArray tensor) {
        try (NDArray sum = tensor.sum()) {
            if (Float.isFinite(sum.getFloat())) {
                return 0;
            }
        }
        try (NDArray nan = tensor.isNaN();
                NDArray inf = tensor.isInfinite();
                NDArray either = nan.logicalOr(inf);
                NDArray count = either.countNonzero()) {
            return count.getLong();
        }
    }
}

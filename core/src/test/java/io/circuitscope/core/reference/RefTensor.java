package io.circuitscope.core.reference;

import java.util.Arrays;
import java.util.Objects;

/**
 * A plain row-major float tensor for the test oracle {@link ReferenceForward}.
 *
 * <p>{@code data.length} must equal the product of {@code shape}. The arrays are not copied.
 */
public record RefTensor(int[] shape, float[] data) {

    public RefTensor {
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(data, "data");
        long n = 1;
        for (int s : shape) {
            if (s < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            n *= s;
        }
        if (n != data.length) {
            throw new IllegalArgumentException(
                    "shape " + Arrays.toString(shape) + " needs " + n + " elements, data has " + data.length);
        }
    }

    /** Convenience factory: {@code RefTensor.of(data, rows, cols)}. */
    public static RefTensor of(float[] data, int... shape) {
        return new RefTensor(shape, data);
    }

    @Override
    public String toString() {
        return "RefTensor" + Arrays.toString(shape);
    }
}

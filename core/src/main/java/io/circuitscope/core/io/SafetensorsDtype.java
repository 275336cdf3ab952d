package io.circuitscope.core.io;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Every dtype a safetensors header may name, with its width in bits. All are known so that every
 * tensor's byte range is checked, including buffers stored as BOOL or integers (Pythia's attention
 * masks, older GPT-2 files' U8 attn.bias) that the loader never reads; only the float types that
 * map to a {@link TensorDtype} can be read as weights.
 */
enum SafetensorsDtype {
    BOOL(8),
    F4(4),
    F6_E2M3(6),
    F6_E3M2(6),
    U8(8),
    I8(8),
    F8_E5M2(8),
    F8_E4M3(8),
    F8_E8M0(8),
    I16(16),
    U16(16),
    F16(16, TensorDtype.F16),
    BF16(16, TensorDtype.BF16),
    I32(32),
    U32(32),
    F32(32, TensorDtype.F32),
    C64(64),
    F64(64),
    I64(64),
    U64(64);

    private final int bits;
    private final TensorDtype readable;

    SafetensorsDtype(int bits) {
        this(bits, null);
    }

    SafetensorsDtype(int bits, TensorDtype readable) {
        this.bits = bits;
        this.readable = readable;
    }

    /** The type circuitscope reads this as, or null when it cannot read it as weights. */
    TensorDtype readable() {
        return readable;
    }

    /**
     * Bytes that {@code count} elements take, or -1 when that is not a whole number of bytes (an odd
     * count of 4-bit values, which safetensors itself refuses).
     *
     * @throws ArithmeticException when the bits do not fit a long
     */
    long bytesFor(long count) {
        long totalBits = Math.multiplyExact(count, (long) bits);
        return totalBits % 8 == 0 ? totalBits / 8 : -1;
    }

    /** The dtype named {@code name}; a name the format does not define is refused, naming file and tensor. */
    static SafetensorsDtype parse(String name, Path file, String tensor) {
        for (SafetensorsDtype t : values()) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        throw new CheckpointException(file + ": tensor '" + tensor + "' has dtype '" + name
                + "', which is not a safetensors dtype (known: "
                + Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", ")) + ")");
    }
}

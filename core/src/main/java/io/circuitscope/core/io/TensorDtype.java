package io.circuitscope.core.io;

import ai.djl.ndarray.types.DataType;

/** The safetensors dtypes circuitscope reads; all are computed in float32. */
public enum TensorDtype {
    F32(4, DataType.FLOAT32),
    F16(2, DataType.FLOAT16),
    BF16(2, DataType.BFLOAT16);

    private final int bytes;
    private final DataType djl;

    TensorDtype(int bytes, DataType djl) {
        this.bytes = bytes;
        this.djl = djl;
    }

    public int bytes() {
        return bytes;
    }

    public DataType djlType() {
        return djl;
    }

    /** Parses a safetensors dtype, naming the file and tensor when it is not one we read. */
    public static TensorDtype parse(String dtype, String file, String tensor) {
        for (TensorDtype t : values()) {
            if (t.name().equals(dtype)) {
                return t;
            }
        }
        throw new CheckpointException(file + ": tensor '" + tensor + "' has unsupported dtype '" + dtype
                + "' (supported: F32, F16, BF16)");
    }
}

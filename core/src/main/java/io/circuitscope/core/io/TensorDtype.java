package io.circuitscope.core.io;

import ai.djl.ndarray.types.DataType;

/**
 * The safetensors dtypes circuitscope reads as weights ({@link SafetensorsDtype} has all); all are
 * computed in float32.
 */
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
}

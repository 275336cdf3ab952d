package io.circuitscope.core.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Set;

/** Named tensors from a checkpoint (one file, a sharded set, or a legacy binary format). */
public interface TensorSource extends AutoCloseable {
    Set<String> names();

    boolean contains(String name);

    /** Stored shape of {@code name}; throws {@link CheckpointException} naming the tensor if absent. */
    long[] shape(String name);

    /** Loads {@code name} as float32 into {@code manager}, checking its shape when {@code expected} is non-null. */
    NDArray load(String name, NDManager manager, long[] expected);

    /** Where the tensors come from, for messages. */
    String describe();

    @Override
    void close();
}

package io.circuitscope.core.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * A tensor source that remembers which tensors were loaded, so the loader can tell when a checkpoint
 * holds weights its config does not account for (a 2-layer file read with "n_layer": 1).
 */
final class UsageTrackingSource implements TensorSource {
    private final TensorSource source;
    private final Set<String> loaded = new HashSet<>();

    UsageTrackingSource(TensorSource source) {
        this.source = source;
    }

    /** Tensors never loaded, in the checkpoint's order, except those {@code ignorable} accepts. */
    List<String> unused(Predicate<String> ignorable) {
        return source.names().stream().filter(n -> !loaded.contains(n) && !ignorable.test(n)).toList();
    }

    @Override
    public Set<String> names() {
        return source.names();
    }

    @Override
    public boolean contains(String name) {
        return source.contains(name);
    }

    @Override
    public long[] shape(String name) {
        return source.shape(name);
    }

    @Override
    public NDArray load(String name, NDManager manager, long[] expected) {
        NDArray tensor = source.load(name, manager, expected);
        loaded.add(name);
        return tensor;
    }

    @Override
    public String describe() {
        return source.describe();
    }

    /** The wrapped source belongs to whoever opened it. */
    @Override
    public void close() {
    }
}

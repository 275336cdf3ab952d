package io.circuitscope.core.io;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;

/**
 * A tensor file whose index of named tensors is read when it opens (safetensors, llama2.c): the
 * lookups and the shape check every such format shares. Subclasses say how a tensor is found missing
 * and where the expected shapes come from, and load the bytes.
 *
 * @param <E> a format's index entry
 */
abstract class IndexedTensorFile<E extends IndexedTensorFile.Indexed> implements TensorSource {
    /** What every index entry knows. */
    interface Indexed {
        long[] shape();
    }

    protected final Path path;
    protected final Map<String, E> entries;

    protected IndexedTensorFile(Path path, Map<String, E> entries) {
        this.path = path;
        this.entries = entries;
    }

    /** The error message for a tensor the file does not have. */
    protected abstract String missing(String name);

    /** Where expected shapes come from, for error messages ("config.json"). */
    protected abstract String shapeSource();

    @Override
    public Set<String> names() {
        return entries.keySet();
    }

    @Override
    public boolean contains(String name) {
        return entries.containsKey(name);
    }

    @Override
    public long[] shape(String name) {
        return entry(name).shape().clone();
    }

    protected E entry(String name) {
        E e = entries.get(name);
        if (e == null) {
            throw new CheckpointException(path + ": " + missing(name));
        }
        return e;
    }

    /** The entry of {@code name}, checked against the shape the config implies (null: no check). */
    protected E checkedEntry(String name, long[] expected) {
        E e = entry(name);
        if (expected != null && !Arrays.equals(expected, e.shape())) {
            throw new CheckpointException(path + ": tensor '" + name + "' has shape " + Arrays.toString(e.shape())
                    + " but " + shapeSource() + " implies " + Arrays.toString(expected));
        }
        return e;
    }
}

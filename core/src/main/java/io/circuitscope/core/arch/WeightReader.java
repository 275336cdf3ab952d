package io.circuitscope.core.arch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.circuitscope.core.io.CheckpointException;
import io.circuitscope.core.io.TensorSource;

/** Loads named tensors with shape checks; every error names the checkpoint and the tensor. */
public final class WeightReader {
    private final TensorSource source;
    private final NDManager manager;
    private final String prefix;

    public WeightReader(TensorSource source, NDManager manager, String prefix) {
        this.source = source;
        this.manager = manager;
        this.prefix = prefix;
    }

    public String prefix() {
        return prefix;
    }

    public boolean has(String name) {
        return source.contains(prefix + name);
    }

    public NDArray require(String name, long... shape) {
        String full = prefix + name;
        if (!source.contains(full)) {
            throw new CheckpointException(source.describe() + ": tensor '" + full + "' is missing");
        }
        return source.load(full, manager, shape);
    }

    /** The tensor, or null when the checkpoint does not have it. */

    /** A Linear weight stored [out, in], returned input-major [in, out]. */
    public NDArray linearTransposed(String name, long out, long in) {
        return require(name, out, in).transpose();
    }

    /**
     * The unembedding of a config that ties it to the token embedding {@code embedding} [vocab, d],
     * as [d, vocab]. A file may still hold {@code name}: a copy of the embedding is accepted, a
     * different matrix is refused, because the config would silently discard it.
     */
    public NDArray tiedTo(NDArray embedding, String name) {
        String full = prefix + name;
        if (source.contains(full)) {
            try (NDArray stored = source.load(full, manager, embedding.getShape().getShape())) {
                if (!stored.contentEquals(embedding)) {
                    throw new CheckpointException(source.describe() + ": tensor '" + full + "' differs from the "
                            + "token embedding, but the config ties the output to the embedding (tie_word_embeddings);"
                            + " set \"tie_word_embeddings\": false to use it");
                }
            }
        }
        return embedding.transpose();
    }

    public NDManager manager() {
        return manager;
    }
}

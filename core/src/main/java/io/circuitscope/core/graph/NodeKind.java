package io.circuitscope.core.graph;

/** What a node of the computational graph is. */
public enum NodeKind {
    /** Token plus positional embedding: the first term of the residual stream. */
    INPUT,
    /** One attention head; its output is z times its slice of W_O. */
    HEAD,
    /** One MLP. */
    MLP,
    /** The unembedding, which reads the final residual stream. */
    LOGITS
}

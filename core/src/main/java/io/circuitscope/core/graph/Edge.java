package io.circuitscope.core.graph;

/** A path through the residual stream from a source node's output to a destination input. */
public record Edge(Node source, Destination destination, int index) {
    /** EAP-IG's name: {@code a0.h1->a2.h3<k>}, {@code m1->m4}, {@code input->logits}. */
    public String name() {
        return source.name() + "->" + destination.name();
    }

    @Override
    public String toString() {
        return name();
    }
}

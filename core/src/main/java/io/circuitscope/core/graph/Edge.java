package io.circuitscope.core.graph;

/**
 * A path through the residual stream from a source node's output to a destination input.
 *
 * @param position the token position this edge carries in a position-aware graph, or {@link #ALL_POSITIONS}
 */
public record Edge(Node source, Destination destination, int index, int position) {
    /** Marks an edge of a position-agnostic graph: it carries every position at once. */
    public static final int ALL_POSITIONS = -1;

    public Edge(Node source, Destination destination, int index) {
        this(source, destination, index, ALL_POSITIONS);
    }

    /**
     * EAP-IG's name: {@code a0.h1->a2.h3<k>}, {@code m1->m4}, {@code input->logits}; a position-aware
     * edge adds {@code @position}: {@code a0.h1->a2.h3<k>@5}.
     */
    public String name() {
        String base = source.name() + "->" + destination.name();
        return position == ALL_POSITIONS ? base : base + "@" + position;
    }

    public boolean byPosition() {
        return position != ALL_POSITIONS;
    }

    @Override
    public String toString() {
        return name();
    }
}

package io.circuitscope.core.graph;

/** One input of a node ({@code a2.h3<k>}, {@code m4}, {@code logits}); every edge ends at one. */
public record Destination(Node node, Port port, int index) {
    public String name() {
        return node.name() + port.suffix();
    }

    @Override
    public String toString() {
        return name();
    }
}

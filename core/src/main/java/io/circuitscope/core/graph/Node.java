package io.circuitscope.core.graph;

/**
 * A node of the computational graph, named as EAP-IG names it: {@code input}, {@code a{layer}.h{head}},
 * {@code m{layer}}, {@code logits}.
 *
 * @param sourceIndex index among the graph's sources (nodes with an output), or -1 for logits
 */
public record Node(String name, NodeKind kind, int layer, int head, int sourceIndex) {
    public static String headName(int layer, int head) {
        return "a" + layer + ".h" + head;
    }

    public static String mlpName(int layer) {
        return "m" + layer;
    }

    public boolean isSource() {
        return sourceIndex >= 0;
    }

    @Override
    public String toString() {
        return name;
    }
}

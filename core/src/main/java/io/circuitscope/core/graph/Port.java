package io.circuitscope.core.graph;

/** Which input of a node an edge enters. Heads have three; MLPs and the logits one. */
public enum Port {
    Q("<q>"),
    K("<k>"),
    V("<v>"),
    /** The single input of an MLP or of the logits; written without a suffix. */
    IN("");

    private final String suffix;

    Port(String suffix) {
        this.suffix = suffix;
    }

    public String suffix() {
        return suffix;
    }
}

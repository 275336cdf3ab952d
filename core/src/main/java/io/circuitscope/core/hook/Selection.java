package io.circuitscope.core.hook;

import java.util.Arrays;

/**
 * Which part of an activation an intervention touches: chosen heads and/or chosen positions
 * (null means all). Positions may be negative, counting from the end of the sequence.
 */
public record Selection(int[] heads, int[] positions) {
    private static final Selection ALL = new Selection(null, null);

    public Selection {
        heads = heads == null ? null : heads.clone();
        positions = positions == null ? null : positions.clone();
    }

    public static Selection all() {
        return ALL;
    }

    public static Selection heads(int... heads) {
        return new Selection(heads, null);
    }

    public static Selection positions(int... positions) {
        return new Selection(null, positions);
    }

    public Selection atPositions(int... newPositions) {
        return new Selection(heads, newPositions);
    }

    public boolean isAll() {
        return heads == null && positions == null;
    }

    @Override
    public int[] heads() {
        return heads == null ? null : heads.clone();
    }

    @Override
    public int[] positions() {
        return positions == null ? null : positions.clone();
    }

    @Override
    public String toString() {
        return "Selection[heads=" + (heads == null ? "all" : Arrays.toString(heads))
                + ", positions=" + (positions == null ? "all" : Arrays.toString(positions)) + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Selection other && Arrays.equals(heads, other.heads)
                && Arrays.equals(positions, other.positions);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(heads) + Arrays.hashCode(positions);
    }
}

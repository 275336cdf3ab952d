package io.circuitscope.discovery;

/**
 * An ACDC search between two destinations: everything its later decisions depend on, so that a search resumed from
 * it decides every later edge as the uninterrupted search would, with the same exact effects.
 *
 * @param candidates      the edges the search verifies (null: every edge)
 * @param nextDestination the destination to decide next (destinations are decided from the last back); -1 when done
 * @param keep            the keep-mask so far
 * @param effects         each tried edge's exact effect, NaN for edges not tried yet
 * @param current         the metric with {@code keep}, as the search last computed it (not recomputed on resume: a
 *                        pass of other masks may round it differently, and ACDC compares it with tau)
 * @param tried           edges decided so far (by a pass or because their destination reaches nothing)
 * @param evaluated       of those, decided by a forward pass
 * @param removed         of those, removed (with {@code evaluated}, the speculation's removal rate)
 */
public record AcdcState(boolean[] candidates, int nextDestination, boolean[] keep, double[] effects, double current,
        long tried, long evaluated, long removed) {
    public AcdcState {
        candidates = candidates == null ? null : candidates.clone();
        keep = keep.clone();
        effects = effects.clone();
        if (keep.length != effects.length || (candidates != null && candidates.length != keep.length)) {
            throw new IllegalArgumentException("an ACDC state needs one keep flag and one effect per edge (and one "
                    + "candidate flag, if any): got " + keep.length + ", " + effects.length
                    + (candidates == null ? "" : ", " + candidates.length));
        }
        if (nextDestination < -1 || tried < 0 || evaluated < 0 || removed < 0 || evaluated > tried
                || removed > evaluated) {
            throw new IllegalArgumentException("inconsistent ACDC state: next destination " + nextDestination
                    + ", tried " + tried + ", evaluated " + evaluated + ", removed " + removed);
        }
    }

    @Override
    public boolean[] candidates() {
        return candidates == null ? null : candidates.clone();
    }

    @Override
    public boolean[] keep() {
        return keep.clone();
    }

    @Override
    public double[] effects() {
        return effects.clone();
    }
}

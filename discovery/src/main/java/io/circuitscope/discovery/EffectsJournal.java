package io.circuitscope.discovery;

/**
 * Where exhaustive patching ({@link ExhaustivePatching}) leaves the exact effects it has, so that a run that was
 * stopped patches only what is missing when it runs again: hours on GPT-2 small (32,491 edges, about 0.7 s a pass).
 */
public interface EffectsJournal {
    /** A journal that keeps nothing: every run patches every edge. */
    EffectsJournal NONE = new EffectsJournal() {
        @Override
        public double[] resume(int edges) {
            return null;
        }

        @Override
        public void record(double[] effects) {
        }
    };

    /** The effects known so far, one per edge (NaN: not patched yet), or null to start afresh. */
    double[] resume(int edges);

    /** The effects after one more destination layer (NaN where not patched yet); the array is the journal's own. */
    void record(double[] effects);
}

package io.circuitscope.discovery;

/**
 * Where an ACDC search leaves its state as it goes, so that a search that was stopped (killed, out of time) can go
 * on from where it was instead of from the start. The search offers its state after every destination it decides;
 * what a journal keeps, and where, is its own affair (discover writes a file beside the run's circuit).
 */
public interface AcdcJournal {
    /** A journal that keeps nothing: every search starts from the beginning. */
    AcdcJournal NONE = new AcdcJournal() {
        @Override
        public AcdcState resume(boolean[] candidates) {
            return null;
        }

        @Override
        public void record(AcdcState state) {
        }

        @Override
        public boolean due() {
            return false;
        }
    };

    /**
     * The state to go on from, for a search over {@code candidates} (null: every edge), or null to start afresh.
     * A journal returns only a state of a search with the same candidates, model, task and settings.
     */
    AcdcState resume(boolean[] candidates);

    /** The search's state after one more destination; the arrays are the journal's own copies. */
    void record(AcdcState state);

    /**
     * Whether a state offered now would be kept. The search copies its keep-mask and effects into a state only then
     * (and always at its end): by position, GPT-2 small has 650,000 edges and 8,900 destinations.
     */
    default boolean due() {
        return true;
    }
}

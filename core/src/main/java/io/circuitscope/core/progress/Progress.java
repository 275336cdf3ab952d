package io.circuitscope.core.progress;

/**
 * Reports progress of long steps (loading, scoring, verification, validation). Algorithms call it;
 * the command line draws bars; tests and libraries use {@link #NONE}.
 */
public interface Progress {
    Progress NONE = new Progress() {
        @Override
        public void start(String stage, long total) {
        }

        @Override
        public void advance(long done, long forwardPasses) {
        }

        @Override
        public void finish() {
        }
    };

    /** A new stage with {@code total} units of work (or -1 when unknown). */
    void start(String stage, long total);

    /** {@code done} units finished so far and the forward passes spent in this stage. */
    void advance(long done, long forwardPasses);

    /**
     * As {@link #advance(long, long)}, with the gradient passes (one forward and one backward pass over a batch
     * each) spent in this stage as well; a gradient scorer reports its passes here.
     */
    default void advance(long done, long forwardPasses, long gradientPasses) {
        advance(done, forwardPasses);
    }

    void finish();
}

package io.circuitscope.circuits.run;

import java.util.Arrays;

/**
 * Where the exact effects of a scorer comparison are kept between runs. They are its expensive half
 * (hours for GPT-2 small), and the same for any scorers: a rerun with other scorers, a larger sample
 * or after a crash patches only what is missing. An implementation answers only for one model, task,
 * metric, ablation and graph, and refuses (with a reason) to mix in effects of another.
 */
public interface ExactEffectsStore {
    /**
     * Effects known so far.
     *
     * @param edges one per edge of the graph, NaN where not patched yet
     * @param nodes one per source node (the input at 0), or null before every node is patched
     */
    record Stored(double[] edges, double[] nodes) {
        public static Stored empty(int edges) {
            double[] none = new double[edges];
            Arrays.fill(none, Double.NaN);
            return new Stored(none, null);
        }
    }

    /** What is stored, or {@link Stored#empty} for nothing. */
    Stored load(int edges);

    /** Replaces what is stored; called after every destination layer of edges and once for the nodes. */
    void save(Stored stored);

    /** Keeps nothing: every run patches everything. */
    ExactEffectsStore NONE = new ExactEffectsStore() {
        @Override
        public Stored load(int edges) {
            return Stored.empty(edges);
        }

        @Override
        public void save(Stored stored) {
        }
    };
}

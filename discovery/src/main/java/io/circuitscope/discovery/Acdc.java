package io.circuitscope.discovery;

import io.circuitscope.core.graph.Circuit;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.Destination;
import io.circuitscope.core.graph.Edge;
import io.circuitscope.core.graph.EdgeScores;
import io.circuitscope.core.graph.Node;
import io.circuitscope.core.graph.NodeKind;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.progress.Progress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * ACDC (Conmy et al. 2023). Destinations are visited from the logits back, in reverse topological
 * order; for each, its incoming edges from the latest source to the earliest. An edge is tentatively
 * patched; if that damages the metric by less than {@code tau} (damage = m_before - m_after for
 * metrics where higher is better, m_after - m_before for KL), it stays patched for good.
 *
 * <p>Same decisions as trying one edge per pass, computed cheaper in two exact ways:
 * <ul>
 * <li>Reuse below the receiver: while the destinations of layer L are decided, no edge into an
 * earlier layer changes, so each batch's pass up to layer L is computed once per layer
 * ({@link TaskPatcher#prefixes}) and every trial runs only from layer L on (the logits' trials
 * run only the unembedding).</li>
 * <li>Speculative batches: the next k trials of a destination run as one batched pass, trial j
 * assuming trials 1..j-1 were all removed (most are). Walking them in order gives the sequential
 * answer up to the first trial that is kept; the later ones assumed otherwise and are retried.
 * k is the expected run of removals before the next kept edge, 1 / (1 - r) for the removal rate
 * r seen so far (prior 0.9), at most {@value #MAX_SPECULATION} and at most what one pass holds in
 * memory (one on GPT-2 small, where speculation would only waste passes).</li>
 * </ul>
 * Exact shortcut: once all edges out of a node are decided, a node with no kept out-edge cannot
 * influence the logits, so its incoming edges are removed without a forward pass. At the end, under
 * resample ablation, edges out of nodes that no kept path reaches from the input are dropped too: they
 * carry the corrupted output either way.
 */
public final class Acdc {
    static final int MAX_SPECULATION = 32;
    private final double tau;
    private final boolean shareComputation;

    public Acdc(double tau) {
        this(tau, true);
    }

    /**
     * @param shareComputation false runs one full patched pass per tried edge, as the paper's code does
     *                         (same decisions; for cost comparisons)
     */
    public Acdc(double tau, boolean shareComputation) {
        if (!(tau >= 0)) {
            throw new IllegalArgumentException("tau must be >= 0, got " + tau);
        }
        this.tau = tau;
        this.shareComputation = shareComputation;
    }

    public double tau() {
        return tau;
    }

    /**
     * Runs the search over {@code candidates} (edges outside start patched; null means every edge).
     *
     * @return the circuit; its scores hold each decided edge's exact effect, {@code m(after) - m(before)}
     *         at the moment it was tried, and NaN for edges never tried, ranked by the damage that effect did
     */
    public Circuit search(TaskPatcher task, boolean[] candidates, Progress progress) {
        return search(task, candidates, progress, AcdcJournal.NONE);
    }

    /**
     * As above, going on from the state {@code journal} holds for these candidates, if any, and offering it the
     * state after every destination decided. A resumed search decides every later edge as the uninterrupted one
     * would, with the same effects; it makes fewer forward passes.
     */
    public Circuit search(TaskPatcher task, boolean[] candidates, Progress progress, AcdcJournal journal) {
        ComputationGraph g = task.graph();
        boolean[] start = candidates == null ? filled(g.nEdges()) : candidates.clone();
        long toTry = 0;
        for (boolean k : start) {
            toTry += k ? 1 : 0;
        }
        AcdcState resumed = journal.resume(candidates);
        if (resumed != null) {
            requireResumable(resumed, candidates, g);
        }
        boolean[] keep = resumed != null ? resumed.keep() : start;
        double[] effects;
        if (resumed != null) {
            effects = resumed.effects();
        } else {
            effects = new double[g.nEdges()];
            Arrays.fill(effects, Double.NaN);
        }
        progress.start("ACDC verification (tau " + tau + ")", toTry);
        Search search = new Search(task, candidates, keep, effects, progress, task.forwardPasses(), journal);
        int d = g.nDestinations() - 1;
        if (resumed != null) {
            search.current = resumed.current();
            search.tried = resumed.tried();
            search.evaluated = resumed.evaluated();
            search.removed = resumed.removed();
            d = resumed.nextDestination();
            progress.advance(search.tried, 0);
        } else {
            search.current = task.evaluateKeep(keep);
        }
        while (d >= 0) {
            int layer = g.destinations().get(d).node().layer();
            int first = d;
            while (first > 0 && g.destinations().get(first - 1).node().layer() == layer) {
                first--;
            }
            search.layer(first, d);
            d = first - 1;
        }
        progress.finish();
        Circuit found = Circuit.of(g, keep, EdgeScores.ranked(g, effects, damages(effects, task.metric().higherIsBetter())));
        // Under resampling the kept out-edges of a node whose in-edges were all removed are exact no-ops
        // (it computes its corrupted output) and go; under mean or zero ablation they carry f(ablated input)
        // and stay. pruned(ablation) knows which.
        return found.pruned(task.ablation());
    }

    /** A journal's state must be of a search over the same candidates of the same graph. */
    private static void requireResumable(AcdcState state, boolean[] candidates, ComputationGraph g) {
        if (!Arrays.equals(state.candidates(), candidates)) {
            throw new IllegalArgumentException("the ACDC state to resume from was of a search over other candidates");
        }
        if (state.keep().length != g.nEdges() || state.nextDestination() >= g.nDestinations()) {
            throw new IllegalArgumentException("the ACDC state to resume from is of another graph: "
                    + state.keep().length + " edges and destination " + state.nextDestination() + ", the graph has "
                    + g.nEdges() + " edges and " + g.nDestinations() + " destinations");
        }
    }

    /**
     * ACDC's own ranking: the damage each edge's removal did when tried (0 when it helped; NaN when never
     * tried). By |effect| an edge whose removal improved the metric a lot, and was therefore removed, would
     * rank above edges ACDC kept.
     */
    private static double[] damages(double[] effects, boolean higherIsBetter) {
        double[] damage = new double[effects.length];
        for (int e = 0; e < effects.length; e++) {
            damage[e] = Double.isNaN(effects[e]) ? Double.NaN : Math.max(0, higherIsBetter ? -effects[e] : effects[e]);
        }
        return damage;
    }

    /** The state of one search: the keep-mask, the metric with it, and the effects found. */
    private final class Search {
        final TaskPatcher task;
        final ComputationGraph g;
        final boolean[] candidates;
        final AcdcJournal journal;
        final boolean[] keep;
        final double[] effects;
        final Progress progress;
        final long passesBefore;
        final boolean higherIsBetter;
        double current;
        long tried;
        long evaluated; // trials decided by a forward pass
        long removed; // of those, removed

        Search(TaskPatcher task, boolean[] candidates, boolean[] keep, double[] effects, Progress progress,
                long passesBefore, AcdcJournal journal) {
            this.task = task;
            this.g = task.graph();
            this.candidates = candidates;
            this.journal = journal;
            this.keep = keep;
            this.effects = effects;
            this.progress = progress;
            this.passesBefore = passesBefore;
            this.higherIsBetter = task.metric().higherIsBetter();
        }

        /** Decides the destinations first..last (one layer), from the last back, offering the journal each result. */
        void layer(int first, int last) {
            // the layer's passes below it, made once its first destination with edges to try needs them
            TaskPatcher.Prefixes[] prefixes = new TaskPatcher.Prefixes[1];
            try {
                for (int d = last; d >= first; d--) {
                    decideDestination(d, prefixes);
                    if (d == 0 || journal.due()) { // the last destination's state is always offered
                        journal.record(new AcdcState(candidates, d - 1, keep, effects, current, tried, evaluated, removed));
                    }
                }
            } finally {
                if (prefixes[0] != null) {
                    prefixes[0].close();
                }
            }
        }

        private void decideDestination(int d, TaskPatcher.Prefixes[] prefixes) {
            Destination dest = g.destinations().get(d);
            List<Edge> into = g.edgesInto(dest);
            List<Integer> trials = new ArrayList<>();
            for (int i = into.size() - 1; i >= 0; i--) {
                if (keep[into.get(i).index()]) {
                    trials.add(into.get(i).index());
                }
            }
            if (trials.isEmpty()) {
                return;
            }
            if (dest.node().kind() != NodeKind.LOGITS && !hasKeptOutEdge(dest.node())) {
                for (int e : trials) {
                    keep[e] = false;
                    effects[e] = 0.0;
                    tried++;
                }
                return;
            }
            if (!shareComputation) {
                decideOneByOne(trials);
                return;
            }
            if (prefixes[0] == null) {
                // edges into this layer and later ones are the only ones that change from here on
                prefixes[0] = task.prefixes(keep, dest.node().layer());
            }
            decide(prefixes[0], trials);
        }

        /** Tries the edges in order, k at a time, each trial assuming the earlier ones of its batch were removed. */
        private void decide(TaskPatcher.Prefixes prefixes, List<Integer> trials) {
            int next = 0;
            while (next < trials.size()) {
                int k = Math.min(speculation(), trials.size() - next);
                List<boolean[]> masks = new ArrayList<>();
                boolean[] mask = keep.clone();
                for (int j = 0; j < k; j++) {
                    mask[trials.get(next + j)] = false;
                    masks.add(mask.clone());
                }
                double[] values = task.evaluateKeep(prefixes, masks);
                int decided = 0;
                boolean keptOne = false;
                for (int j = 0; j < k && !keptOne; j++) {
                    decided++;
                    // a kept edge ends the batch: later trials assumed it removed and are redone
                    keptOne = !settle(trials.get(next + j), values[j]);
                }
                next += decided;
                progress.advance(tried, task.forwardPasses() - passesBefore);
            }
        }

        /**
         * ACDC's rule for one tried edge whose removal gives metric {@code after}: removed for good when the
         * damage is below tau (then {@code after} is the new current value), kept otherwise.
         *
         * @return whether the edge was removed
         */
        private boolean settle(int e, double after) {
            double damage = higherIsBetter ? current - after : after - current;
            effects[e] = after - current;
            tried++;
            evaluated++;
            boolean remove = damage < tau;
            keep[e] = !remove;
            if (remove) {
                current = after;
                removed++;
            }
            return remove;
        }

        /**
         * Trials per batched pass: the expected run of removals until the next kept edge, and no more than
         * one pass holds ({@link TaskPatcher#masksPerPass}): trials split over several passes would only
         * add the cost of those after a kept edge, which are redone.
         */
        private int speculation() {
            double removalRate = (removed + 9.0) / (evaluated + 10.0);
            int cap = Math.min(MAX_SPECULATION, task.masksPerPass());
            return (int) Math.max(1, Math.min(cap, Math.round(1 / Math.max(1e-3, 1 - removalRate))));
        }

        private void decideOneByOne(List<Integer> trials) {
            for (int e : trials) {
                keep[e] = false;
                settle(e, task.evaluateKeep(keep));
                progress.advance(tried, task.forwardPasses() - passesBefore);
            }
        }

        private boolean hasKeptOutEdge(Node node) {
            if (!node.isSource()) {
                return true;
            }
            for (Edge e : g.edgesOutOf(node)) {
                if (keep[e.index()]) {
                    return true;
                }
            }
            return false;
        }
    }

    private static boolean[] filled(int n) {
        boolean[] b = new boolean[n];
        Arrays.fill(b, true);
        return b;
    }
}

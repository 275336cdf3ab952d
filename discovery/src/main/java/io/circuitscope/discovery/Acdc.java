package io.circuitscope.discovery;

import io.circuitscope.core.graph.Circuit;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.Destination;
import io.circuitscope.core.graph.EdgeScores;
import io.circuitscope.core.graph.Node;
import io.circuitscope.core.graph.NodeKind;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.progress.Progress;
import java.util.Arrays;

/**
 * ACDC (Conmy et al. 2023). Destinations are visited from the logits back, in reverse topological
 * order; for each, its incoming edges from the latest source to the earliest. An edge is tentatively
 * patched; if that damages the metric by less than {@code tau} (damage = m_before - m_after for
 * metrics where higher is better, m_after - m_before for KL), it stays patched for good.
 *
 * <p>Exact shortcut: once all edges out of a node are decided, a node with no kept out-edge cannot
 * influence the logits, so its incoming edges are removed without a forward pass.
 */
public final class Acdc {
    private final double tau;

    public Acdc(double tau) {
        if (!(tau >= 0)) {
            throw new IllegalArgumentException("tau must be >= 0, got " + tau);
        }
        this.tau = tau;
    }

    public double tau() {
        return tau;
    }

    /**
     * Runs the search over {@code candidates} (edges outside start patched; null means every edge).
     *
     * @return the circuit; its scores hold each decided edge's exact effect, {@code m(after) - m(before)}
     *         at the moment it was tried, and NaN for edges never tried
     */
    public Circuit search(TaskPatcher task, boolean[] candidates, Progress progress) {
        ComputationGraph g = task.graph();
        boolean[] keep = candidates == null ? filled(g.nEdges()) : candidates.clone();
        double[] effects = new double[g.nEdges()];
        Arrays.fill(effects, Double.NaN);
        long toTry = 0;
        for (boolean k : keep) {
            toTry += k ? 1 : 0;
        }
        progress.start("ACDC verification (tau " + tau + ")", toTry);
        long passesBefore = task.forwardPasses();
        double current = task.evaluateKeep(keep);
        long tried = 0;
        boolean higherIsBetter = task.metric().higherIsBetter();
        for (int d = g.nDestinations() - 1; d >= 0; d--) {
            Destination dest = g.destinations().get(d);
            boolean dead = dest.node().kind() != NodeKind.LOGITS && !hasKeptOutEdge(g, keep, dest.node());
            java.util.List<io.circuitscope.core.graph.Edge> into = g.edgesInto(dest);
            for (int i = into.size() - 1; i >= 0; i--) {
                int e = into.get(i).index();
                if (!keep[e]) {
                    continue;
                }
                tried++;
                keep[e] = false;
                if (dead) {
                    effects[e] = 0.0;
                    continue;
                }
                double after = task.evaluateKeep(keep);
                double damage = higherIsBetter ? current - after : after - current;
                effects[e] = after - current;
                if (damage < tau) {
                    current = after;
                } else {
                    keep[e] = true;
                }
                progress.advance(tried, task.forwardPasses() - passesBefore);
            }
        }
        progress.finish();
        return Circuit.of(g, keep, new EdgeScores(g, effects));
    }

    private static boolean hasKeptOutEdge(ComputationGraph g, boolean[] keep, Node node) {
        if (!node.isSource()) {
            return true;
        }
        for (io.circuitscope.core.graph.Edge e : g.edgesOutOf(node)) {
            if (keep[e.index()]) {
                return true;
            }
        }
        return false;
    }

    private static boolean[] filled(int n) {
        boolean[] b = new boolean[n];
        Arrays.fill(b, true);
        return b;
    }
}

package io.circuitscope.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.Circuit;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.Destination;
import io.circuitscope.core.graph.Edge;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.NodeKind;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.progress.Progress;
import io.circuitscope.core.task.Metric;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.testing.TestModels;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * ACDC against the paper's loop written out plainly, one full patched pass per tried edge, with the damage's sign
 * taken from the README's definition of each metric's direction (lower is better for kl and rank, higher for the
 * others), not from the metric's own {@code higherIsBetter}: the same kept edges and the same recorded effects, for
 * every metric the command line offers and every ablation, on random small models, at a tau that keeps some tried
 * edges and removes others.
 */
class AcdcAgainstPlainLoopTest {
    static final Set<String> LOWER_IS_BETTER = Set.of("kl", "rank");

    @Property(tries = 9)
    void acdcDecidesAsThePlainLoopForEveryMetric(@ForAll @IntRange(min = 0, max = 10_000) int seed,
            @ForAll @IntRange(min = 1, max = 2) int layers, @ForAll @IntRange(min = 1, max = 2) int heads,
            @ForAll Ablation ablation) {
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(seed, layers, heads, 4, 23, 8, false))) {
            Task task = RandomTasks.make(loaded.model(), seed, 6, 5, false);
            EdgePatcher patcher = new EdgePatcher(loaded.model());
            for (Metric metric : Metrics.ALL) {
                if (metric == Metrics.LOGIT_DIFF_SWAPPED) {
                    continue; // RandomTasks' answers are not in swapped pairs; it reads as logit-diff
                }
                try (TaskPatcher tp = new TaskPatcher(patcher, task, metric, ablation, 4)) {
                    double gap = Math.abs(tp.cleanValue() - tp.corruptedValue());
                    if (gap < 1e-3) {
                        continue; // no behaviour to find (e.g. accuracy equal on both sides)
                    }
                    double tau = gap * 0.05;
                    String what = String.format(Locale.ROOT, "%s, %s ablation, seed %d, %d layers, %d heads, tau %.4g",
                            metric.name(), ablation.key(), seed, layers, heads, tau);
                    double[] effects = new double[tp.graph().nEdges()];
                    boolean[] expected = plainLoop(tp, tau, LOWER_IS_BETTER.contains(metric.name()), effects);
                    Circuit acdc = new Acdc(tau).search(tp, null, Progress.NONE);
                    Circuit reference = new Circuit(tp.graph(), bits(expected), null).pruned(ablation);
                    assertEquals(reference.edgeNames(), acdc.edgeNames(), what);
                    for (int e = 0; e < effects.length; e++) {
                        double got = acdc.scores().get(e);
                        if (Double.isNaN(effects[e])) {
                            continue;
                        }
                        assertEquals(effects[e], got, 1e-4, what + ": effect of " + tp.graph().edges().get(e).name());
                    }
                }
            }
        }
    }

    /**
     * ACDC's loop: destinations from the logits back, each one's kept in-edges from the latest source to the
     * earliest; an edge is removed when the damage of removing it is below tau, damage = m(before) - m(after) where
     * higher is better and m(after) - m(before) where lower is. A destination whose node has no kept out-edge left
     * (and is not the logits) loses its in-edges without a pass. {@code effects} gets m(after) - m(before) per
     * tried edge (0 for the shortcut, NaN otherwise).
     */
    static boolean[] plainLoop(TaskPatcher tp, double tau, boolean lowerIsBetter, double[] effects) {
        return plainLoop(tp.graph(), tp::evaluateKeep, tau, lowerIsBetter, effects);
    }

    /** The same loop with the metric of a keep mask from {@code metricOf} (the engine's patcher, or an oracle). */
    static boolean[] plainLoop(ComputationGraph g, java.util.function.ToDoubleFunction<boolean[]> metricOf, double tau,
            boolean lowerIsBetter, double[] effects) {
        boolean[] keep = new boolean[g.nEdges()];
        Arrays.fill(keep, true);
        Arrays.fill(effects, Double.NaN);
        double current = metricOf.applyAsDouble(keep);
        List<Destination> destinations = new ArrayList<>(g.destinations());
        for (int d = destinations.size() - 1; d >= 0; d--) {
            Destination dest = destinations.get(d);
            List<Edge> into = g.edgesInto(dest);
            boolean reachesLogits = dest.node().kind() == NodeKind.LOGITS
                    || g.edgesOutOf(dest.node()).stream().anyMatch(e -> keep[e.index()]);
            for (int i = into.size() - 1; i >= 0; i--) {
                int e = into.get(i).index();
                if (!keep[e]) {
                    continue;
                }
                if (!reachesLogits) {
                    keep[e] = false;
                    effects[e] = 0;
                    continue;
                }
                keep[e] = false;
                double after = metricOf.applyAsDouble(keep);
                effects[e] = after - current;
                double damage = lowerIsBetter ? after - current : current - after;
                if (damage < tau) {
                    current = after;
                } else {
                    keep[e] = true;
                }
            }
        }
        return keep;
    }

    private static BitSet bits(boolean[] keep) {
        BitSet b = new BitSet(keep.length);
        for (int i = 0; i < keep.length; i++) {
            b.set(i, keep[i]);
        }
        return b;
    }
}

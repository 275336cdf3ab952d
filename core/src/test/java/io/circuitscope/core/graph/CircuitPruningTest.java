package io.circuitscope.core.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.model.ModelConfig;
import io.circuitscope.core.task.Example;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Target;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.testing.TestModels;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * Pruning a circuit must not change what it computes under the ablation it is run with: under mean or
 * zero ablation a node with no kept in-edge outputs f(ablated input), not the ablated output, so its
 * out-edges are not no-ops there (they are under resampling).
 */
class CircuitPruningTest {
    private static final int VOCAB = 29;
    private static final double TOLERANCE = 1e-5;

    /** a0.h1 has no kept in-edge: its edge to the logits goes under resampling only. */
    @Test
    void aNodeWithoutKeptInEdgesKeepsItsOutEdgesUnlessResampling() {
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(3, 2, 2, 4, VOCAB, 8, false))) {
            EdgePatcher patcher = new EdgePatcher(loaded.model());
            Circuit circuit = Circuit.ofEdgeNames(patcher.graph(), List.of("input->logits", "a0.h1->logits"));
            for (Ablation ablation : Ablation.values()) {
                try (TaskPatcher tp = new TaskPatcher(patcher, task(5), Metrics.LOGIT_DIFF, ablation, 16)) {
                    Circuit pruned = circuit.pruned(ablation);
                    assertEquals(tp.evaluateKeep(circuit.keepMask()), tp.evaluateKeep(pruned.keepMask()), TOLERANCE,
                            ablation.name());
                    assertEquals(ablation != Ablation.RESAMPLE, pruned.contains("a0.h1->logits"), ablation.name());
                    if (ablation != Ablation.RESAMPLE) {
                        // EAP-IG's pruning drops the edge whatever the ablation, and that moves the metric
                        double eapIg = tp.evaluateKeep(circuit.prunedAsEapIg().keepMask());
                        assertTrue(Math.abs(eapIg - tp.evaluateKeep(circuit.keepMask())) > 1e-3, ablation.name());
                    }
                }
            }
        }
    }

    /** Edges into a node that reaches no logits through kept edges go under every ablation. */
    @Test
    void edgesIntoANodeThatReachesNoLogitsGoUnderEveryAblation() {
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(3, 2, 2, 4, VOCAB, 8, false))) {
            ComputationGraph g = new EdgePatcher(loaded.model()).graph();
            Circuit circuit = Circuit.ofEdgeNames(g, List.of("input->logits", "input->m0", "input->a1.h0<q>"));
            for (Ablation ablation : Ablation.values()) {
                assertEquals(List.of("input->logits"), circuit.pruned(ablation).edgeNames(), ablation.name());
            }
        }
    }

    /** Random edge subsets, sparse enough that some nodes lose every in-edge or every way to the logits. */
    @Property(tries = 25)
    void pruningNeverMovesTheMetric(@ForAll @IntRange(min = 0, max = 10_000) int seed,
            @ForAll @IntRange(min = 5, max = 40) int percentKept) {
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(seed, 2, 2, 4, VOCAB, 8, false))) {
            EdgePatcher patcher = new EdgePatcher(loaded.model());
            ComputationGraph g = patcher.graph();
            Circuit circuit = new Circuit(g, randomKept(g, seed, percentKept), null);
            Task task = task(seed);
            for (Ablation ablation : Ablation.values()) {
                try (TaskPatcher tp = new TaskPatcher(patcher, task, Metrics.LOGIT_DIFF, ablation, 16)) {
                    Circuit pruned = circuit.pruned(ablation);
                    assertTrue(circuit.edgeNames().containsAll(pruned.edgeNames()));
                    assertEquals(tp.evaluateKeep(circuit.keepMask()), tp.evaluateKeep(pruned.keepMask()), TOLERANCE,
                            String.format(Locale.ROOT, "%s, seed %d, %d%% kept: %d of %d edges pruned", ablation,
                                    seed, percentKept, circuit.edgeCount() - pruned.edgeCount(),
                                    circuit.edgeCount()));
                }
            }
        }
    }

    /**
     * pruned() keeps exactly the kept edges whose destination reaches the logits through kept edges (and,
     * under resampling or as EAP-IG prunes, whose source the input reaches), as a plain fixed-point
     * reachability over the edge list finds them, on random circuits over small graphs of every shape.
     */
    @Property(tries = 200)
    void pruningKeepsExactlyTheEdgesOnAKeptPathFromInputToLogits(@ForAll @IntRange(min = 0, max = 100_000) int seed,
            @ForAll @IntRange(min = 1, max = 3) int layers, @ForAll @IntRange(min = 1, max = 3) int heads,
            @ForAll boolean parallel, @ForAll @IntRange(min = 0, max = 3) int positions,
            @ForAll @IntRange(min = 0, max = 60) int percentKept) {
        ModelConfig config = ModelConfig.builder("gpt2").setSizes(heads, layers, heads, 1, 1, 1)
                .optParallelAttnMlp(parallel).build();
        ComputationGraph g = positions == 0 ? ComputationGraph.of(config) : ComputationGraph.byPosition(config, positions);
        BitSet kept = randomKept(g, seed, percentKept);
        Circuit circuit = new Circuit(g, kept, null);
        Set<Node> fromInput = reachable(g, kept, g.node("input"), true);
        Set<Node> toLogits = reachable(g, kept, g.node("logits"), false);
        BitSet towardLogits = new BitSet();
        BitSet inputToLogits = new BitSet();
        for (Edge e : circuit.edges()) {
            if (toLogits.contains(e.destination().node())) {
                towardLogits.set(e.index());
                if (fromInput.contains(e.source())) {
                    inputToLogits.set(e.index());
                }
            }
        }
        String shape = layers + "x" + heads + (parallel ? " parallel" : "") + ", " + positions + " positions, seed "
                + seed + ", " + percentKept + "% kept";
        for (Ablation ablation : Ablation.values()) {
            BitSet expected = ablation == Ablation.RESAMPLE ? inputToLogits : towardLogits;
            assertEquals(expected, kept(circuit.pruned(ablation)), ablation + ", " + shape);
        }
        assertEquals(inputToLogits, kept(circuit.prunedAsEapIg()), "EAP-IG, " + shape);
    }

    /** Nodes reached from {@code start} along kept edges, forward or backward, by repeating until nothing changes. */
    private static Set<Node> reachable(ComputationGraph g, BitSet kept, Node start, boolean forward) {
        Set<Node> reached = new HashSet<>(Set.of(start));
        boolean grew = true;
        while (grew) {
            grew = false;
            for (Edge e : g.edges()) {
                Node from = forward ? e.source() : e.destination().node();
                Node to = forward ? e.destination().node() : e.source();
                if (kept.get(e.index()) && reached.contains(from)) {
                    grew |= reached.add(to);
                }
            }
        }
        return reached;
    }

    private static BitSet kept(Circuit circuit) {
        BitSet b = new BitSet();
        circuit.edges().forEach(e -> b.set(e.index()));
        return b;
    }

    /** Six random examples of one length, so the mean ablation has several prompts to average. */
    private static Task task(long seed) {
        Random rng = new Random(seed);
        List<Example> examples = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            int[] clean = new int[5];
            int[] corrupt = new int[5];
            for (int p = 0; p < clean.length; p++) {
                clean[p] = rng.nextInt(VOCAB);
                corrupt[p] = rng.nextInt(VOCAB);
            }
            int correct = rng.nextInt(VOCAB);
            examples.add(new Example(clean, corrupt, List.of(new Target(-1, correct, (correct + 1) % VOCAB))));
        }
        return new Task("random", examples);
    }

    /** Each edge of g kept with probability percentKept/100, drawn from seed. */
    private static BitSet randomKept(ComputationGraph g, int seed, int percentKept) {
        Random rng = new Random(seed);
        BitSet kept = new BitSet(g.nEdges());
        for (int e = 0; e < g.nEdges(); e++) {
            if (rng.nextInt(100) < percentKept) {
                kept.set(e);
            }
        }
        return kept;
    }
}

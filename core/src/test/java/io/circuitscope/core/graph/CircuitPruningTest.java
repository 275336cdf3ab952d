package io.circuitscope.core.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.task.Example;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Target;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.testing.TestModels;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
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
            Random rng = new Random(seed);
            BitSet kept = new BitSet(g.nEdges());
            for (int e = 0; e < g.nEdges(); e++) {
                if (rng.nextInt(100) < percentKept) {
                    kept.set(e);
                }
            }
            Circuit circuit = new Circuit(g, kept, null);
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
}

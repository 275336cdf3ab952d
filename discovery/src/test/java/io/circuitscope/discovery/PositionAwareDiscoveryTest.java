package io.circuitscope.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.Circuit;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.Edge;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.EdgeScores;
import io.circuitscope.core.graph.Port;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.progress.Progress;
import io.circuitscope.core.task.Example;
import io.circuitscope.core.task.Metric;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Target;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.testing.TestModels;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Scorers and ACDC on edges split by token position. Gradient scorers are linear in the coefficients,
 * so a whole edge's score is the sum of its positions' scores; causality makes every edge before the
 * first corrupted position exactly irrelevant.
 */
class PositionAwareDiscoveryTest {
    static final int LENGTH = 6;
    static final int CORRUPTED_POSITION = 3;

    /** Prompts that differ from their corrupted version at one position only. */
    static Task oneCorruptedPosition(HookedTransformer model, long seed) {
        Random rng = new Random(seed);
        int vocab = model.config().vocabSize();
        List<Example> examples = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            int[] clean = new int[LENGTH];
            for (int p = 0; p < LENGTH; p++) {
                clean[p] = rng.nextInt(vocab);
            }
            int[] corrupt = clean.clone();
            corrupt[CORRUPTED_POSITION] = (clean[CORRUPTED_POSITION] + 1 + rng.nextInt(vocab - 1)) % vocab;
            examples.add(new Example(clean, corrupt, List.of(new Target(-1, rng.nextInt(vocab), rng.nextInt(vocab)))));
        }
        return new Task("one-position", examples);
    }

    private static TaskPatcher patcher(LoadedModel loaded, Task task, boolean byPosition, Metric metric) {
        ComputationGraph g = byPosition ? ComputationGraph.byPosition(loaded.model().config(), LENGTH)
                : ComputationGraph.of(loaded.model().config());
        return new TaskPatcher(new EdgePatcher(loaded.model(), g), task, metric, Ablation.RESAMPLE, 8);
    }

    private static double[] summedOverPositions(EdgeScores split) {
        return new Circuit(split.graph(), new java.util.BitSet(), split).acrossPositions().scores().values();
    }

    @Test
    void gradientScoresOfAWholeEdgeAreTheSumOverItsPositions() {
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(31, 2, 2, 4, 23, 8, false))) {
            Task task = RandomTasks.make(loaded.model(), 5, 3, LENGTH, false);
            try (TaskPatcher whole = patcher(loaded, task, false, Metrics.LOGIT_DIFF);
                    TaskPatcher split = patcher(loaded, task, true, Metrics.LOGIT_DIFF)) {
                for (EdgeScorer scorer : new EdgeScorer[] {new Eap(), new EapIg(3), new RelP(false)}) {
                    double[] expected = scorer.score(whole, Progress.NONE).values();
                    double[] summed = summedOverPositions(scorer.score(split, Progress.NONE));
                    double scale = java.util.Arrays.stream(expected).map(Math::abs).max().orElse(1);
                    assertTrue(scale > 1e-3, scorer.key() + ": the task must have effects");
                    for (int e = 0; e < expected.length; e++) {
                        assertEquals(expected[e], summed[e], 1e-4 * scale,
                                scorer.key() + " " + whole.graph().edges().get(e));
                    }
                }
                // AtP*'s QK fix recomputes a query's softmax row per position: also additive for queries
                double[] expected = new AtpStar().qkFixedEstimate(whole);
                double[] summed = summedOverPositions(new EdgeScores(split.graph(), new AtpStar().qkFixedEstimate(split)));
                for (Edge e : whole.graph().edges()) {
                    if (e.destination().port() == Port.Q) {
                        assertEquals(expected[e.index()], summed[e.index()], 1e-4, "AtP* QK fix " + e);
                    }
                }
            }
        }
    }

    @Test
    void aKeyEdgeFromTheInputMattersOnlyAtTheCorruptedPosition() {
        // the embedding differs only at one position, so patching its edge into a key at every position
        // is patching it at that position: AtP*'s per-position key recomputation must agree
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(37, 2, 2, 4, 23, 8, false))) {
            Task task = oneCorruptedPosition(loaded.model(), 2);
            try (TaskPatcher whole = patcher(loaded, task, false, Metrics.LOGIT_DIFF);
                    TaskPatcher split = patcher(loaded, task, true, Metrics.LOGIT_DIFF)) {
                double[] agnostic = new AtpStar().qkFixedEstimate(whole);
                double[] byPosition = new AtpStar().qkFixedEstimate(split);
                int checked = 0;
                for (Edge e : split.graph().edges()) {
                    if (e.source().name().equals("input") && e.destination().port() == Port.K) {
                        double v = byPosition[e.index()];
                        if (e.position() == CORRUPTED_POSITION) {
                            String name = e.name().substring(0, e.name().indexOf('@'));
                            double w = agnostic[whole.graph().edge(name).index()];
                            assertEquals(w, v, 1e-5 + 1e-4 * Math.abs(w), e.name());
                            checked += Math.abs(w) > 1e-6 ? 1 : 0;
                        } else {
                            assertEquals(0.0, v, 1e-7, e.name());
                        }
                    }
                }
                assertTrue(checked > 0, "some key edge from the input must matter");
            }
        }
    }

    @Test
    void exactPatchingAndAcdcIgnoreEveryEdgeBeforeTheFirstCorruptedPosition() {
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(41, 2, 2, 4, 23, 8, false))) {
            Task task = oneCorruptedPosition(loaded.model(), 3);
            try (TaskPatcher split = patcher(loaded, task, true, Metrics.KL)) {
                EdgeScores exact = new ExhaustivePatching(64).score(split, Progress.NONE);
                // tau 1e-6, not 0: at tau 0 ACDC keeps edges whose damage is exactly 0 (it removes when damage < tau)
                Circuit acdc = new Acdc(1e-6).search(split, null, Progress.NONE);
                int mattering = 0;
                for (Edge e : split.graph().edges()) {
                    if (e.position() < CORRUPTED_POSITION) {
                        assertEquals(0.0, exact.get(e.index()), 1e-6, e.name());
                        assertTrue(!acdc.contains(e.index()), "ACDC kept " + e.name() + " though nothing differs there");
                    } else if (Math.abs(exact.get(e.index())) > 1e-4) {
                        mattering++;
                        assertTrue(acdc.contains(e.index()), "ACDC at tau 1e-6 dropped " + e.name() + " with effect "
                                + exact.get(e.index()));
                    }
                }
                assertTrue(mattering > 0);
                // patching outside the circuit leaves the clean behaviour (tiny tau on KL)
                assertEquals(split.cleanValue(), split.evaluateKeep(acdc.keepMask()), 1e-4);
            }
        }
    }
}

package io.circuitscope.validation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.Circuit;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.EdgeScores;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.progress.Progress;
import io.circuitscope.core.task.Example;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Target;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.testing.TestModels;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class CircuitValidatorTest {
    static LoadedModel loaded;
    static TaskPatcher task;
    static TaskPatcher meanAblated;

    @BeforeAll
    static void setUp() {
        loaded = TestModels.load(TinyCheckpoint.gpt2(47, 2, 2, 4, 23, 8, false));
        HookedTransformer model = loaded.model();
        Random rng = new Random(9);
        List<Example> examples = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            int[] clean = new int[5];
            int[] corrupt = new int[5];
            for (int p = 0; p < 5; p++) {
                clean[p] = rng.nextInt(23);
                corrupt[p] = rng.nextInt(23);
            }
            float[] l = model.logits(clean)[4];
            int best = 0;
            for (int v = 1; v < l.length; v++) {
                best = l[v] > l[best] ? v : best;
            }
            examples.add(new Example(clean, corrupt, List.of(new Target(-1, best, (best + 1) % 23))));
        }
        task = new TaskPatcher(new EdgePatcher(model), new Task("t", examples), Metrics.LOGIT_DIFF, Ablation.RESAMPLE, 8);
        meanAblated = new TaskPatcher(new EdgePatcher(model), new Task("t", examples), Metrics.LOGIT_DIFF, Ablation.MEAN, 8);
    }

    /**
     * The bar stopped before the completeness passes: it said "4/4, 6 forward passes" while the report's
     * forward_passes was 12.
     */
    @Test
    void progressCountsEveryPassTheReportCounts() {
        long[] total = {0};
        long[] done = {0};
        long[] passes = {0};
        Progress recording = new Progress() {
            @Override
            public void start(String stage, long t) {
                total[0] = t;
            }

            @Override
            public void advance(long d, long forwardPasses) {
                done[0] = d;
                passes[0] = forwardPasses;
            }

            @Override
            public void finish() {
            }
        };
        ValidationReport r = new CircuitValidator(new ValidationSettings(0.8, 0.2, 0.01, 5, 20, 0.95, 1))
                .validate(task, Circuit.full(task.graph()), recording);
        assertTrue(r.forwardPasses() > 0);
        assertEquals(r.forwardPasses(), passes[0], "the last advance counts the completeness passes too");
        assertEquals(total[0], done[0], "every stage advanced");
    }

    @AfterAll
    static void tearDown() {
        task.close();
        meanAblated.close();
        loaded.close();
    }

    @Test
    void theWholeModelIsFaithfulAndSufficientAndTheEmptyCircuitIsNot() {
        CircuitValidator v = new CircuitValidator(new ValidationSettings(0.8, 0.2, 0.01, 5, 200, 0.95, 1));
        ValidationReport full = v.validate(task, Circuit.full(task.graph()), Progress.NONE);
        assertEquals(1.0, full.faithfulness().value(), 1e-5);
        assertTrue(full.sufficient());
        assertEquals(0.0, full.complementFaithfulness().value(), 1e-5);
        assertTrue(full.necessary());
        assertEquals(0.0, full.incompleteness().value(), 1e-5, "the full model is complete by definition");
        assertTrue(full.faithfulness().low() <= 1.0 + 1e-9 && full.faithfulness().high() >= 1.0 - 1e-9);
        ValidationReport empty = v.validate(task, Circuit.empty(task.graph()), Progress.NONE);
        assertEquals(0.0, empty.faithfulness().value(), 1e-5);
        assertFalse(empty.sufficient());
    }

    /**
     * Incompleteness |F(C \ K) - F(M \ K)| / gap: a circuit without heads or MLPs (the empty one) has only K = {}, so
     * it is |F(C) - F(M)|, 1 for the empty circuit, where it read 0, "complete"; with no subsets drawn (completeness
     * samples 0) it was not measured and is NaN (null in circuit.json), where it also read 0.
     */
    @Test
    void theEmptyCircuitIsIncompleteAndNoSubsetsMeasureNothing() {
        ValidationReport empty = new CircuitValidator(new ValidationSettings(0.8, 0.2, 0.01, 5, 0, 0.95, 1))
                .validate(task, Circuit.empty(task.graph()), Progress.NONE);
        assertEquals(1.0, empty.incompleteness().value(), 1e-5, "|F(empty) - F(M)| with F(M) = 1, F(empty) = 0");
        assertEquals(1.0, empty.maxIncompleteness(), 1e-5);
        ValidationReport unmeasured = new CircuitValidator(new ValidationSettings(0.8, 0.2, 0.01, 0, 0, 0.95, 1))
                .validate(task, Circuit.empty(task.graph()), Progress.NONE);
        assertTrue(Double.isNaN(unmeasured.incompleteness().value()), unmeasured.incompleteness().toString());
        assertTrue(Double.isNaN(unmeasured.maxIncompleteness()), "max " + unmeasured.maxIncompleteness());
    }

    @Test
    void aTaskWhoseCorruptionChangesNothingIsRefusedInsteadOfGivingARatioOfRoundOff() {
        List<Example> unchanged = new ArrayList<>();
        for (Example e : task.task().examples()) {
            unchanged.add(new Example(e.clean(), e.clean().clone(), e.targets()));
        }
        try (TaskPatcher same = new TaskPatcher(new EdgePatcher(loaded.model()), new Task("same", unchanged),
                Metrics.LOGIT_DIFF, Ablation.RESAMPLE, 8)) {
            CircuitValidator v = new CircuitValidator(new ValidationSettings(0.8, 0.2, 0.01, 5, 200, 0.95, 1));
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> v.validate(same, Circuit.full(same.graph()), Progress.NONE));
            assertTrue(e.getMessage().contains("task 'same': the corrupted prompts barely change the metric"),
                    e.getMessage());
        }
    }

    @Test
    void removingAComponentThatMattersFailsMinimalityOnlyWhenItIsMissing() {
        // Circuit = every edge. The most important single edge must have a minimality score above threshold,
        // and an edge into a dead end (removed by construction) is reported as not minimal.
        CircuitValidator v = new CircuitValidator(new ValidationSettings(0.8, 0.2, 0.01, 0, 0, 0.95, 1));
        ValidationReport full = v.validate(task, Circuit.full(task.graph()), Progress.NONE);
        ValidationReport.ComponentScore best = full.components().stream()
                .max(java.util.Comparator.comparingDouble(ValidationReport.ComponentScore::score)).orElseThrow();
        assertTrue(best.minimal() && best.score() > 0.05, best.toString());
        assertFalse(full.minimal(), "a full random model has edges whose removal barely matters");
        assertTrue(full.nonMinimal().size() < full.components().size());
    }

    /**
     * A circuit with one head (input->a0.h0->logits plus input->logits) has a single knockable node, so every
     * completeness sample knocks out either nothing or a0.h0: the worst incompleteness is the larger of
     * |F(C) - F(M)| and |F(C \ h) - F(M \ h)| over |clean - corrupted|, and each edge's and the head's
     * minimality score is F(C) minus F of the circuit without it, all computed here from plain passes.
     */
    @Test
    void aOneHeadCircuitsIncompletenessAndMinimalityScoresMatchHandBuiltMasks() {
        io.circuitscope.core.graph.ComputationGraph g = task.graph();
        io.circuitscope.core.graph.Node head = g.node("a0.h0");
        io.circuitscope.core.graph.Node input = g.node("input");
        int n = g.nEdges();
        boolean[] keep = new boolean[n];
        boolean[] full = new boolean[n];
        for (io.circuitscope.core.graph.Edge e : g.edges()) {
            boolean toLogits = e.destination().node().name().equals("logits");
            keep[e.index()] = e.source() == input && (toLogits || e.destination().node() == head)
                    || e.source() == head && toLogits;
            full[e.index()] = true;
        }
        boolean[] keepWithoutHead = keep.clone();
        boolean[] fullWithoutHead = full.clone();
        for (io.circuitscope.core.graph.Edge e : g.edges()) {
            if (e.source() == head) {
                keepWithoutHead[e.index()] = false;
                fullWithoutHead[e.index()] = false;
            }
        }
        double gap = task.cleanValue() - task.corruptedValue();
        java.util.function.ToDoubleFunction<boolean[]> faith = m -> (task.evaluateKeep(m) - task.corruptedValue()) / gap;
        double none = Math.abs(faith.applyAsDouble(keep) - faith.applyAsDouble(full));
        double knocked = Math.abs(faith.applyAsDouble(keepWithoutHead) - faith.applyAsDouble(fullWithoutHead));
        assertTrue(Math.abs(none - knocked) > 0.01, "the two samples must differ: " + none + " vs " + knocked);

        Circuit circuit = Circuit.of(g, keep, null);
        ValidationReport r = new CircuitValidator(new ValidationSettings(0.8, 0.2, 0.01, 20, 0, 0.95, 1))
                .validate(task, circuit, Progress.NONE);
        assertEquals(Math.max(none, knocked), r.maxIncompleteness(), 1e-5);
        assertTrue(r.incompleteness().value() >= Math.min(none, knocked) - 1e-5
                && r.incompleteness().value() <= Math.max(none, knocked) + 1e-5
                && r.incompleteness().value() < r.maxIncompleteness(), r.incompleteness() + " mixes both samples");

        double f = faith.applyAsDouble(keep);
        assertEquals(f, r.faithfulness().value(), 1e-5);
        boolean[] complement = new boolean[n];
        for (int i = 0; i < n; i++) {
            complement[i] = !keep[i];
        }
        double necessity = faith.applyAsDouble(complement);
        assertEquals(necessity, r.complementFaithfulness().value(), 1e-5);
        assertTrue(Math.abs(necessity - 0.2) > 0.01, "not at the necessity threshold: " + necessity);
        assertEquals(necessity <= 0.2, r.necessary(), "necessity " + necessity);
        assertEquals(circuit.edgeCount() + 1, r.components().size(), "every edge and the head");
        for (ValidationReport.ComponentScore c : r.components()) {
            boolean[] without = c.node() ? keepWithoutHead : keep.clone();
            if (!c.node()) {
                without[g.edge(c.name()).index()] = false;
            }
            assertEquals(f - faith.applyAsDouble(without), c.score(), 1e-5, c.name());
            assertEquals(Math.abs(c.score()) >= 0.01, c.minimal(), c.name());
        }
    }

    /** Exact per-edge scores: m(edge alone patched) - m(clean), the convention of {@link EdgeScores}. */
    private static double[] exactScores() {
        int n = task.graph().nEdges();
        List<boolean[]> masks = new ArrayList<>();
        for (int e = 0; e < n; e++) {
            boolean[] m = new boolean[n];
            java.util.Arrays.fill(m, true);
            m[e] = false;
            masks.add(m);
        }
        double[] values = task.evaluateKeep(masks);
        double[] exact = new double[n];
        for (int e = 0; e < n; e++) {
            exact[e] = values[e] - task.cleanValue();
        }
        return exact;
    }

    /** Edge indices sorted by {@code key} descending, ties by index: written here, not taken from EdgeScores. */
    private static int[] rankBy(double[] scores, java.util.function.DoubleUnaryOperator key) {
        return java.util.stream.IntStream.range(0, scores.length).boxed()
                .sorted(java.util.Comparator.<Integer>comparingDouble(i -> -key.applyAsDouble(scores[i]))
                        .thenComparingInt(i -> i))
                .mapToInt(Integer::intValue).toArray();
    }

    /** (m - m(empty)) / (m(full) - m(empty)) of the top (int)(k * n) edges of {@code ranking}, for each k. */
    private static double[] faithfulnessOfTopK(int[] ranking, double[] fractions) {
        double[] f = new double[fractions.length];
        for (int k = 0; k < fractions.length; k++) {
            boolean[] keep = new boolean[ranking.length];
            for (int i = 0; i < (int) (fractions[k] * ranking.length); i++) {
                keep[ranking[i]] = true;
            }
            f[k] = (task.evaluateKeep(keep) - task.corruptedValue()) / (task.cleanValue() - task.corruptedValue());
        }
        return f;
    }

    private static double trapezoidArea(double[] x, double[] y) {
        double area = 0;
        for (int k = 1; k < x.length; k++) {
            area += (x[k] - x[k - 1]) * (y[k] + y[k - 1]) / 2;
        }
        return area;
    }

    /**
     * The curve recomputed here from its definition (MIB, prior-work 2f): CPR is the area under
     * faithfulness with edges ranked by signed contribution (logit difference: higher is better, so the
     * most negative score m(patched) - m(clean) first), CMD the area under |1 - f| ranked by |score|.
     */
    @Test
    void faithfulnessCurveIsMibsCprAndCmdAndTheExactRankingBeatsItsReverse() {
        double[] exact = exactScores();
        double[] mibGrid = {0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0};
        FaithfulnessCurve curve = FaithfulnessCurve.of(task, new EdgeScores(task.graph(), exact));
        assertArrayEquals(mibGrid, curve.fractions(), 0);

        double[] signedF = faithfulnessOfTopK(rankBy(exact, s -> -s), mibGrid);
        double[] absF = faithfulnessOfTopK(rankBy(exact, Math::abs), mibGrid);
        double[] absGap = java.util.Arrays.stream(absF).map(f -> Math.abs(1 - f)).toArray();
        assertArrayEquals(signedF, curve.signedFaithfulness(), 1e-5);
        assertArrayEquals(absF, curve.absoluteFaithfulness(), 1e-5);
        assertEquals(1.0, signedF[mibGrid.length - 1], 1e-5);
        assertEquals(trapezoidArea(mibGrid, signedF), curve.cpr(), 1e-6);
        assertEquals(trapezoidArea(mibGrid, absGap), curve.cmd(), 1e-6);

        // The exact ranking read backwards (least important edge first) must recover the behaviour later.
        int[] exactOrder = rankBy(exact, Math::abs);
        double[] reversed = new double[exact.length];
        for (int r = 0; r < exactOrder.length; r++) {
            reversed[exactOrder[r]] = r + 1;
        }
        FaithfulnessCurve backwards = FaithfulnessCurve.of(task, new EdgeScores(task.graph(), reversed));
        System.out.printf("CPR %.3f CMD %.3f; reversed ranking CMD %.3f%n", curve.cpr(), curve.cmd(), backwards.cmd());
        assertTrue(curve.cmd() < backwards.cmd(), curve.cmd() + " vs reversed " + backwards.cmd());
    }

    /**
     * MIB evaluates each top-k circuit with EAP-IG's evaluate_graph, which prunes it first: edges out of nodes the
     * input does not reach through kept edges, and into nodes that reach no logits. Under mean ablation a node cut off
     * from the input outputs f(mean inputs), not the mean a removed edge carries, so pruning changes the metric; the
     * curve was computed on the unpruned top k. Pruning is written out here (reachability over the kept edges).
     */
    @Test
    void underMeanAblationEachTopKCircuitIsPrunedAsMibEvaluatesIt() {
        ComputationGraph g = meanAblated.graph();
        double[] scores = new Random(5).doubles(g.nEdges(), -1, 1).toArray();
        FaithfulnessCurve curve = FaithfulnessCurve.of(meanAblated, new EdgeScores(g, scores));
        int[] signed = rankBy(scores, s -> -s);
        int differs = 0;
        for (int k = 0; k < curve.fractions().length; k++) {
            boolean[] keep = new boolean[g.nEdges()];
            for (int i = 0; i < (int) (curve.fractions()[k] * g.nEdges()); i++) {
                keep[signed[i]] = true;
            }
            boolean[] pruned = prunedByHand(g, keep);
            double gap = meanAblated.cleanValue() - meanAblated.corruptedValue();
            double want = (meanAblated.evaluateKeep(pruned) - meanAblated.corruptedValue()) / gap;
            double unpruned = (meanAblated.evaluateKeep(keep) - meanAblated.corruptedValue()) / gap;
            assertEquals(want, curve.signedFaithfulness()[k], 1e-5, "fraction " + curve.fractions()[k]);
            differs += Math.abs(want - unpruned) > 1e-4 ? 1 : 0;
        }
        assertTrue(differs > 0, "pruning must change some top-k circuit's metric here, or this test shows nothing");
    }

    private static boolean[] prunedByHand(ComputationGraph g, boolean[] keep) {
        java.util.Set<String> fromInput = new java.util.HashSet<>(List.of("input"));
        java.util.Set<String> toLogits = new java.util.HashSet<>(List.of("logits"));
        for (boolean grew = true; grew;) {
            grew = false;
            for (io.circuitscope.core.graph.Edge e : g.edges()) {
                if (keep[e.index()] && fromInput.contains(e.source().name())) {
                    grew |= fromInput.add(e.destination().node().name());
                }
                if (keep[e.index()] && toLogits.contains(e.destination().node().name())) {
                    grew |= toLogits.add(e.source().name());
                }
            }
        }
        boolean[] out = new boolean[keep.length];
        for (io.circuitscope.core.graph.Edge e : g.edges()) {
            out[e.index()] = keep[e.index()] && fromInput.contains(e.source().name())
                    && toLogits.contains(e.destination().node().name());
        }
        return out;
    }

    /** MIB truncates: on GPT-2 small's 32,491 edges its smallest circuits hold 32, 64 and 162 edges, not 65 or 16,246. */
    @Test
    void circuitSizesAreMibsToTheEdge() {
        int[] expected = {32, 64, 162, 324, 649, 1624, 3249, 6498, 16245, 32491};
        for (int k = 0; k < expected.length; k++) {
            assertEquals(expected[k], FaithfulnessCurve.edgesAt(FaithfulnessCurve.MIB_FRACTIONS[k], 32491),
                    FaithfulnessCurve.MIB_FRACTIONS[k] + " of 32491");
        }
    }
}

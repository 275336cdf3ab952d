package io.circuitscope.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.Destination;
import io.circuitscope.core.graph.Edge;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.EdgeScores;
import io.circuitscope.core.graph.NodeKind;
import io.circuitscope.core.graph.Port;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.hook.HookName;
import io.circuitscope.core.hook.HookSite;
import io.circuitscope.core.hook.Hooks;
import io.circuitscope.core.hook.Intervention;
import io.circuitscope.core.hook.Selection;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.model.GradientRules;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.progress.Progress;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.testing.TestModels;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class AtpStarAndRelPTest {

    /** GPT-2, and a grouped-query, rotary, RMSNorm model (each key input feeds the shared key projection of its group). */
    static Stream<TinyCheckpoint> qkModels() {
        return Stream.of(TinyCheckpoint.gpt2(29, 2, 3, 4, 23, 8, false),
                TinyCheckpoint.llamaFamily("llama", 31, 2, 4, 2, 4, 12, 20, 23, 16, false, false),
                TinyCheckpoint.llamaFamily("qwen3", 33, 2, 4, 2, 4, 12, 20, 23, 16, false, false),
                TinyCheckpoint.llamaFamily("gemma2", 35, 2, 4, 2, 4, 12, 20, 23, 16, true, false));
    }

    @ParameterizedTest
    @MethodSource("qkModels")
    void qkFixTracksExactPatchingOfQueryAndKeyEdgesBetterThanLinearAttribution(TinyCheckpoint checkpoint) {
        try (LoadedModel loaded = TestModels.load(checkpoint)) {
            Task task = RandomTasks.make(loaded.model(), 12, 4, 6, false);
            try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model()), task, Metrics.LOGIT_DIFF,
                    Ablation.RESAMPLE, 8)) {
                EdgeScores exact = new ExhaustivePatching(64).score(tp, Progress.NONE);
                EdgeScores eap = new Eap().score(tp, Progress.NONE);
                // the QK-fixed estimate itself (GradDrop, combined into the AtP* score, is a ranking aid, not an estimate)
                EdgeScores star = new EdgeScores(tp.graph(), new AtpStar(4).qkFixedEstimate(tp));
                double eapError = 0;
                double starError = 0;
                int count = 0;
                for (Edge e : tp.graph().edges()) {
                    Port port = e.destination().port();
                    if (port == Port.Q || port == Port.K) {
                        eapError += Math.abs(eap.get(e.index()) - exact.get(e.index()));
                        starError += Math.abs(star.get(e.index()) - exact.get(e.index()));
                        count++;
                    }
                }
                System.out.printf("q/k edges: mean |EAP - exact| %.5f, mean |AtP* QK fix - exact| %.5f over %d edges%n",
                        eapError / count, starError / count, count);
                assertTrue(starError < eapError, "QK fix must reduce the error on query/key edges");
            }
        }
    }

    /**
     * The QK fix of an edge into the last layer's query or key is (pattern after patching that edge - clean
     * pattern) . dm/dpattern. The patched pattern here comes from an exact edge-patched pass, so this holds
     * the fix's own recomputation of the pattern (through the post-attention norm with sandwich norms) to it.
     */
    @ParameterizedTest
    @MethodSource("qkModels")
    void qkFixOfAnEdgeIsTheExactPatternChangeTimesThePatternGradient(TinyCheckpoint checkpoint) {
        try (LoadedModel loaded = TestModels.load(checkpoint)) {
            HookedTransformer model = loaded.model();
            Task task = RandomTasks.make(model, 14, 4, 6, false);
            try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(model), task, Metrics.LOGIT_DIFF, Ablation.RESAMPLE, 8)) {
                double[] fixed = new AtpStar(4).qkFixedEstimate(tp);
                ComputationGraph g = tp.graph();
                int last = model.config().nLayers() - 1;
                HookName pattern =
                        HookName.of(HookSite.PATTERN, last);
                for (String name : new String[] {"a0.h1->a1.h2<q>", "a0.h2->a1.h0<k>", "m0->a1.h1<q>", "input->a1.h2<k>"}) {
                    Edge edge = g.edge(name);
                    double expected = 0;
                    for (TaskPatcher.PreparedBatch p : tp.batches()) {
                        try (NDManager run = tp.manager().newSubManager()) {
                            int[][] clean = p.batch().clean();
                            NDArray leaf = run.zeros(new Shape(clean.length,
                                    model.config().nHeads(), clean[0].length, clean[0].length));
                            leaf.setRequiresGradient(true);
                            NDArray[] cleanPattern = new NDArray[1];
                            try (GradientCollector gc =
                                    Engine.getInstance().newGradientCollector()) {
                                NDArray logits = model.forward(run, clean, Hooks.of(
                                        Intervention.apply(pattern,
                                                Selection.all(), "record", x -> {
                                                    cleanPattern[0] = x.stopGradient().duplicate();
                                                    return x.add(leaf);
                                                })), GradientRules.EXACT, p.batch().logitPositions());
                                gc.backward(tp.metricShare(p, logits));
                            }
                            boolean[] keep = new boolean[g.nEdges()];
                            Arrays.fill(keep, true);
                            keep[edge.index()] = false;
                            NDArray[] patchedPattern = new NDArray[1];
                            tp.patcher().forward(run, clean, p.patched(), tp.patcher().coefficients(run, keep),
                                    GradientRules.EXACT, List.of(Intervention.apply(
                                            pattern, Selection.all(), "record", x -> {
                                                patchedPattern[0] = x.duplicate();
                                                return x;
                                            })), p.batch().logitPositions());
                            expected += patchedPattern[0].sub(cleanPattern[0]).mul(leaf.getGradient()).sum().getFloat();
                        }
                    }
                    assertTrue(Math.abs(expected) > 1e-6, name + ": the patch must move the pattern");
                    assertEquals(expected, fixed[edge.index()], 1e-4 * Math.abs(expected) + 1e-6, name);
                }
            }
        }
    }

    @Test
    void oneLayerAtpStarEqualsEapOnValueMlpAndLogitEdges() {
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(37, 1, 2, 4, 23, 8, false))) {
            Task task = RandomTasks.make(loaded.model(), 3, 3, 5, false);
            try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model()), task, Metrics.LOGIT_DIFF,
                    Ablation.RESAMPLE, 8)) {
                EdgeScores eap = new Eap().score(tp, Progress.NONE);
                EdgeScores star = new AtpStar().score(tp, Progress.NONE);
                for (Edge e : tp.graph().edges()) {
                    Port port = e.destination().port();
                    if (port != Port.Q && port != Port.K) {
                        assertEquals(eap.get(e.index()), star.get(e.index()), 1e-6, e.name());
                    }
                }
            }
        }
    }

    /**
     * AtP*'s score is its QK-fixed estimate; GradDrop only ranks. Checked against per-prompt EAP on
     * edges into the logits and into the last layer, where dropping any earlier layer changes no
     * gradient: their GradDrop is the mean over prompts of |EAP of that prompt| (the own layer's term,
     * 0, is left out of the average; the logits have none).
     */
    @Test
    void atpStarScoresAreTheQkFixedEstimateAndGradDropOnlyRanks() {
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(41, 3, 2, 4, 23, 8, false))) {
            Task task = RandomTasks.make(loaded.model(), 5, 4, 5, false);
            int layers = loaded.model().config().nLayers();
            try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model()), task, Metrics.LOGIT_DIFF,
                    Ablation.RESAMPLE, 8)) {
                ComputationGraph g = tp.graph();
                EdgeScores star = new AtpStar().score(tp, Progress.NONE);
                assertTrue(star.hasOwnImportance());
                double[] fixed = new AtpStar().qkFixedEstimate(tp);
                double[] meanAbsolutePerPrompt = new double[g.nEdges()];
                for (int p = 0; p < task.examples().size(); p++) {
                    Task one = new Task("prompt " + p, List.of(task.examples().get(p)));
                    try (TaskPatcher single = new TaskPatcher(new EdgePatcher(loaded.model()), one, Metrics.LOGIT_DIFF,
                            Ablation.RESAMPLE, 8)) {
                        double[] eap = new Eap().score(single, Progress.NONE).values();
                        for (int e = 0; e < eap.length; e++) {
                            meanAbsolutePerPrompt[e] += Math.abs(eap[e]) / task.examples().size();
                        }
                    }
                }
                int checked = 0;
                int gradDropRanks = 0;
                for (Edge e : g.edges()) {
                    assertEquals(fixed[e.index()], star.get(e.index()), 1e-9, e.name() + ": the score is the QK-fixed estimate");
                    assertTrue(star.importance(e.index()) >= Math.abs(star.get(e.index())) - 1e-12, e.name());
                    boolean lateDestination = e.destination().node().kind() == NodeKind.LOGITS
                            || e.destination().node().layer() == layers - 1;
                    if (lateDestination) {
                        double expected = Math.max(Math.abs(fixed[e.index()]), meanAbsolutePerPrompt[e.index()]);
                        assertEquals(expected, star.importance(e.index()), 1e-5 * (1 + expected), e.name());
                        checked++;
                        gradDropRanks += meanAbsolutePerPrompt[e.index()] > Math.abs(fixed[e.index()]) + 1e-6 ? 1 : 0;
                    }
                }
                assertTrue(checked > 20, "checked " + checked + " edges");
                assertTrue(gradDropRanks > 0, "some edge's per-prompt effects cancel, so GradDrop raises its importance");
            }
        }
    }

    /**
     * The shortcut AtP* takes for GradDrop's layer-0 term: dropping layer 0's gradient changes nothing for
     * edges into later layers (their term is the plain per-prompt |AtP|) and zeroes edges into layer 0.
     */
    @Test
    void gradDropOfLayerZeroIsThePlainAbsoluteAtpAboveLayerZero() {
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(43, 3, 2, 4, 23, 8, false))) {
            Task task = RandomTasks.make(loaded.model(), 6, 4, 5, false);
            try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model()), task, Metrics.LOGIT_DIFF,
                    Ablation.RESAMPLE, 8)) {
                List<Intervention> dropLayerZero = List.of(
                        Intervention.apply(HookName.of(
                                HookSite.RESULT, 0), Selection.all(),
                                "GradDrop", NDArray::stopGradient),
                        Intervention.apply(HookName.of(
                                HookSite.MLP_OUT, 0), Selection.all(),
                                "GradDrop", NDArray::stopGradient));
                EdgeGradients.PerPrompt dropped = EdgeGradients.atCleanPerPrompt(tp,
                        GradientRules.EXACT, dropLayerZero, 0, false);
                EdgeGradients.PerPrompt plain = EdgeGradients.atCleanPerPrompt(tp,
                        GradientRules.EXACT, List.of(), 0, true);
                double[] signed = EdgeGradients.atClean(tp, GradientRules.EXACT, List.of());
                int intoLayerZero = 0;
                for (Edge e : tp.graph().edges()) {
                    double expected = e.destination().node().layer() == 0 ? 0 : plain.edgesPerPrompt()[e.index()];
                    assertEquals(expected, dropped.edgesPerPrompt()[e.index()], 1e-6 * (1 + Math.abs(expected)), e.name());
                    assertEquals(signed[e.index()], plain.signed()[e.index()], 1e-9, e.name() + ": the same pass gives the estimate");
                    assertTrue(plain.edgesPerPrompt()[e.index()] >= Math.abs(plain.signed()[e.index()]) * (1 - 1e-5) - 1e-9,
                            e.name());
                    intoLayerZero += e.destination().node().layer() == 0 && plain.edgesPerPrompt()[e.index()] > 1e-6 ? 1 : 0;
                }
                assertTrue(intoLayerZero > 0, "some edge into layer 0 has an effect that the drop removes");
                assertEquals(null, dropped.signed(), "not asked for");
                // the node sums of both passes leave out the edges into layer 0, so they agree too
                for (int s = 0; s < tp.graph().nSources(); s++) {
                    double expected = plain.nodesPerPrompt()[s];
                    assertEquals(expected, dropped.nodesPerPrompt()[s], 1e-6 * (1 + expected), "source " + s);
                }
            }
        }
    }

    @Test
    void relpEqualsEapWhereTheLrpRulesAreExactGradients() {
        // No normalisation, ReLU (whose f(x)/x is its own gradient), no gates, AH-rule off: RelP == EAP.
        TinyCheckpoint ck = TinyCheckpoint.gpt2(41, 2, 2, 4, 23, 8, false)
                .withConfig("circuitscope_normalization", "none").withConfig("activation_function", "relu");
        for (String name : ck.tensors().keySet().toArray(new String[0])) {
            if (name.contains("ln_")) {
                ck = ck.without(name);
            }
        }
        try (LoadedModel loaded = TestModels.load(ck)) {
            Task task = RandomTasks.make(loaded.model(), 5, 3, 5, false);
            try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model()), task, Metrics.LOGIT_DIFF,
                    Ablation.RESAMPLE, 8)) {
                double[] eap = new Eap().score(tp, Progress.NONE).values();
                double[] relp = new RelP(false).score(tp, Progress.NONE).values();
                for (int i = 0; i < eap.length; i++) {
                    assertEquals(eap[i], relp[i], 1e-5 + 1e-4 * Math.abs(eap[i]));
                }
                // The AH-rule holds attention patterns constant: nothing reaches a query or key input, so every edge
                // into one scores exactly 0 (EAP gives them weight); an edge whose destination has no attention
                // after it (the last layer's values and MLP, the logits) keeps EAP's score exactly.
                double[] relpAh = new RelP(true).score(tp, Progress.NONE).values();
                ComputationGraph g = tp.graph();
                int last = loaded.model().config().nLayers() - 1;
                double largestQkEap = 0;
                for (Edge e : g.edges()) {
                    Destination d = e.destination();
                    if (d.port() == Port.Q || d.port() == Port.K) {
                        assertEquals(0.0, relpAh[e.index()], 0.0, e.name());
                        largestQkEap = Math.max(largestQkEap, Math.abs(eap[e.index()]));
                    } else if (d.node().kind() == NodeKind.LOGITS || d.node().layer() == last) {
                        assertEquals(eap[e.index()], relpAh[e.index()], 1e-5 + 1e-4 * Math.abs(eap[e.index()]), e.name());
                    }
                }
                assertTrue(largestQkEap > 1e-3, "EAP scores some query or key edge: " + largestQkEap);
            }
        }
    }

    /**
     * RelP differs from EAP on GPT-2 (LayerNorm, GELU, no gated MLP), and rule by rule: no rules is EAP;
     * the LN- and Identity-rules each change scores; the Half-rule, with no gate to split, changes nothing.
     */
    @Test
    void relpDiffersFromEapWithLayerNormAndGeluRuleByRule() {
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(43, 2, 2, 4, 23, 8, false))) {
            Task task = RandomTasks.make(loaded.model(), 6, 3, 5, false);
            try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model()), task, Metrics.LOGIT_DIFF,
                    Ablation.RESAMPLE, 8)) {
                double[] eap = new Eap().score(tp, Progress.NONE).values();
                Function<String, double[]> relp =
                        rules -> new RelP(GradientRules.parse(rules)).score(tp, Progress.NONE).values();
                assertClose(eap, relp.apply("none"), "relp:none is EAP");
                assertClose(relp.apply("none"), relp.apply("half"), "no gate for the Half-rule to split");
                double[] relpDefault = new RelP(false).score(tp, Progress.NONE).values();
                assertTrue(maxDifference(eap, relpDefault) > 1e-3, "LN and Identity rules must change the backward pass");
                assertClose(relpDefault, relp.apply("ln+identity"), "RelP's default rules reduce to LN + Identity without gates");
                assertTrue(maxDifference(eap, relp.apply("ln")) > 1e-3, "the LN-rule alone changes scores");
                assertTrue(maxDifference(eap, relp.apply("identity")) > 1e-3, "the Identity-rule alone changes scores");
            }
        }
    }

    private static void assertClose(double[] expected, double[] actual, String what) {
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-5 + 1e-4 * Math.abs(expected[i]), what + " (edge " + i + ")");
        }
    }

    private static double maxDifference(double[] a, double[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }
}

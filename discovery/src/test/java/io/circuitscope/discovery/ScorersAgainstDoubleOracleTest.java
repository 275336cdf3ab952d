package io.circuitscope.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.Destination;
import io.circuitscope.core.graph.Edge;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.NodeKind;
import io.circuitscope.core.graph.Port;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.model.GradientRules;
import io.circuitscope.core.model.ModelConfig;
import io.circuitscope.core.progress.Progress;
import io.circuitscope.core.task.Example;
import io.circuitscope.core.task.Metric;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.testing.TestModels;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every gradient scorer's number on every edge against its definition, recomputed by central differences of a
 * double-precision forward that shares nothing with the engine's patching or gradient code ({@link EdgeOracle}):
 * <ul>
 * <li>EAP: the derivative of the metric along (patched_s - clean_s) added to the destination's input;</li>
 * <li>RelP (LN, Identity and Half rules): the same derivative of the frozen forward whose plain gradient is the
 * LRP rules' (1/sigma of the clean run constant, f(x0)/x0 for the activation, half of each factor of a gate);</li>
 * <li>AtP*'s QK fix: the derivative of the metric along the exact pattern change of that one head when the edge
 * alone is patched into its query (key) input, the rest of the model clean;</li>
 * <li>EAP-IG over node outputs: minus the mean over k = 1..m of the derivative, at every node output
 * interpolated to patched + k/m (own - patched), along (own_s - patched_s) of that pass;</li>
 * <li>EAP-IG over inputs: the mean over k = 0..m-1 of the derivative along (patched_s - clean_s) with the input
 * alone interpolated to patched + k/m (clean - patched);</li>
 * <li>exact patching ({@code exact}): m(the edge alone patched) - m(clean), and each node's effect, m(its output
 * patched) - m(clean);</li>
 * <li>node AtP: the derivative along (patched_s - clean_s) added to the source's output itself.</li>
 * </ul>
 * With sandwich norms a head's edge moves the destination's input through its layer's post-attention norm (the
 * oracle pushes inside that norm, for that destination alone); eap-ig-inputs carries the clean difference through
 * the norm's derivative at the clean run, as the engine defines it. On GPT-2 (LayerNorm, GELU, learned positions),
 * Llama (RMSNorm, SiLU gate, grouped keys, RoPE), Qwen 2 (q/k/v biases, one key head for four query heads, tied
 * embeddings), Gemma 2 (sandwich norms, (1 + w) scales, attention and final soft caps, scaled embedding, GELU gate),
 * Gemma 3 (q/k norms, a sliding layer with its own rotary base) and GPT-NeoX (a quarter of each head rotated,
 * parallel attention and MLP); under resample, mean and zero ablation on the position-agnostic graph, and by
 * position under resampling (what an edge carries does not depend on the split; exact patching, which has its own
 * path, under all three); over two batches of different sizes; then over random shapes (one to three layers and
 * heads); and for every differentiable metric (logit-diff, logprob, prob, prob-diff, KL for the two EAP-IG flavours)
 * on a task with answer sets, a second target in some prompts (at different positions within a batch) and two prompt
 * lengths. Before, these scorers were checked against each other (the mask gradient, completeness, RelP = EAP where
 * the rules are exact), against central differences of the engine's own patched forward (EAP on a few edges per
 * model; logit difference, resampling), and RelP only through conservation with every rule on.
 *
 * <p>Zero ablation puts eap-ig-inputs' first point (k = 0) at an all-zero embedding, where every RMSNorm's slope is
 * 1/sqrt(eps): the engine's scores there were the true derivatives (the oracle's central differences need very short
 * steps to see them) and reached 8e7 on the Llama model and 5e13 on Gemma 2, against effects of order 1; eap-ig's
 * summed to 1e-4 of the effect on Llama. Both are now refused under zero ablation on a normalising model
 * ({@link EapIg#whyUndefined}), so they are compared here under resample and mean ablation only.
 */
class ScorersAgainstDoubleOracleTest {
    private static final int STEPS = OraclePrompts.STEPS;

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        TinyCheckpoint[] models = {TinyCheckpoint.gpt2(71, 2, 2, 4, 23, 8, false),
                TinyCheckpoint.llamaFamily("llama", 73, 2, 4, 2, 4, 8, 12, 23, 8, false, false),
                TinyCheckpoint.llamaFamily("qwen2", 75, 2, 4, 1, 4, 8, 12, 23, 8, true, false),
                TinyCheckpoint.llamaFamily("gemma2", 77, 2, 4, 2, 4, 8, 12, 23, 8, true, false),
                TinyCheckpoint.gemma3(79, 2, 4, 2, 4, 8, 12, 23, 8, 3, 2),
                TinyCheckpoint.gptNeox(81, 2, 2, 8, 23, 8, 0.25, true)};
        for (TinyCheckpoint ck : models) {
            for (Ablation ablation : Ablation.values()) {
                out.add(Arguments.of(ck.config().get("model_type"), ablation, ck));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("cases")
    void everyScorerEqualsItsDefinitionOnEveryEdge(String family, Ablation ablation, TinyCheckpoint checkpoint) {
        try (LoadedModel loaded = TestModels.load(checkpoint)) {
            ModelConfig c = loaded.model().config();
            List<ComputationGraph> graphs = new ArrayList<>(List.of(ComputationGraph.of(c)));
            if (ablation == Ablation.RESAMPLE) { // what an edge carries does not depend on the graph's split
                graphs.add(ComputationGraph.byPosition(c, 5));
            }
            Task task = RandomTasks.make(loaded.model(), 29, 4, 5, false);
            assertScorersMatchTheOracle(family, checkpoint, loaded, task, Metrics.LOGIT_DIFF, ablation, graphs);
            if (ablation != Ablation.RESAMPLE) {
                // exact patching by position has its own no-gradient path (shared prefixes, the sandwich-norm mixer's
                // per-row statistics), which a mean or a zero shared by every row might upset; it is cheap to check
                ComputationGraph g = ComputationGraph.byPosition(c, 5);
                OraclePrompts prompts =
                        new OraclePrompts(EdgeOracle.of(checkpoint), task, ablation, Metrics.LOGIT_DIFF);
                try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model(), g), task, Metrics.LOGIT_DIFF,
                        ablation, 3)) {
                    compare(family + ", " + ablation + ", by position, exact",
                            new ExhaustivePatching(16).score(tp, Progress.NONE).values(), g, prompts::patchedAlone);
                }
            }
        }
    }

    static Stream<Arguments> metricCases() {
        List<Arguments> out = new ArrayList<>();
        TinyCheckpoint[] models = {TinyCheckpoint.gpt2(83, 2, 2, 4, 23, 8, false),
                TinyCheckpoint.llamaFamily("gemma2", 85, 2, 4, 2, 4, 8, 12, 23, 8, true, false)};
        for (TinyCheckpoint ck : models) {
            for (Metric metric : Metrics.ALL) {
                if (metric.differentiable() && metric != Metrics.LOGIT_DIFF_SWAPPED) { // swapped: logit-diff, checked
                    out.add(Arguments.of(ck.config().get("model_type"), metric.name(), ck));
                }
            }
        }
        return out.stream();
    }

    /**
     * Every differentiable metric, on a task with answer sets, a second target inside some prompts and two prompt
     * lengths (batches by length): the metric is the mean over all targets, an answer set's logit its log-sum-exp
     * (log-probabilities and probabilities summed over the set), KL against the clean run at each target.
     */
    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("metricCases")
    void everyScorerEqualsItsDefinitionForEveryMetric(String family, String metric, TinyCheckpoint checkpoint) {
        try (LoadedModel loaded = TestModels.load(checkpoint)) {
            Task task = withSetsAndTwoLengths(RandomTasks.make(loaded.model(), 31, 3, 5, false),
                    RandomTasks.make(loaded.model(), 37, 2, 4, false), loaded.model().config().vocabSize());
            assertScorersMatchTheOracle(family, checkpoint, loaded, task, Metrics.byName(metric), Ablation.RESAMPLE,
                    List.of(ComputationGraph.of(loaded.model().config())));
        }
    }

    /**
     * The first task's examples with two-token answer sets at the last position and, in the first and second of
     * every three, a second target at position 2 or 1 (targets at different positions within one batch); then the
     * second task's examples.
     */
    private static Task withSetsAndTwoLengths(Task sets, Task plain, int vocab) {
        List<Example> out = new ArrayList<>();
        int k = 0;
        for (Example e : sets.examples()) {
            var t = e.targets().get(0);
            int c = t.correctId();
            int w = t.wrongId();
            int extraC = (c + 5) % vocab == w ? (c + 6) % vocab : (c + 5) % vocab;
            int extraW = (w + 3) % vocab;
            while (extraW == c || extraW == extraC || extraW == w) {
                extraW = (extraW + 1) % vocab;
            }
            List<io.circuitscope.core.task.Target> targets = new ArrayList<>(List.of(
                    new io.circuitscope.core.task.Target(-1, List.of(c, extraC), List.of(w, extraW))));
            if (k % 3 < 2) {
                targets.add(new io.circuitscope.core.task.Target(2 - k % 3, c, w));
            }
            out.add(new Example(e.clean(), e.corrupt(), targets));
            k++;
        }
        out.addAll(plain.examples());
        return new Task("sets and two lengths", out);
    }

    /** The same over random shapes: one to three layers, one to three heads (grouped keys where they divide). */
    @Property(tries = 12)
    void everyScorerEqualsItsDefinitionOnRandomShapes(@ForAll @IntRange(min = 0, max = 5) int family,
            @ForAll @IntRange(min = 1, max = 3) int layers, @ForAll @IntRange(min = 1, max = 3) int heads,
            @ForAll @IntRange(min = 0, max = 2) int ablation, @ForAll @IntRange(min = 0, max = 10_000) int seed) {
        int kv = heads == 2 && seed % 2 == 0 ? 1 : heads;
        TinyCheckpoint ck = switch (family) {
            case 0 -> TinyCheckpoint.gpt2(seed, layers, heads, 4, 19, 8, false);
            case 1 -> TinyCheckpoint.llamaFamily("llama", seed, layers, heads, kv, 4, 8, 12, 19, 8, false, false);
            case 2 -> TinyCheckpoint.llamaFamily("qwen2", seed, layers, heads, kv, 4, 8, 12, 19, 8, true, false);
            case 3 -> TinyCheckpoint.llamaFamily("gemma2", seed, layers, heads, kv, 4, 8, 12, 19, 8, true, false);
            case 4 -> TinyCheckpoint.gemma3(seed, layers, heads, kv, 4, 8, 12, 19, 8, 2, 2);
            default -> TinyCheckpoint.gptNeox(seed, layers, heads, 4, 19, 8, 0.5, seed % 2 == 0);
        };
        try (LoadedModel loaded = TestModels.load(ck)) {
            Task task = RandomTasks.make(loaded.model(), seed, 3, 4, false);
            Ablation chosen = Ablation.values()[ablation];
            try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model()), task, Metrics.LOGIT_DIFF, chosen, 3)) {
                // a draw whose corruption moves nothing at the targets (gemma3, one layer, a sliding window of 2 that
                // hides every changed token) has all-zero scores: nothing to compare, so another shape is drawn
                net.jqwik.api.Assume.that(Math.abs(tp.corruptedValue() - tp.cleanValue()) > 1e-3);
            }
            assertScorersMatchTheOracle(ck.config().get("model_type") + " seed " + seed, ck, loaded, task,
                    Metrics.LOGIT_DIFF, chosen, List.of(ComputationGraph.of(loaded.model().config())));
        }
    }

    private static void assertScorersMatchTheOracle(String family, TinyCheckpoint checkpoint, LoadedModel loaded,
            Task task, Metric metric, Ablation ablation, List<ComputationGraph> graphs) {
        EdgeOracle oracle = EdgeOracle.of(checkpoint);
        OraclePrompts prompts = new OraclePrompts(oracle, task, ablation, metric);
        for (ComputationGraph g : graphs) {
            requireSameDestinations(oracle, g);
            try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model(), g), task, metric, ablation, 3)) {
                // more prompts than 3: two batches of different sizes (more with two prompt lengths)
                assertEquals(prompts.cleanMetric(), tp.cleanValue(), 1e-4 * (1 + Math.abs(tp.cleanValue())),
                        "the oracle's clean metric");
                String where = family + ", " + metric.name() + ", " + ablation + ", "
                        + (g.isByPosition() ? "by position" : "whole edges");
                if (metric != Metrics.KL) { // KL's gradient at the clean run is 0: the CLI refuses these three there
                    compare(where + ", eap", new Eap().score(tp, Progress.NONE).values(), g,
                            e -> prompts.slope(e, GradientRules.EXACT));
                    compare(where + ", relp", new RelP(false).score(tp, Progress.NONE).values(), g,
                            e -> prompts.slope(e, GradientRules.relevance(false)));
                    double[] qk = new AtpStar(4).qkFixedEstimate(tp);
                    compare(where + ", atp* QK fix", qk, g, e -> {
                        Port port = e.destination().port();
                        boolean queryOrKey = port == Port.Q || port == Port.K;
                        return queryOrKey ? prompts.qkFix(e) : prompts.slope(e, GradientRules.EXACT);
                    });
                }
                // batched steps, and one step per pass (the budget a large model gets): the same path points
                // EAP-IG is refused under zero ablation on a normalising model (EapIg.whyUndefined; every model here
                // normalises): EapIgInputsTest checks the refusal
                boolean integrable = EapIg.whyUndefined("eap-ig", STEPS, ablation, g.config()) == null;
                if (integrable) {
                    double[] overNodes = expected(g, prompts::integratedOverNodes);
                    compare(where + ", eap-ig", new EapIg(STEPS).score(tp, Progress.NONE).values(), g, overNodes);
                    compare(where + ", eap-ig one step per pass", new EapIg(STEPS, EapIg.Interpolation.ACTIVATIONS, 1)
                            .score(tp, Progress.NONE).values(), g, overNodes);
                }
                compare(where + ", exact", new ExhaustivePatching(16).score(tp, Progress.NONE).values(), g,
                        prompts::patchedAlone);
                double[] nodeEffects = new ExhaustivePatching(16).nodeEffects(tp);
                for (io.circuitscope.core.graph.Node n : g.sources()) {
                    double want = prompts.nodePatched(n.sourceIndex());
                    assertEquals(want, nodeEffects[n.sourceIndex()], 1e-4 * (1 + Math.abs(want)),
                            where + ", exact node effect of " + n.name());
                }
                if (metric != Metrics.KL) {
                    compareNodes(where + ", atp", new Atp().score(tp, Progress.NONE).values(), g, prompts);
                }
                if (integrable) {
                    double[] overInput = expected(g, prompts::integratedOverInput);
                    compare(where + ", eap-ig-inputs", new EapIg(STEPS, EapIg.Interpolation.INPUTS)
                            .score(tp, Progress.NONE).values(), g, overInput);
                    compare(where + ", eap-ig-inputs one step per pass", new EapIg(STEPS, EapIg.Interpolation.INPUTS, 1)
                            .score(tp, Progress.NONE).values(), g, overInput);
                }
            }
        }
    }

    static void compare(String what, double[] actual, ComputationGraph g,
            java.util.function.ToDoubleFunction<Edge> expected) {
        compare(what, actual, g, expected(g, expected));
    }

    /** Each edge's expected score, computed once (the oracle's central differences are the costly part). */
    static double[] expected(ComputationGraph g, java.util.function.ToDoubleFunction<Edge> expected) {
        double[] want = new double[g.nEdges()];
        for (Edge e : g.edges()) {
            want[e.index()] = expected.applyAsDouble(e);
        }
        return want;
    }

    static void compare(String what, double[] actual, ComputationGraph g, double[] want) {
        double scale = 0;
        for (double w : want) {
            scale = Math.max(scale, Math.abs(w));
        }
        assertTrue(scale > 1e-3, what + ": the scores must not vanish, largest " + scale);
        double worst = 0;
        for (Edge e : g.edges()) {
            double error = Math.abs(actual[e.index()] - want[e.index()]);
            worst = Math.max(worst, error / scale);
            assertEquals(want[e.index()], actual[e.index()], 1e-4 * scale + 1e-3 * Math.abs(want[e.index()]),
                    what + ": " + e.name());
        }
        System.out.printf(Locale.ROOT, "%s: %d edges, largest |score| %.4f, largest error %.2e of it%n", what,
                g.nEdges(), scale, worst);
    }

    /** Node AtP per source (and position, by position): the derivative along patched - clean at the output itself. */
    private static void compareNodes(String what, double[] actual, ComputationGraph g, OraclePrompts prompts) {
        int positions = Math.max(1, g.positions());
        double[] want = new double[actual.length];
        double scale = 0;
        for (int cell = 0; cell < want.length; cell++) {
            want[cell] = prompts.nodeSlope(cell / positions, g.isByPosition() ? cell % positions : -1);
            scale = Math.max(scale, Math.abs(want[cell]));
        }
        assertTrue(scale > 1e-3, what + ": the scores must not vanish, largest " + scale);
        for (int cell = 0; cell < want.length; cell++) {
            assertEquals(want[cell], actual[cell], 1e-4 * scale + 1e-3 * Math.abs(want[cell]),
                    what + ": " + g.sources().get(cell / positions).name() + " cell " + cell);
        }
    }

    /** The graph's destinations in the oracle's order. */
    static void requireSameDestinations(EdgeOracle oracle, ComputationGraph g) {
        for (Destination d : g.destinations()) {
            int expected = d.node().kind() == NodeKind.LOGITS ? oracle.logitsDestination()
                    : d.port() == Port.IN ? oracle.mlpDestination(d.node().layer())
                    : oracle.headDestination(d.node().layer(), d.port().ordinal(), d.node().head());
            assertEquals(expected, d.index(), d.name());
        }
        assertEquals(List.of(Port.Q, Port.K, Port.V), List.of(Port.values()).subList(0, 3));
    }
}

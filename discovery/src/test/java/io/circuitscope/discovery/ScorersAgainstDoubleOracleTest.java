package io.circuitscope.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.Destination;
import io.circuitscope.core.graph.Edge;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.EdgeScores;
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
import java.util.Map;
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
 * position under resampling (what an edge carries does not depend on the split); over two batches of different
 * sizes; then over random shapes (one to three layers and heads); and for every differentiable metric (logit-diff,
 * logprob, prob, prob-diff, KL for the two EAP-IG flavours) on a task with answer sets, two targets in a prompt and
 * two prompt lengths. Before, these scorers were checked against each other (the mask gradient, completeness, RelP
 * = EAP where the rules are exact), against central differences of the engine's own patched forward (EAP on a few
 * edges per model; logit difference, resampling), and RelP only through conservation with every rule on.
 *
 * <p>Zero ablation puts eap-ig-inputs' first point (k = 0) at an all-zero embedding, where every RMSNorm's slope is
 * 1/sqrt(eps): the engine's scores there are the true derivatives (the oracle's central differences need very short
 * steps to see them) and reach 8e7 on the Llama model and 5e13 on Gemma 2, against effects of order 1.
 */
class ScorersAgainstDoubleOracleTest {
    private static final int STEPS = 3;
    private static final double H = 1e-5; // the pattern shift's central-difference step, double precision

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
            assertScorersMatchTheOracle(family, checkpoint, loaded, RandomTasks.make(loaded.model(), 29, 4, 5, false),
                    Metrics.LOGIT_DIFF, ablation, graphs);
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

    /** The first task's examples with two-token answer sets and a second target at position 2, then the second's. */
    private static Task withSetsAndTwoLengths(Task sets, Task plain, int vocab) {
        List<Example> out = new ArrayList<>();
        for (Example e : sets.examples()) {
            var t = e.targets().get(0);
            int c = t.correctId();
            int w = t.wrongId();
            int extraC = (c + 5) % vocab == w ? (c + 6) % vocab : (c + 5) % vocab;
            int extraW = (w + 3) % vocab;
            while (extraW == c || extraW == extraC || extraW == w) {
                extraW = (extraW + 1) % vocab;
            }
            out.add(new Example(e.clean(), e.corrupt(), List.of(
                    new io.circuitscope.core.task.Target(-1, List.of(c, extraC), List.of(w, extraW)),
                    new io.circuitscope.core.task.Target(2, c, w))));
        }
        out.addAll(plain.examples());
        return new Task("sets and two lengths", out);
    }

    static Stream<Arguments> ruleCases() {
        List<Arguments> out = new ArrayList<>();
        TinyCheckpoint[] models = {TinyCheckpoint.gpt2(87, 2, 2, 4, 23, 8, false),
                TinyCheckpoint.llamaFamily("llama", 89, 2, 4, 2, 4, 8, 12, 23, 8, false, false),
                TinyCheckpoint.llamaFamily("gemma2", 91, 2, 4, 2, 4, 8, 12, 23, 8, true, false)};
        for (TinyCheckpoint ck : models) {
            for (String rules : new String[] {"ln+identity+half+ah", "ln", "identity", "half", "ah", "identity+half"}) {
                out.add(Arguments.of(ck.config().get("model_type"), rules, ck));
            }
        }
        return out.stream();
    }

    /**
     * RelP with the AH-rule ({@code relp-ah}) and with single rules ({@code relp:RULES}): each rule freezes its own
     * quantity at the clean run (1/sigma, f(x0)/x0, half of each gate factor, the attention pattern), the others
     * differentiated exactly.
     */
    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("ruleCases")
    void relpWithAnySetOfRulesEqualsTheFrozenForwardsSlope(String family, String rules, TinyCheckpoint checkpoint) {
        GradientRules parsed = GradientRules.parse(rules);
        try (LoadedModel loaded = TestModels.load(checkpoint)) {
            Task task = RandomTasks.make(loaded.model(), 41, 4, 5, false);
            Prompts prompts = new Prompts(EdgeOracle.of(checkpoint), task, Ablation.RESAMPLE, Metrics.LOGIT_DIFF);
            ComputationGraph g = ComputationGraph.of(loaded.model().config());
            try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model(), g), task, Metrics.LOGIT_DIFF,
                    Ablation.RESAMPLE, 3)) {
                EdgeScorer relp = Methods.scorer("relp:" + rules, 1);
                compare(family + ", " + relp.key(), relp.score(tp, Progress.NONE).values(), g,
                        e -> prompts.slope(e, parsed));
            }
        }
    }

    static Stream<Arguments> gradDropCases() {
        return Stream.of(
                Arguments.of("gemma2", Ablation.RESAMPLE,
                        TinyCheckpoint.llamaFamily("gemma2", 93, 3, 2, 1, 4, 8, 12, 23, 8, true, false)),
                Arguments.of("gpt_neox", Ablation.MEAN, TinyCheckpoint.gptNeox(95, 3, 2, 4, 23, 8, 0.5, true)),
                Arguments.of("llama", Ablation.ZERO, TinyCheckpoint.llamaFamily("llama", 97, 3, 2, 2, 4, 8, 12, 23, 8,
                        false, false)));
    }

    /**
     * AtP*'s edge and node importance against the paper's GradDrop recomputed in the oracle: for each prompt and each
     * layer l, the edge's derivative (its node's: the sum over its out-edges) with layer l's head results and MLP
     * output held at their clean values, made absolute per prompt, averaged over the L - 1 layers other than the
     * destination's (L for the logits and the input; a node in layer l gets 0 for l), then the larger of that and
     * |estimate| (the QK-fixed one; a node's the sum of its out-edges'). On sandwich norms (Gemma 2, by position
     * too), parallel attention and MLP under mean ablation (NeoX) and zero ablation (Llama), three layers each.
     * Before: GPT-2 for edges, GPT-2 and Llama for nodes, resampling.
     */
    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("gradDropCases")
    void atpStarImportanceIsTheLargerOfTheEstimateAndThePapersGradDrop(String family, Ablation ablation,
            TinyCheckpoint checkpoint) {
        try (LoadedModel loaded = TestModels.load(checkpoint)) {
            Task task = RandomTasks.make(loaded.model(), 43, 4, 5, false);
            Prompts prompts = new Prompts(EdgeOracle.of(checkpoint), task, ablation, Metrics.LOGIT_DIFF);
            ModelConfig c = loaded.model().config();
            List<ComputationGraph> graphs = new ArrayList<>(List.of(ComputationGraph.of(c)));
            if (ablation == Ablation.RESAMPLE) {
                graphs.add(ComputationGraph.byPosition(c, 5));
            }
            for (ComputationGraph g : graphs) {
                try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model(), g), task, Metrics.LOGIT_DIFF,
                        ablation, 3)) {
                    String where = family + ", " + ablation + ", " + (g.isByPosition() ? "by position" : "whole edges");
                    double[] estimate = new double[g.nEdges()];
                    double[] nodeEstimate = new double[g.nSources()];
                    for (Edge e : g.edges()) {
                        Port port = e.destination().port();
                        estimate[e.index()] = port == Port.Q || port == Port.K ? prompts.qkFix(e)
                                : prompts.slope(e, Mode.EXACT);
                        nodeEstimate[e.source().sourceIndex()] += estimate[e.index()];
                    }
                    double[][] gradDrop = prompts.gradDrop(g);
                    double[] importance = new double[g.nEdges()];
                    for (int i = 0; i < importance.length; i++) {
                        importance[i] = Math.max(Math.abs(estimate[i]), gradDrop[0][i]);
                    }
                    EdgeScores star = new AtpStar(4).score(tp, Progress.NONE);
                    double[] actual = new double[g.nEdges()];
                    for (int i = 0; i < actual.length; i++) {
                        actual[i] = star.importance(i);
                    }
                    compare(where + ", atp* edge importance", actual, g, e -> importance[e.index()]);
                    double[] nodes = star.nodeImportances();
                    double scale = 0;
                    int raised = 0;
                    for (int n = 0; n < nodes.length; n++) {
                        double expected = Math.max(Math.abs(nodeEstimate[n]), gradDrop[1][n]);
                        scale = Math.max(scale, expected);
                        raised += gradDrop[1][n] > Math.abs(nodeEstimate[n]) * 1.01 ? 1 : 0;
                    }
                    for (int n = 0; n < nodes.length; n++) {
                        double expected = Math.max(Math.abs(nodeEstimate[n]), gradDrop[1][n]);
                        assertEquals(expected, nodes[n], 1e-4 * scale + 1e-3 * expected, where + ": node "
                                + g.sources().get(n).name());
                    }
                    assertTrue(raised > 0, where + ": GradDrop must raise some node's importance");
                }
            }
        }
    }

    static Stream<Arguments> acdcCases() {
        List<Arguments> out = new ArrayList<>();
        TinyCheckpoint[] models = {TinyCheckpoint.llamaFamily("llama", 99, 2, 2, 1, 4, 8, 12, 23, 8, false, false),
                TinyCheckpoint.llamaFamily("gemma2", 101, 2, 2, 1, 4, 8, 12, 23, 8, true, false),
                TinyCheckpoint.gptNeox(103, 2, 2, 4, 23, 8, 0.5, true)};
        for (TinyCheckpoint ck : models) {
            for (Metric metric : new Metric[] {Metrics.KL, Metrics.LOGIT_DIFF}) {
                out.add(Arguments.of(ck.config().get("model_type"), metric.name(), ck));
            }
        }
        return out.stream();
    }

    /**
     * ACDC against the paper's loop ({@link AcdcAgainstPlainLoopTest#plainLoop}'s order and rule) with every metric
     * value from the oracle, edges patched by replacing what they carry (inside the post-attention norm for a head
     * under sandwich norms): the same circuit and the same recorded effects. Before, ACDC was checked against that
     * loop on GPT-2 alone, with the engine's own patched forward for the values.
     */
    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("acdcCases")
    void acdcDecidesAsThePlainLoopOverTheOracle(String family, String metricName, TinyCheckpoint checkpoint) {
        Metric metric = Metrics.byName(metricName);
        try (LoadedModel loaded = TestModels.load(checkpoint)) {
            Task task = RandomTasks.make(loaded.model(), 47, 4, 5, false);
            Prompts prompts = new Prompts(EdgeOracle.of(checkpoint), task, Ablation.RESAMPLE, metric);
            try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model()), task, metric, Ablation.RESAMPLE, 3)) {
                ComputationGraph g = tp.graph();
                double gap = Math.abs(prompts.withPatched(new boolean[g.nEdges()], g) - prompts.cleanMetric());
                double tau = 0.05 * gap;
                boolean lowerIsBetter = AcdcAgainstPlainLoopTest.LOWER_IS_BETTER.contains(metric.name());
                boolean[] keep = new boolean[g.nEdges()];
                java.util.Arrays.fill(keep, true);
                double[] effects = new double[g.nEdges()];
                java.util.Arrays.fill(effects, Double.NaN);
                double current = prompts.cleanMetric();
                List<Destination> destinations = g.destinations();
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
                        keep[e] = false;
                        if (!reachesLogits) {
                            effects[e] = 0;
                            continue;
                        }
                        double after = prompts.withPatched(keep, g);
                        effects[e] = after - current;
                        if ((lowerIsBetter ? after - current : current - after) < tau) {
                            current = after;
                        } else {
                            keep[e] = true;
                        }
                    }
                }
                java.util.BitSet kept = new java.util.BitSet();
                for (int e = 0; e < keep.length; e++) {
                    kept.set(e, keep[e]);
                }
                io.circuitscope.core.graph.Circuit acdc = new Acdc(tau).search(tp, null, Progress.NONE);
                io.circuitscope.core.graph.Circuit reference =
                        new io.circuitscope.core.graph.Circuit(g, kept, null).pruned(Ablation.RESAMPLE);
                String what = family + ", " + metric.name() + ", tau " + tau;
                assertTrue(reference.edgeNames().size() > 0 && reference.edgeNames().size() < g.nEdges(),
                        what + ": ACDC must keep some edges and remove others, kept " + reference.edgeNames().size());
                assertEquals(reference.edgeNames(), acdc.edgeNames(), what);
                for (int e = 0; e < effects.length; e++) {
                    if (!Double.isNaN(effects[e])) {
                        assertEquals(effects[e], acdc.scores().get(e), 1e-4 * (1 + gap),
                                what + ": effect of " + g.edges().get(e).name());
                    }
                }
                System.out.printf(Locale.ROOT, "%s: ACDC keeps %d of %d edges, as the loop over the oracle does%n", what,
                        acdc.edgeNames().size(), g.nEdges());
            }
        }
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
            assertScorersMatchTheOracle(ck.config().get("model_type") + " seed " + seed, ck, loaded,
                    RandomTasks.make(loaded.model(), seed, 3, 4, false), Metrics.LOGIT_DIFF,
                    Ablation.values()[ablation], List.of(ComputationGraph.of(loaded.model().config())));
        }
    }

    private static void assertScorersMatchTheOracle(String family, TinyCheckpoint checkpoint, LoadedModel loaded,
            Task task, Metric metric, Ablation ablation, List<ComputationGraph> graphs) {
        EdgeOracle oracle = EdgeOracle.of(checkpoint);
        Prompts prompts = new Prompts(oracle, task, ablation, metric);
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
                            e -> prompts.slope(e, Mode.EXACT));
                    compare(where + ", relp", new RelP(false).score(tp, Progress.NONE).values(), g,
                            e -> prompts.slope(e, Mode.RELP));
                    double[] qk = new AtpStar(4).qkFixedEstimate(tp);
                    compare(where + ", atp* QK fix", qk, g, e -> {
                        Port port = e.destination().port();
                        return port == Port.Q || port == Port.K ? prompts.qkFix(e) : prompts.slope(e, Mode.EXACT);
                    });
                }
                compare(where + ", eap-ig", new EapIg(STEPS).score(tp, Progress.NONE).values(), g,
                        prompts::integratedOverNodes);
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
                compare(where + ", eap-ig-inputs", new EapIg(STEPS, EapIg.Interpolation.INPUTS)
                        .score(tp, Progress.NONE).values(), g, prompts::integratedOverInput);
            }
        }
    }

    private static void compare(String what, double[] actual, ComputationGraph g,
            java.util.function.ToDoubleFunction<Edge> expected) {
        double[] want = new double[actual.length];
        double scale = 0;
        for (Edge e : g.edges()) {
            want[e.index()] = expected.applyAsDouble(e);
            scale = Math.max(scale, Math.abs(want[e.index()]));
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
    private static void compareNodes(String what, double[] actual, ComputationGraph g, Prompts prompts) {
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
    private static void requireSameDestinations(EdgeOracle oracle, ComputationGraph g) {
        for (Destination d : g.destinations()) {
            int expected = d.node().kind() == NodeKind.LOGITS ? oracle.logitsDestination()
                    : d.port() == Port.IN ? oracle.mlpDestination(d.node().layer())
                    : oracle.headDestination(d.node().layer(), d.port().ordinal(), d.node().head());
            assertEquals(expected, d.index(), d.name());
        }
        assertEquals(List.of(Port.Q, Port.K, Port.V), List.of(Port.values()).subList(0, 3));
    }

    private enum Mode { EXACT, RELP }

    /** The task's prompts in the oracle: clean runs (with RelP's constants), patched outputs, targets. */
    private static final class Prompts {
        final EdgeOracle oracle;
        final List<Example> examples;
        final double[][][][] clean; // [prompt][source][s][d]
        final double[][][][] patched;
        final double[][][][] headSums; // [prompt][layer][s][d], clean
        final double[][][][][] patterns; // [prompt][layer][head][s][s]
        final List<Map<String, double[]>> constants = new ArrayList<>();
        final double cleanMetric;
        final Metric metric;
        final double[][][] cleanLogProbs; // [prompt][target][vocab], for KL
        final int targets;

        Prompts(EdgeOracle oracle, Task task, Ablation ablation, Metric metric) {
            this.oracle = oracle;
            this.metric = metric;
            this.examples = task.examples();
            this.targets = examples.stream().mapToInt(e -> e.targets().size()).sum();
            this.cleanLogProbs = new double[examples.size()][][];
            int n = examples.size();
            clean = new double[n][][][];
            patched = new double[n][][][];
            headSums = new double[n][][][];
            patterns = new double[n][][][][];
            double total = 0;
            for (int b = 0; b < n; b++) {
                EdgeOracle.Pass p = new EdgeOracle.Pass();
                p.constants = EdgeOracle.newConstants();
                double[][] logits = oracle.forward(examples.get(b).clean(), p);
                cleanLogProbs[b] = new double[examples.get(b).targets().size()][];
                for (int t = 0; t < cleanLogProbs[b].length; t++) {
                    int position = examples.get(b).targets().get(t).resolvedPosition(logits.length);
                    cleanLogProbs[b][t] = logSoftmax(logits[position]);
                }
                total += metric(b, logits);
                clean[b] = p.outputs;
                headSums[b] = p.headSums;
                patterns[b] = p.patterns;
                constants.add(p.constants);
                EdgeOracle.Pass corrupt = new EdgeOracle.Pass();
                oracle.forward(examples.get(b).corrupt(), corrupt);
                patched[b] = corrupt.outputs;
            }
            cleanMetric = total / targets;
            if (ablation != Ablation.RESAMPLE) {
                double[][][] mean = new double[clean[0].length][clean[0][0].length][clean[0][0][0].length];
                for (int b = 0; b < n && ablation == Ablation.MEAN; b++) { // every prompt has the same length
                    for (int s = 0; s < mean.length; s++) {
                        mean[s] = EdgeOracle.added(mean[s], scaled(patched[b][s], 1.0 / n));
                    }
                }
                java.util.Arrays.fill(patched, mean);
            }
        }

        double cleanMetric() {
            return cleanMetric;
        }

        /** The metric summed over prompt b's targets. */
        double metric(int b, double[][] logits) {
            double sum = 0;
            List<io.circuitscope.core.task.Target> ts = examples.get(b).targets();
            for (int t = 0; t < ts.size(); t++) {
                io.circuitscope.core.task.Target target = ts.get(t);
                double[] x = logits[target.resolvedPosition(logits.length)];
                double[] logP = logSoftmax(x);
                sum += switch (metric.name()) {
                    case "logit-diff" -> logSumExp(x, target.correctIds()) - logSumExp(x, target.wrongIds());
                    case "logprob" -> logSumExp(logP, target.correctIds());
                    case "prob" -> Math.exp(logSumExp(logP, target.correctIds()));
                    case "prob-diff" -> Math.exp(logSumExp(logP, target.correctIds()))
                            - Math.exp(logSumExp(logP, target.wrongIds()));
                    case "kl" -> {
                        double kl = 0;
                        for (int v = 0; v < x.length; v++) {
                            double clean = cleanLogProbs[b][t][v];
                            kl += Math.exp(clean) * (clean - logP[v]);
                        }
                        yield kl;
                    }
                    default -> throw new IllegalArgumentException("the oracle has no metric " + metric.name());
                };
            }
            return sum;
        }

        private static double logSumExp(double[] x, List<Integer> ids) {
            double max = Double.NEGATIVE_INFINITY;
            for (int id : ids) {
                max = Math.max(max, x[id]);
            }
            double sum = 0;
            for (int id : ids) {
                sum += Math.exp(x[id] - max);
            }
            return max + Math.log(sum);
        }

        private static double[] logSoftmax(double[] x) {
            double max = Double.NEGATIVE_INFINITY;
            for (double v : x) {
                max = Math.max(max, v);
            }
            double sum = 0;
            for (double v : x) {
                sum += Math.exp(v - max);
            }
            double[] out = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                out[i] = x[i] - max - Math.log(sum);
            }
            return out;
        }

        /** EAP (or RelP): the mean over prompts of the derivative along patched_s - clean_s at the destination. */
        double slope(Edge e, Mode mode) {
            return slope(e, mode == Mode.RELP ? GradientRules.relevance(false) : GradientRules.EXACT);
        }

        /** The same derivative of the forward with {@code rules}' quantities frozen at the clean run. */
        double slope(Edge e, GradientRules rules) {
            double sum = 0;
            for (int b = 0; b < examples.size(); b++) {
                EdgeOracle.Pass template = new EdgeOracle.Pass();
                if (!rules.equals(GradientRules.EXACT)) {
                    template.frozen = true;
                    template.rules = rules;
                    template.constants = constants.get(b);
                }
                sum += slopeAt(b, e, template, difference(patched[b][source(e)], clean[b][source(e)], e));
            }
            return sum / targets;
        }

        /** Exact patching: m(the edge alone patched) - m(clean), averaged over the targets. */
        double patchedAlone(Edge e) {
            double sum = 0;
            for (int b = 0; b < examples.size(); b++) {
                EdgeOracle.Pass p = new EdgeOracle.Pass();
                p.destination = e.destination().index();
                p.push = difference(patched[b][source(e)], clean[b][source(e)], e);
                p.pushLayer = headLayer(e);
                sum += metric(b, oracle.forward(examples.get(b).clean(), p));
            }
            return sum / targets - cleanMetric;
        }

        /** The metric with the edges not in {@code keep} patched (position-agnostic graph). */
        double withPatched(boolean[] keep, ComputationGraph g) {
            double sum = 0;
            for (int b = 0; b < examples.size(); b++) {
                EdgeOracle.Pass p = new EdgeOracle.Pass();
                p.patched = patched[b];
                p.patchedEdges = new boolean[g.nSources()][g.nDestinations()];
                for (Edge e : g.edges()) {
                    p.patchedEdges[source(e)][e.destination().index()] = !keep[e.index()];
                }
                sum += metric(b, oracle.forward(examples.get(b).clean(), p));
            }
            return sum / targets;
        }

        /** Exact node patching: m(the source's output patched, every out-edge) - m(clean). */
        double nodePatched(int source) {
            double sum = 0;
            for (int b = 0; b < examples.size(); b++) {
                EdgeOracle.Pass p = new EdgeOracle.Pass();
                p.pushedSource = source;
                p.sourcePush = EdgeOracle.added(patched[b][source], scaled(clean[b][source], -1));
                sum += metric(b, oracle.forward(examples.get(b).clean(), p));
            }
            return sum / targets - cleanMetric;
        }

        /** Node AtP: the derivative along patched - clean added to the source's own output (at one position, or all). */
        double nodeSlope(int source, int position) {
            double sum = 0;
            for (int b = 0; b < examples.size(); b++) {
                double[][] direction = new double[clean[b][source].length][];
                for (int i = 0; i < direction.length; i++) {
                    direction[i] = new double[oracle.d];
                    for (int j = 0; j < oracle.d && (position < 0 || position == i); j++) {
                        direction[i][j] = patched[b][source][i][j] - clean[b][source][i][j];
                    }
                }
                double[] values = new double[2];
                double h = 1e-5;
                for (int side = 0; side < 2; side++) {
                    EdgeOracle.Pass p = new EdgeOracle.Pass();
                    p.pushedSource = source;
                    p.sourcePush = scaled(direction, side == 0 ? h : -h);
                    values[side] = metric(b, oracle.forward(examples.get(b).clean(), p));
                }
                sum += (values[0] - values[1]) / (2 * h);
            }
            return sum / targets;
        }

        /**
         * GradDrop's importance terms: [0] per edge, [1] per source node, each the mean over prompts of the absolute
         * per-prompt derivative with one layer's outputs held, averaged over the other layers.
         */
        double[][] gradDrop(ComputationGraph g) {
            int layers = oracle.layers;
            double[] edges = new double[g.nEdges()];
            double[] nodes = new double[g.nSources()];
            for (int b = 0; b < examples.size(); b++) {
                for (int dropped = 0; dropped < layers; dropped++) {
                    double[] nodeSum = new double[g.nSources()];
                    for (Edge e : g.edges()) {
                        EdgeOracle.Pass template = new EdgeOracle.Pass();
                        template.droppedLayer = dropped;
                        template.fixedOutputs = clean[b];
                        double[][] direction = difference(patched[b][source(e)], clean[b][source(e)], e);
                        double share = slopeAt(b, e, template, direction) / targets;
                        boolean logits = e.destination().node().kind() == NodeKind.LOGITS;
                        edges[e.index()] += Math.abs(share) / (logits ? layers : layers - 1);
                        nodeSum[source(e)] += share;
                    }
                    for (io.circuitscope.core.graph.Node n : g.sources()) {
                        if (n.layer() != dropped) { // a node in the dropped layer has its own output's gradient cut
                            boolean input = n.kind() == NodeKind.INPUT;
                            int others = input ? layers : layers - 1;
                            nodes[n.sourceIndex()] += Math.abs(nodeSum[n.sourceIndex()]) / others;
                        }
                    }
                }
            }
            return new double[][] {edges, nodes};
        }

        /** AtP*'s QK fix: the derivative along the exact change of the head's pattern, the edge alone patched. */
        double qkFix(Edge e) {
            int layer = e.destination().node().layer();
            int head = e.destination().node().head();
            double sum = 0;
            for (int b = 0; b < examples.size(); b++) {
                EdgeOracle.Pass patchedEdge = new EdgeOracle.Pass(); // the edge patched exactly, nothing else
                patchedEdge.destination = e.destination().index();
                patchedEdge.push = difference(patched[b][source(e)], clean[b][source(e)], e);
                patchedEdge.pushLayer = headLayer(e);
                oracle.forward(examples.get(b).clean(), patchedEdge);
                double[][] shift = EdgeOracle.added(patchedEdge.patterns[layer][head],
                        scaled(patterns[b][layer][head], -1));
                double up = patternMetric(b, layer, head, shift, H);
                double down = patternMetric(b, layer, head, shift, -H);
                sum += (up - down) / (2 * H);
            }
            return sum / targets;
        }

        private double patternMetric(int b, int layer, int head, double[][] shift, double t) {
            EdgeOracle.Pass p = new EdgeOracle.Pass();
            p.patternLayer = layer;
            p.patternHead = head;
            p.patternShift = scaled(shift, t);
            return metric(b, oracle.forward(examples.get(b).clean(), p));
        }

        /** EAP-IG over node outputs at k / STEPS, k = 1..STEPS. */
        double integratedOverNodes(Edge e) {
            double sum = 0;
            for (int k = 1; k <= STEPS; k++) {
                for (int b = 0; b < examples.size(); b++) {
                    EdgeOracle.Pass at = new EdgeOracle.Pass();
                    at.nodeAlpha = (double) k / STEPS;
                    at.patched = patched[b];
                    oracle.forward(examples.get(b).clean(), at); // the outputs of this point of the path
                    EdgeOracle.Pass template = new EdgeOracle.Pass();
                    template.nodeAlpha = at.nodeAlpha;
                    template.patched = patched[b];
                    // the derivative with respect to the edge's coefficient is along own_s - patched_s
                    sum -= slopeAt(b, e, template, difference(at.outputs[source(e)], patched[b][source(e)], e));
                }
            }
            return sum / STEPS / targets;
        }

        /**
         * EAP-IG over the input at k / STEPS, k = 0..STEPS-1, along the fixed patched_s - clean_s carried to the stream
         * as at the clean run: through the derivative of the head's layer's attention output there (sandwich norms).
         */
        double integratedOverInput(Edge e) {
            double sum = 0;
            for (int b = 0; b < examples.size(); b++) {
                double[][] direction = difference(patched[b][source(e)], clean[b][source(e)], e);
                if (headLayer(e) >= 0 && oracle.sandwichNorms()) {
                    direction = outputDerivative(headLayer(e), headSums[b][headLayer(e)], direction);
                }
                for (int k = 0; k < STEPS; k++) {
                    EdgeOracle.Pass template = new EdgeOracle.Pass();
                    template.inputAlpha = (double) k / STEPS;
                    template.patched = patched[b];
                    sum += slopeAt(b, e, template, direction, false);
                }
            }
            return sum / STEPS / targets;
        }

        /** The derivative of layer l's attention output at head sum {@code at} along {@code v} (central difference). */
        private double[][] outputDerivative(int l, double[][] at, double[][] v) {
            double step = 1e-6;
            double[][] up = oracle.attentionOutput(l, EdgeOracle.added(at, scaled(v, step)), new EdgeOracle.Pass());
            double[][] down = oracle.attentionOutput(l, EdgeOracle.added(at, scaled(v, -step)), new EdgeOracle.Pass());
            return scaled(EdgeOracle.added(up, scaled(down, -1)), 1 / (2 * step));
        }

        /** The layer of the edge's source if it is a head, else -1: a head's push goes inside its layer's output. */
        private static int headLayer(Edge e) {
            return e.source().kind() == NodeKind.HEAD ? e.source().layer() : -1;
        }

        /**
         * Central difference of prompt b's metric along {@code direction} at the edge's destination, the step shrunk
         * until two successive estimates agree: at an all-zero stream (the input zero-ablated, the path's first
         * point) every norm's slope is 1/sqrt(eps), so the metric is linear only over very short steps.
         */
        private double slopeAt(int b, Edge e, EdgeOracle.Pass template, double[][] direction) {
            return slopeAt(b, e, template, direction, true);
        }

        /** As above; {@code inside}: a head's push goes inside its layer's attention output (else to the stream). */
        private double slopeAt(int b, Edge e, EdgeOracle.Pass template, double[][] direction, boolean inside) {
            double previous = centralDifference(b, e, template, direction, 1e-5, inside);
            for (double h = 1e-6; h >= 1e-30; h /= 10) {
                double next = centralDifference(b, e, template, direction, h, inside);
                if (Math.abs(next - previous) <= 1e-5 * Math.abs(next) + 1e-7) {
                    return previous; // the longer step: less rounding, and its curvature term is below the tolerance
                }
                previous = next;
            }
            throw new IllegalStateException("no central difference converged for " + e.name());
        }

        private double centralDifference(int b, Edge e, EdgeOracle.Pass template, double[][] direction, double h,
                boolean inside) {
            double[] values = new double[2];
            for (int side = 0; side < 2; side++) {
                EdgeOracle.Pass p = new EdgeOracle.Pass();
                p.frozen = template.frozen;
                p.rules = template.rules;
                p.constants = template.constants;
                p.nodeAlpha = template.nodeAlpha;
                p.inputAlpha = template.inputAlpha;
                p.patched = template.patched;
                p.droppedLayer = template.droppedLayer;
                p.fixedOutputs = template.fixedOutputs;
                p.destination = e.destination().index();
                p.push = scaled(direction, side == 0 ? h : -h);
                p.pushLayer = inside ? headLayer(e) : -1;
                values[side] = metric(b, oracle.forward(examples.get(b).clean(), p));
            }
            return (values[0] - values[1]) / (2 * h);
        }

        private static int source(Edge e) {
            return e.source().sourceIndex();
        }

        /** a - b, at the edge's position only in a position-aware graph. */
        private static double[][] difference(double[][] a, double[][] b, Edge e) {
            double[][] out = new double[a.length][a[0].length];
            for (int i = 0; i < a.length; i++) {
                if (e.byPosition() && i != e.position()) {
                    continue;
                }
                for (int j = 0; j < a[0].length; j++) {
                    out[i][j] = a[i][j] - b[i][j];
                }
            }
            return out;
        }

        private static double[][] scaled(double[][] a, double f) {
            double[][] out = new double[a.length][a[0].length];
            for (int i = 0; i < a.length; i++) {
                for (int j = 0; j < a[0].length; j++) {
                    out[i][j] = a[i][j] * f;
                }
            }
            return out;
        }
    }
}

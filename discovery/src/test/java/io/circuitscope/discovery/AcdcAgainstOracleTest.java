package io.circuitscope.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.progress.Progress;
import io.circuitscope.core.task.Metric;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.testing.TestModels;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** ACDC's circuit and recorded effects against the paper's loop over {@link EdgeOracle}. */
class AcdcAgainstOracleTest {
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
            OraclePrompts prompts = new OraclePrompts(EdgeOracle.of(checkpoint), task, Ablation.RESAMPLE, metric);
            try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model()), task, metric, Ablation.RESAMPLE,
                    3)) {
                ComputationGraph g = tp.graph();
                double gap = Math.abs(prompts.withPatched(new boolean[g.nEdges()], g) - prompts.cleanMetric());
                double tau = 0.05 * gap;
                boolean lowerIsBetter = AcdcAgainstPlainLoopTest.LOWER_IS_BETTER.contains(metric.name());
                double[] effects = new double[g.nEdges()];
                // the paper's loop, every metric value from the oracle (patched by replacing what each edge carries)
                boolean[] keep = AcdcAgainstPlainLoopTest.plainLoop(g, k -> prompts.withPatched(k, g), tau, lowerIsBetter,
                        effects);
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
                System.out.printf(Locale.ROOT, "%s: ACDC keeps %d of %d edges, as the loop over the oracle does%n",
                        what, acdc.edgeNames().size(), g.nEdges());
            }
        }
    }
}

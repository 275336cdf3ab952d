package io.circuitscope.benchmarks;

import io.circuitscope.circuits.run.ExactEffectsStore;
import io.circuitscope.circuits.run.ScorerComparison;
import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.model.ModelConfig;
import io.circuitscope.core.progress.Progress;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.discovery.EdgeScorer;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What {@code compare-scorers --exact-edges N} costs on a GPT-2-small-shaped model (random weights,
 * 32,491 edges, 157 nodes) and the IOI-sized batch of {@link EapThroughput}: exact patching of every
 * node and of a uniform sample of N edges, then each scorer. The numbers it prints are timing only
 * (random weights carry no circuit).
 *
 * <p>Run: {@code benchmarks/run.sh SampledComparison [N] [scorer,scorer...]}.
 */
public final class SampledComparison {
    private SampledComparison() {
    }

    public static void main(String[] args) throws Exception {
        int sample = args.length > 0 ? Integer.parseInt(args[0]) : 500;
        List<EdgeScorer> scorers = new ArrayList<>();
        for (String name : (args.length > 1 ? args[1] : "eap").split(",")) {
            scorers.add(EapThroughput.scorer(name));
        }
        ModelConfig config = RandomModels.gpt2SmallConfig();
        try (HookedTransformer model = RandomModels.randomGpt2(config);
             TaskPatcher tp = new TaskPatcher(new EdgePatcher(model), EapThroughput.ioiSizedTask(config),
                     Metrics.LOGIT_DIFF, Ablation.RESAMPLE, 20)) {
            long start = System.nanoTime();
            ScorerComparison.Result r = ScorerComparison.run(tp, scorers, 50, 10, sample, 1, ExactEffectsStore.NONE, Progress.NONE);
            double total = (System.nanoTime() - start) / 1e9;
            System.out.printf(Locale.ROOT, "exact patching of %d of %d edges and %d nodes: %d forward passes, %.1f s; whole run %.1f s, "
                    + "peak resident %d MiB%n", r.exactEdges(), r.edges(), r.componentNodes() + 1, r.exactPasses(),
                    r.exactSeconds(), total, ProcessMemory.peakResidentMiB());
            ScorerComparison.print(new PrintWriter(System.out, true), r);
        }
    }
}
